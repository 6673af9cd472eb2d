// The wall-clock time strip `rtsp-sim.py --time-strip` paints into every raw frame (the launcher's
// SIM_STRIP_CAMERAS): 40 blocks across the top of the picture, black 0 / white 1, the low 32 bits of
// the capture time in ms then a CRC-8 of them — the format bench/live/page-probe.js reads for the
// glass-to-glass figure. Here read from what a page shows: `readStrips` runs in the page
// (page.evaluate) and draws every named video into a canvas in the same task, so all are read at the
// same instant, then decodes each.

export type StripReading =
  | { ok: true; ms: number }
  | { ok: false; why: 'no-video' | 'size' | 'ambiguous' | 'crc' };

export interface StripSnapshot {
  /** The page's Date.now() when the videos were drawn. */
  at: number;
  readings: StripReading[];
}

/** In the page: the strip of the frame each video (CSS selector) presents now. Self-contained. */
export function readStrips(selectors: string[]): StripSnapshot {
  const BITS = 40;
  const crc8 = (bytes: number[]) => {
    let crc = 0;
    for (const b of bytes) {
      crc ^= b;
      for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
    return crc;
  };
  const at = Date.now();
  // Draw first (one task: the same instant for every video), decode after.
  const grabs = selectors.map((sel) => {
    const v = document.querySelector(sel);
    if (!(v instanceof HTMLVideoElement) || v.videoWidth === 0) return 'no-video' as const;
    const w = v.videoWidth;
    const block = Math.floor(w / BITS) - (Math.floor(w / BITS) % 2);
    if (block < 2 || block > v.videoHeight) return 'size' as const;
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = block;
    const ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    if (!ctx) return 'size' as const;
    ctx.drawImage(v, 0, 0, w, block, 0, 0, w, block);
    return { px: ctx.getImageData(0, 0, w, block).data, w, block };
  });
  const readings = grabs.map((g): StripReading => {
    if (typeof g === 'string') return { ok: false, why: g };
    const { px, w, block } = g;
    let value = 0n;
    const q = Math.max(1, Math.floor(block / 4));
    for (let k = 0; k < BITS; k++) {
      let sum = 0;
      let n = 0;
      for (let y = q; y < block - q; y++) {
        for (let x = k * block + q; x < (k + 1) * block - q; x++) {
          const o = (y * w + x) * 4;
          sum += 0.299 * (px[o] ?? 0) + 0.587 * (px[o + 1] ?? 0) + 0.114 * (px[o + 2] ?? 0);
          n++;
        }
      }
      const luma = sum / n;
      if (luma > 80 && luma < 170) return { ok: false, why: 'ambiguous' };
      value = (value << 1n) | (luma >= 128 ? 1n : 0n);
    }
    const low = Number(value >> 8n);
    if (
      crc8([(low >>> 24) & 0xff, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff]) !==
      Number(value & 0xffn)
    )
      return { ok: false, why: 'crc' };
    // The full time is the one with these low 32 bits nearest to now.
    const span = 2 ** 32;
    let ms = at - (at % span) + low;
    if (ms - at > span / 2) ms -= span;
    else if (at - ms > span / 2) ms += span;
    return { ok: true, ms };
  });
  return { at, readings };
}
