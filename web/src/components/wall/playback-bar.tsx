'use client';

import { WALL_PLAYBACK_SPEEDS, type WallPlayback, wallPlaybackPosition } from '@wall/protocol';
import { useEffect, useState } from 'react';
import type { Lang } from '../../lib/i18n';
import type { ServerClock } from '../../lib/realtime';
import { wallStrings } from './strings';
import { STEP_S, type WallPlaybackControls } from './use-wall-playback';
import styles from './wall.module.css';

/** Minutes the bar offers to rewind a live wall by. */
const REWIND_MINUTES = [1, 5, 15, 60];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A footage time as the bar shows it, local time to the tenth of a second: 2026-12-08 10:00:05.3. */
export function formatFootage(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${Math.floor(d.getMilliseconds() / 100)}`;
}

/** A `datetime-local` input's value (local time, seconds) for epoch ms, and back. */
export function toLocalInput(ms: number): string {
  return formatFootage(ms).slice(0, 19).replace(' ', 'T');
}
export function fromLocalInput(value: string): number | null {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** The footage time the wall shows, re-read from the server clock every `everyMs`. */
function useFootageTime(playback: WallPlayback | null, clock: ServerClock, everyMs = 100): number | null {
  const [ms, setMs] = useState<number | null>(null);
  const now = clock.now;
  useEffect(() => {
    if (!playback) {
      setMs(null);
      return;
    }
    const tick = () => setMs(wallPlaybackPosition(playback, now()));
    tick();
    if (playback.paused) return;
    const timer = setInterval(tick, everyMs);
    return () => clearInterval(timer);
  }, [playback, now, everyMs]);
  return ms;
}

/**
 * The wall's playback bar under the toolbar: on a live wall a moment to play back from (date and
 * time, or rewind N minutes); while the wall plays back, the footage time it shows, pause/resume,
 * speeds 0.5×–8×, steps of 10 s and back to live. Every control is a wall command (every display
 * follows).
 */
export function PlaybackBar({
  lang,
  playback,
  clock,
  controls,
  disabled,
}: {
  lang: Lang;
  playback: WallPlayback | null;
  clock: ServerClock;
  controls: WallPlaybackControls;
  disabled: boolean;
}) {
  const t = wallStrings(lang);
  const footage = useFootageTime(playback, clock);
  const [moment, setMoment] = useState(() => toLocalInput(Date.now() - 5 * 60_000));
  const chosen = fromLocalInput(moment);

  return (
    <div
      className={`${styles.toolbar} ${styles.playbackBar}`}
      role="toolbar"
      aria-label={t.playbackBar}
      data-testid="playback-bar"
      data-mode={playback ? 'playback' : 'live'}
    >
      <span className={playback ? styles.playbackOn : styles.liveOn} data-testid="wall-mode">
        {playback ? t.playback : t.liveNow}
      </span>
      {playback ? (
        <>
          <span
            className={styles.footage}
            title={t.footageTime}
            data-testid="playback-time"
            data-footage-ms={footage === null ? undefined : Math.round(footage)}
          >
            {footage === null ? '…' : formatFootage(footage)}
            {playback.paused ? ` · ${t.pausedAt}` : ''}
          </span>
          <button
            type="button"
            onClick={() => controls.step(-STEP_S)}
            disabled={disabled}
            data-testid="playback-step-back"
          >
            {t.stepBack(STEP_S)}
          </button>
          <button
            type="button"
            className={styles.primary}
            onClick={controls.togglePause}
            disabled={disabled}
            data-testid="playback-pause"
            aria-pressed={playback.paused}
          >
            {playback.paused ? t.resume : t.pause}
          </button>
          <button
            type="button"
            onClick={() => controls.step(STEP_S)}
            disabled={disabled}
            data-testid="playback-step-forward"
          >
            {t.stepForward(STEP_S)}
          </button>
          <span>{t.speed}</span>
          <div className={styles.layouts}>
            {WALL_PLAYBACK_SPEEDS.map((s) => (
              <button
                key={s}
                type="button"
                className={styles.layoutButton}
                aria-pressed={playback.speed === s}
                onClick={() => controls.setSpeed(s)}
                disabled={disabled}
                data-testid="playback-speed"
                data-speed={s}
              >
                {s}×
              </button>
            ))}
          </div>
          <span className={styles.spacer} />
          <button
            type="button"
            className={styles.primary}
            onClick={controls.backToLive}
            disabled={disabled}
            data-testid="playback-live"
          >
            {t.backToLive}
          </button>
        </>
      ) : (
        <>
          <label className={styles.momentLabel}>
            {t.playbackAt}
            <input
              type="datetime-local"
              step={1}
              value={moment}
              onChange={(e) => setMoment(e.target.value)}
              data-testid="playback-moment"
            />
          </label>
          <button
            type="button"
            className={styles.primary}
            disabled={disabled || chosen === null}
            onClick={() => chosen !== null && controls.playFrom(chosen)}
            data-testid="playback-start"
          >
            {t.rewindTo}
          </button>
          <span className={styles.sep} />
          {REWIND_MINUTES.map((m) => (
            <button
              key={m}
              type="button"
              onClick={() => controls.rewind(m)}
              disabled={disabled}
              data-testid="playback-rewind"
              data-minutes={m}
            >
              {t.rewindMinutes(m)}
            </button>
          ))}
        </>
      )}
    </div>
  );
}
