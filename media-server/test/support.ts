// The media server's test support that other packages' tests may use (see the rule
// tests-share-only-named-support in .dependency-cruiser.cjs): simulated RTSP cameras.
export { freePort, type RtspSim, startRtspSim } from './rtsp-sim.ts';
