// Injected into the lab player page before any of its scripts (page.addInitScript) by
// bench/live/browser.ts: timing marks for the live benchmark, all on the page's
// performance.now() clock (ms since performance.timeOrigin). Nothing here changes what the page does.
//   - every WebSocket created (the live client's socket.io connection), its open, and each
//     socket.io request with its acknowledgement (`42…["event"` out, `43…` in);
//   - every RTCPeerConnection (mediasoup-client's receive transport): ICE and connection states;
//   - the first requestVideoFrameCallback of each video track (the first decoded frame), with the
//     callback's metadata (presentationTime, expectedDisplayTime, receiveTime, …);
//   - helpers the bench calls through page.evaluate: snapshot(), strip(), inbound().
(() => {
  const now = () => performance.now();
  const bench = {
    sockets: [],
    requests: [],
    connects: [],
    pcs: [],
    firstFrames: [],
  };
  window.__bench = bench;

  // ——— socket.io over WebSocket ———
  const OUT_EVENT = /^42(?:\/[^,[]*,)?(\d+)\["([^"]+)"/;
  const IN_ACK = /^43(?:\/[^,[]*,)?(\d+)/;
  const NativeWebSocket = window.WebSocket;
  class BenchWebSocket extends NativeWebSocket {
    constructor(url, protocols) {
      const createdAt = now();
      super(url, protocols);
      const rec = { url: String(url), createdAt, openAt: null, handshakeAt: null, connectAckAt: null };
      bench.sockets.push(rec);
      this.addEventListener('open', () => {
        rec.openAt = now();
      });
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string') return;
        const at = now();
        if (e.data.startsWith('0{')) {
          rec.handshakeAt ??= at;
          return;
        }
        if (e.data.startsWith('40')) {
          rec.connectAckAt ??= at;
          return;
        }
        const m = IN_ACK.exec(e.data);
        if (!m) return;
        const id = Number(m[1]);
        const req = bench.requests.find((r) => r.socket === rec && r.id === id && r.ackAt === null);
        if (req) req.ackAt = at;
      });
      this.__benchRec = rec;
    }

    send(data) {
      if (typeof data === 'string') {
        const m = OUT_EVENT.exec(data);
        if (m) {
          bench.requests.push({
            socket: this.__benchRec,
            id: Number(m[1]),
            event: m[2],
            sentAt: now(),
            ackAt: null,
          });
        } else if (data.startsWith('40')) {
          bench.connects.push(now());
        }
      }
      super.send(data);
    }
  }
  window.WebSocket = BenchWebSocket;

  // ——— WebRTC ———
  const NativePeerConnection = window.RTCPeerConnection;
  if (NativePeerConnection) {
    class BenchPeerConnection extends NativePeerConnection {
      constructor(...args) {
        super(...args);
        const rec = { createdAt: now(), states: [] };
        bench.pcs.push({ pc: this, rec });
        this.addEventListener('iceconnectionstatechange', () =>
          rec.states.push({ kind: 'ice', state: this.iceConnectionState, at: now() }),
        );
        this.addEventListener('connectionstatechange', () =>
          rec.states.push({ kind: 'pc', state: this.connectionState, at: now() }),
        );
        this.addEventListener('track', () => rec.states.push({ kind: 'track', state: 'track', at: now() }));
      }
    }
    window.RTCPeerConnection = BenchPeerConnection;
  }

  // ——— first decoded frame per track ———
  const seenTracks = new Set();
  const nativeRvfc = HTMLVideoElement.prototype.requestVideoFrameCallback;
  if (nativeRvfc) {
    HTMLVideoElement.prototype.requestVideoFrameCallback = function (cb) {
      return nativeRvfc.call(this, (t, meta) => {
        const track = this.srcObject?.getVideoTracks?.()[0];
        if (track && !seenTracks.has(track.id)) {
          seenTracks.add(track.id);
          bench.firstFrames.push({
            index: Number(this.dataset.index ?? -1),
            trackId: track.id,
            callbackAt: t,
            presentationTime: meta.presentationTime,
            expectedDisplayTime: meta.expectedDisplayTime,
            receiveTime: meta.receiveTime ?? null,
            processingDuration: meta.processingDuration ?? null,
            width: meta.width,
            height: meta.height,
          });
        }
        cb(t, meta);
      });
    };
  }

  /** Everything recorded so far, JSON-safe. */
  bench.snapshot = () => ({
    timeOrigin: performance.timeOrigin,
    perfNow: now(),
    dateNow: Date.now(),
    sockets: bench.sockets.map((s) => ({ ...s })),
    connects: [...bench.connects],
    requests: bench.requests.map((r) => ({
      socket: bench.sockets.indexOf(r.socket),
      id: r.id,
      event: r.event,
      sentAt: r.sentAt,
      ackAt: r.ackAt,
    })),
    pcs: bench.pcs.map((p) => ({ createdAt: p.rec.createdAt, states: [...p.rec.states] })),
    firstFrames: [...bench.firstFrames],
    liveEvents: (window.__liveEvents ?? []).map((e) => ({ ...e })),
    frames: [...(window.__frames ?? [])],
  });

  // ——— glass-to-glass: the time strip rtsp-sim.py --time-strip paints into every frame ———
  // (read by infra/cameras/time-strip.js, added as an init script before this one)

  /**
   * Reads the strip of every frame tile `index` presents, until `frames` were read or `timeoutMs`
   * passed. Per frame: the capture time (decoded, CRC-checked) and the page's clocks at that frame.
   */
  bench.strip = (index, frames, timeoutMs) =>
    new Promise((resolve) => {
      const video = document.querySelector(`[data-testid="wall-tile"][data-index="${index}"]`);
      if (!video) {
        resolve({ error: 'no tile', samples: [], rejected: {} });
        return;
      }
      const samples = [];
      const rejected = { ambiguous: 0, crc: 0, size: 0 };
      const started = now();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        resolve({ samples, rejected, elapsedMs: now() - started });
      };
      const onFrame = (t, meta) => {
        if (done) return;
        const dateNow = Date.now();
        const read = globalThis.wallTimeStrip.read(video, meta.width, meta.height, dateNow);
        if (read.rejected) rejected[read.rejected]++;
        else {
          samples.push({
            capture: read.capture,
            dateNow,
            callbackAt: t,
            presentationTime: meta.presentationTime,
            expectedDisplayTime: meta.expectedDisplayTime,
            receiveTime: meta.receiveTime ?? null,
            processingDuration: meta.processingDuration ?? null,
          });
        }
        if (samples.length >= frames || now() - started > timeoutMs) finish();
        else video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      setTimeout(finish, timeoutMs + 1000);
    });

  /** inbound-rtp video stats of every peer connection (decoder and jitter-buffer figures). */
  bench.inbound = async () => {
    const out = [];
    for (const { pc } of bench.pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      for (const s of report.values()) {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
        out.push({
          trackIdentifier: s.trackIdentifier,
          framesDecoded: s.framesDecoded ?? 0,
          framesDropped: s.framesDropped ?? 0,
          keyFramesDecoded: s.keyFramesDecoded ?? 0,
          framesReceived: s.framesReceived ?? 0,
          packetsLost: s.packetsLost ?? 0,
          packetsReceived: s.packetsReceived ?? 0,
          freezeCount: s.freezeCount ?? 0,
          totalFreezesDuration: s.totalFreezesDuration ?? 0,
          jitterBufferDelay: s.jitterBufferDelay ?? 0,
          jitterBufferEmittedCount: s.jitterBufferEmittedCount ?? 0,
          totalDecodeTime: s.totalDecodeTime ?? 0,
          totalProcessingDelay: s.totalProcessingDelay ?? 0,
          frameWidth: s.frameWidth ?? 0,
          frameHeight: s.frameHeight ?? 0,
          decoderImplementation: s.decoderImplementation ?? '',
          pliCount: s.pliCount ?? 0,
          nackCount: s.nackCount ?? 0,
        });
      }
    }
    return out;
  };
})();
