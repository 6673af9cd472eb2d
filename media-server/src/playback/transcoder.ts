/**
 * Turns one recorded segment file that a browser cannot decode (H.265) into H.264 fMP4 for
 * playback: its own init part (`ftyp`+`moov`) and media part (`moof`+`mdat`…, decode time from 0,
 * like the recorded files). The evidence on disk is never changed: this is a copy for viewing.
 */
export interface SegmentTranscoder {
  /** `file`: the whole segment as stored; `key`: its storage key (for caching and logs). */
  transcode(file: Buffer, key: string): Promise<{ init: Buffer; media: Buffer }>;
}
