// The reader of the time strip `rtsp-sim.py --time-strip` writes into every raw frame: 40 blocks
// of B×B pixels across the top (B = width / 40, even), left to right 32 bits of the capture time
// (Unix ms, low 32 bits, MSB first) then a CRC-8 (poly 0x07) of those 4 bytes; black 0, white 1.
//
// A browser script (no imports): add it as an init script (Playwright `page.addInitScript({ path })`)
// and call `globalThis.wallTimeStrip.read(video, width, height)` on a presented frame (e.g. in a
// requestVideoFrameCallback with the frame's width and height). Shared by the live bench's probe
// (bench/live/page-probe.js), the playback bench and the web app's browser tests.
(() => {
  const BITS = 40;

  const crc8 = (bytes) => {
    let crc = 0;
    for (const b of bytes) {
      crc ^= b;
      for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
    return crc;
  };

  let canvas = null;
  let ctx = null;

  /**
   * The capture time (ms) written into the frame `video` presents, or why it cannot be read:
   * `size` (no strip fits), `ambiguous` (a block is neither black nor white), `crc`. The strip
   * holds the low 32 bits: the full time is the one nearest to `nowMs` (default Date.now()).
   */
  const read = (video, width, height, nowMs = Date.now()) => {
    const w = width ?? video.videoWidth;
    const h = height ?? video.videoHeight;
    const block = Math.floor(w / BITS) - (Math.floor(w / BITS) % 2);
    if (block < 2 || block > h || video.videoWidth !== w) return { rejected: 'size' };
    canvas ??= document.createElement('canvas');
    ctx ??= canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    if (canvas.width !== w || canvas.height !== block) {
      canvas.width = w;
      canvas.height = block;
    }
    ctx.drawImage(video, 0, 0, w, block, 0, 0, w, block);
    const px = ctx.getImageData(0, 0, w, block).data;
    let value = 0n;
    let ambiguous = false;
    const q = Math.max(1, Math.floor(block / 4));
    for (let k = 0; k < BITS; k++) {
      let sum = 0;
      let n = 0;
      for (let y = q; y < block - q; y++) {
        for (let x = k * block + q; x < (k + 1) * block - q; x++) {
          const o = (y * w + x) * 4;
          sum += 0.299 * px[o] + 0.587 * px[o + 1] + 0.114 * px[o + 2];
          n++;
        }
      }
      const luma = sum / n;
      if (luma > 80 && luma < 170) ambiguous = true;
      value = (value << 1n) | (luma >= 128 ? 1n : 0n);
    }
    const ms = Number(value >> 8n);
    const check = Number(value & 0xffn);
    if (ambiguous) return { rejected: 'ambiguous' };
    if (crc8([(ms >>> 24) & 0xff, (ms >>> 16) & 0xff, (ms >>> 8) & 0xff, ms & 0xff]) !== check)
      return { rejected: 'crc' };
    const span = 2 ** 32;
    const base = nowMs - (nowMs % span);
    let capture = base + ms;
    if (capture - nowMs > span / 2) capture -= span;
    else if (nowMs - capture > span / 2) capture += span;
    return { capture };
  };

  globalThis.wallTimeStrip = { BITS, crc8, read };
})();
