// The media server's test support that other packages' tests may use (see the rule
// tests-share-only-named-support in .dependency-cruiser.cjs): simulated RTSP cameras.

// Real libx265 clips as access units, and an RFC 7798 packetizer (the H.265 recording and playback
// transcode tests, bench/playback-transcode).
export { FRAME_TICKS, packetizeHevc, x265Units } from './hevc-clip.ts';
export { freePort, type RtspSim, startRtspSim } from './rtsp-sim.ts';
