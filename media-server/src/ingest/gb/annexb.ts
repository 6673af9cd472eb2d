/**
 * H.264 Annex B byte streams: NAL units of an access unit, and access units of a byte stream read in
 * arbitrary pieces (ffmpeg's output). Pure; never throws on input.
 */

export const H264_AUD = 9;

/** The NAL units of an Annex B buffer, without start codes or trailing zero bytes (views). */
export function splitNalUnits(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = data.length;
  let start = -1;
  let i = 0;
  while (i + 2 < n) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) pushNal(out, data, start, i);
      i += 3;
      start = i;
    } else i++;
  }
  if (start >= 0) pushNal(out, data, start, n);
  return out;
}

function pushNal(out: Uint8Array[], data: Uint8Array, start: number, end: number): void {
  let e = end;
  while (e > start && data[e - 1] === 0) e--; // the zero of a 4-byte start code, trailing_zero_8bits
  if (e > start) out.push(data.subarray(start, e));
}

/**
 * Cuts an H.264 Annex B stream into access units at access unit delimiters (x264 `aud=1`): a unit is
 * returned once the next one's delimiter arrived. Bytes before the first delimiter are dropped.
 */
export class AudSplitter {
  #buf: Buffer = Buffer.alloc(0);
  /** Offset of the current unit's delimiter in #buf (-1: none yet), and how far the search got. */
  #unitStart = -1;
  #scanned = 0;
  readonly #maxUnit: number;

  constructor(options: { maxUnitBytes?: number } = {}) {
    this.#maxUnit = options.maxUnitBytes ?? 8 * 1024 * 1024;
  }

  push(chunk: Uint8Array): Buffer[] {
    this.#buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    const buf = this.#buf;
    const out: Buffer[] = [];
    let i = this.#unitStart >= 0 ? Math.max(this.#scanned, this.#unitStart + 4) : this.#scanned;
    for (; i + 3 < buf.length; i++) {
      if (
        buf[i] !== 0 ||
        buf[i + 1] !== 0 ||
        buf[i + 2] !== 1 ||
        ((buf[i + 3] as number) & 0x1f) !== H264_AUD
      )
        continue;
      // A 4-byte start code belongs to the unit it starts.
      const at = i > 0 && buf[i - 1] === 0 && i - 1 > this.#unitStart ? i - 1 : i;
      if (this.#unitStart >= 0) out.push(Buffer.from(buf.subarray(this.#unitStart, at)));
      this.#unitStart = at;
    }
    this.#scanned = i;
    // Drop what is done with: everything before the current unit.
    const keepFrom = this.#unitStart >= 0 ? this.#unitStart : Math.max(0, buf.length - 4);
    if (keepFrom > 0) {
      this.#buf = Buffer.from(buf.subarray(keepFrom));
      this.#scanned -= keepFrom;
      if (this.#unitStart >= 0) this.#unitStart = 0;
    }
    if (this.#buf.length > this.#maxUnit) {
      // No delimiter for too long: not the stream we expect. Start over.
      this.#buf = Buffer.alloc(0);
      this.#unitStart = -1;
      this.#scanned = 0;
    }
    return out;
  }
}
