import type { types } from 'mediasoup';

/** Router codecs: H.264 (packetization-mode 1, baseline/main/high) for cameras, VP8 as fallback. */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '4d0032', 'level-asymmetry-allowed': 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '640032', 'level-asymmetry-allowed': 1 },
  },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

/** RTP header extensions and RTCP feedback that only feed bandwidth estimation. */
const BWE_EXTENSIONS = new Set([
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
]);
const BWE_FEEDBACK = new Set(['transport-cc', 'goog-remb']);

/**
 * The capabilities viewers get and consume with: the router's, without bandwidth estimation
 * (transport-wide CC, abs-send-time, REMB). A camera is one stream at one bitrate — no simulcast or
 * SVC layers — so an estimate could change nothing the node sends, while keeping send-time history
 * for it costs the worker about a fifth of its CPU per consumer (measured with perf in
 * bench/live fan-out). NACK, PLI and FIR stay: they repair loss and fetch key frames.
 */
export function viewerRtpCapabilities(caps: types.RtpCapabilities): types.RtpCapabilities {
  return {
    ...caps,
    codecs: (caps.codecs ?? []).map((c) => ({
      ...c,
      rtcpFeedback: (c.rtcpFeedback ?? []).filter((f) => !BWE_FEEDBACK.has(f.type)),
    })),
    headerExtensions: (caps.headerExtensions ?? []).filter((h) => !BWE_EXTENSIONS.has(h.uri)),
  };
}
