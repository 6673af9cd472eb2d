/**
 * Wall playback in step (issue 13): every tile of a wall that plays back shows the footage of the
 * same moment — the wall's clock, `wallPlaybackPosition(playback, serverNow)`. Each tile reads the
 * wall-clock time of the frame it presents and is steered towards that target: a small drift is
 * made up by playing slightly faster or slower, a large one by seeking; a paused wall holds every
 * tile on the frame of the paused moment. Pure: numbers in, what to do out — the tile applies it.
 */

export interface InStepOptions {
  /** Drift within which a tile plays at the wall's speed untouched (ms). */
  deadbandMs: number;
  /** Drift above which a tile seeks instead of changing its rate (ms). */
  seekAboveMs: number;
  /** A drift is made up over about this long of wall time by the rate change (ms). */
  horizonMs: number;
  /** Largest rate change, as a fraction of the wall's speed (0.25: ±25 %). */
  maxRateChange: number;
  /**
   * A paused tile whose frame is this far off the paused moment seeks to it (ms): about half a
   * frame at 25 fps — nearer than that is the same frame.
   */
  pausedToleranceMs: number;
}

export const IN_STEP_DEFAULTS: Readonly<InStepOptions> = Object.freeze({
  deadbandMs: 15,
  seekAboveMs: 500,
  horizonMs: 1000,
  maxRateChange: 0.25,
  pausedToleranceMs: 20,
});

/** What the wall asks of every tile now. */
export interface InStepTarget {
  /** The footage wall-clock time the wall shows now (epoch ms). */
  footageMs: number;
  speed: number;
  paused: boolean;
}

/** What one tile reports. */
export interface TileReading {
  /** Wall-clock time of the frame the tile presents (epoch ms); null before its first frame. */
  presentedMs: number | null;
  /** A seek the tile started and has not finished: leave it to land. */
  seeking: boolean;
  /**
   * How long the tile's last seek took to show its frame (ms): a seek aims that far ahead of the
   * wall (times its speed), so the tile lands where the wall is by then. 0 when not known.
   */
  seekLatencyMs: number;
}

/** What the tile should do: seek (when `seekToMs` is set), then play at `rate` or pause. */
export interface TileSteer {
  seekToMs: number | null;
  rate: number;
  paused: boolean;
  /** The tile's drift from the wall (presented − target, ms; + ahead); null before a frame. */
  driftMs: number | null;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * Steers one tile towards the wall's moment:
 * - no frame yet → seek to the target (unless a seek is under way), aimed `seekLatencyMs × speed`
 *   ahead while playing;
 * - paused → pause; seek to the paused moment when the frame is off it by more than
 *   `pausedToleranceMs`;
 * - drift beyond `seekAboveMs` → seek to the target (aimed ahead likewise);
 * - drift within `deadbandMs` → the wall's speed;
 * - otherwise the wall's speed less drift / horizon (ahead → slower, behind → faster), at most
 *   `maxRateChange` of it either way.
 */
export function steer(
  target: InStepTarget,
  tile: TileReading,
  options: InStepOptions = IN_STEP_DEFAULTS,
): TileSteer {
  const { footageMs, speed, paused } = target;
  const aim = paused ? footageMs : footageMs + tile.seekLatencyMs * speed;
  if (tile.presentedMs === null) {
    return { seekToMs: tile.seeking ? null : aim, rate: speed, paused, driftMs: null };
  }
  const driftMs = tile.presentedMs - footageMs;
  if (tile.seeking) return { seekToMs: null, rate: speed, paused, driftMs };
  if (paused) {
    const off = Math.abs(driftMs) > options.pausedToleranceMs;
    return { seekToMs: off ? footageMs : null, rate: speed, paused: true, driftMs };
  }
  if (Math.abs(driftMs) > options.seekAboveMs) {
    return { seekToMs: aim, rate: speed, paused: false, driftMs };
  }
  if (Math.abs(driftMs) <= options.deadbandMs) return { seekToMs: null, rate: speed, paused: false, driftMs };
  const change = clamp(driftMs / options.horizonMs, -options.maxRateChange, options.maxRateChange);
  return { seekToMs: null, rate: speed * (1 - change), paused: false, driftMs };
}

/** How far apart the tiles' frames are (max − min of the presented times, ms); null with fewer than 2. */
export function spreadMs(presented: readonly (number | null)[]): number | null {
  const known = presented.filter((p): p is number => p !== null);
  if (known.length < 2) return null;
  return Math.max(...known) - Math.min(...known);
}
