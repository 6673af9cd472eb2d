export { redactCredentials } from './ffmpeg-args.ts';
export type { GbSourceOptions } from './gb/index.ts';
// H.264 and RTP byte readers (pure), for the recorder that reads the relay's packets.
export { NalFlag, NalType, parseSps, type SpsInfo, walkNals } from './h264.ts';
export {
  HevcNalType,
  HevcRtpPacketizer,
  type HevcSpsInfo,
  hevcNalType,
  isHevcIrap,
  parseHevcSps,
  walkHevcNals,
} from './h265.ts';
export { Ingest } from './ingest.ts';
export { IngestManager } from './manager.ts';
export { locateRtpPayload, type RtpPayloadRange, rtpMarker, rtpSequenceNumber, rtpTimestamp } from './rtp.ts';
export type { IngestSteps, SourceAdapter, SourceRegistry } from './source.ts';
export { defaultSources } from './sources.ts';
