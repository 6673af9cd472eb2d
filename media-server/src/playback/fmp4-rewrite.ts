/**
 * Reading and shifting recorded fMP4 segments for playback. Pure: bytes in, bytes out. A recorded
 * segment is `ftyp` + `moov` (the init part) followed by `moof` + `mdat` pairs (the media part)
 * whose decode times start at 0; playback puts each one at its place on the playlist's timeline by
 * adding an offset to every `moof/traf/tfdt` (ISO/IEC 14496-12 §8.8.12).
 */

/** Bytes that are not the fMP4 segment they should be: the route answers them as damaged. */
export class Fmp4Error extends Error {
  override readonly name = 'Fmp4Error';
}

interface Box {
  type: string;
  start: number;
  /** Where the payload starts (after size, type and any largesize). */
  body: number;
  end: number;
}

/** The boxes of `buf[start, end)`; throws on a box that does not fit (size 0: to the end). */
function boxesIn(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let o = start;
  while (o < end) {
    if (o + 8 > end) throw new Fmp4Error(`truncated box header at ${o}`);
    let size = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    let body = o + 8;
    if (size === 1) {
      if (o + 16 > end) throw new Fmp4Error(`truncated largesize of ${type} at ${o}`);
      const large = buf.readBigUInt64BE(o + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fmp4Error(`box ${type} too large`);
      size = Number(large);
      body = o + 16;
    } else if (size === 0) {
      size = end - o;
    }
    if (size < body - o || o + size > end) throw new Fmp4Error(`box ${type} at ${o} overruns its parent`);
    out.push({ type, start: o, body, end: o + size });
    o += size;
  }
  return out;
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  return boxesIn(buf, parent.body, parent.end).find((b) => b.type === type);
}

function need(box: Box, bytes: number): void {
  if (box.end - box.body < bytes) throw new Fmp4Error(`${box.type} is too short`);
}

/** A segment file cut into its init part (`ftyp` + `moov`) and its media part (everything after). */
export function splitSegment(file: Buffer): { init: Buffer; media: Buffer } {
  const top = boxesIn(file, 0, file.length);
  const moov = top.findIndex((b) => b.type === 'moov');
  const m = top[moov];
  if (!m || top[0]?.type !== 'ftyp') throw new Fmp4Error('not an fMP4 segment: no ftyp + moov');
  return { init: file.subarray(0, m.end), media: file.subarray(m.end) };
}

export interface TrackInfo {
  /** `mdhd` timescale (ticks per second) per `tkhd` track id. */
  timescales: Map<number, number>;
  /** The first track's sample entry (`avc1`, `hvc1`, `hev1`, …). */
  sampleEntry: string;
}

/** Track ids, timescales and the sample entry of an init part (`ftyp` + `moov`). */
export function trackInfo(init: Buffer): TrackInfo {
  const moov = boxesIn(init, 0, init.length).find((b) => b.type === 'moov');
  if (!moov) throw new Fmp4Error('no moov');
  const timescales = new Map<number, number>();
  let sampleEntry: string | undefined;
  for (const trak of boxesIn(init, moov.body, moov.end)) {
    if (trak.type !== 'trak') continue;
    const tkhd = child(init, trak, 'tkhd');
    const mdia = child(init, trak, 'mdia');
    const mdhd = mdia && child(init, mdia, 'mdhd');
    if (!tkhd || !mdhd) throw new Fmp4Error('trak without tkhd or mdia/mdhd');
    // Full boxes: version (1 byte) + flags; version 1 has 64-bit creation and modification times.
    need(tkhd, 24);
    need(mdhd, 24);
    const id = init.readUInt32BE(tkhd.body + (init[tkhd.body] === 1 ? 20 : 12));
    const timescale = init.readUInt32BE(mdhd.body + (init[mdhd.body] === 1 ? 20 : 12));
    if (timescale === 0) throw new Fmp4Error('mdhd timescale 0');
    timescales.set(id, timescale);
    if (sampleEntry === undefined) {
      const minf = child(init, mdia as Box, 'minf');
      const stbl = minf && child(init, minf, 'stbl');
      const stsd = stbl && child(init, stbl, 'stsd');
      if (stsd && stsd.end - stsd.body >= 16)
        sampleEntry = init.toString('latin1', stsd.body + 12, stsd.body + 16);
    }
  }
  if (timescales.size === 0 || sampleEntry === undefined)
    throw new Fmp4Error('moov without a described track');
  return { timescales, sampleEntry };
}

/** Whether the sample entry is H.265 (the browser cannot decode it: playback transcodes). */
export function isHevc(sampleEntry: string): boolean {
  return sampleEntry === 'hvc1' || sampleEntry === 'hev1';
}

/**
 * A copy of a media part with every `moof/traf/tfdt` decode time increased by `offMs` in its
 * track's timescale. Throws Fmp4Error on a malformed part, a `traf` without `tfhd`/`tfdt`, a track
 * the init part does not describe, or a 32-bit `tfdt` the shift would overflow.
 */
export function shiftDecodeTimes(media: Buffer, timescales: Map<number, number>, offMs: number): Buffer {
  if (!Number.isInteger(offMs) || offMs < 0) throw new RangeError('offMs must be a non-negative integer');
  const out = Buffer.from(media);
  for (const moof of boxesIn(out, 0, out.length)) {
    if (moof.type !== 'moof') continue;
    for (const traf of boxesIn(out, moof.body, moof.end)) {
      if (traf.type !== 'traf') continue;
      let tfhd: Box | undefined;
      let tfdt: Box | undefined;
      for (const b of boxesIn(out, traf.body, traf.end)) {
        if (b.type === 'tfhd') tfhd = b;
        else if (b.type === 'tfdt') tfdt = b;
      }
      if (!tfhd || !tfdt) throw new Fmp4Error('traf without tfhd or tfdt');
      need(tfhd, 8);
      const timescale = timescales.get(out.readUInt32BE(tfhd.body + 4));
      if (timescale === undefined) throw new Fmp4Error('traf of a track the init part does not describe');
      const delta = BigInt(Math.round((offMs * timescale) / 1000));
      if (out[tfdt.body] === 1) {
        need(tfdt, 12);
        out.writeBigUInt64BE(out.readBigUInt64BE(tfdt.body + 4) + delta, tfdt.body + 4);
      } else {
        need(tfdt, 8);
        const t = BigInt(out.readUInt32BE(tfdt.body + 4)) + delta;
        if (t > 0xffffffffn) throw new Fmp4Error('a 32-bit tfdt cannot hold the shifted decode time');
        out.writeUInt32BE(Number(t), tfdt.body + 4);
      }
    }
  }
  return out;
}
