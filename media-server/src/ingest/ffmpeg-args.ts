import type { RtspSource } from '@wall/protocol';

export interface FfmpegIngestArgs {
  source: RtspSource;
  relayHost: string;
  relayPort: number;
  ssrc: number;
  payloadType: number;
  /** H.265 (or another codec the wall cannot play) is transcoded to H.264; H.264 is copied. */
  transcode: boolean;
  gop?: number;
  /**
   * With `transcode`: where the source's own video goes too, copied as RTP (a second output of the
   * same process, from the same connection) — what the recorder stores.
   */
  sourceCopy?: { host: string; port: number };
}

/**
 * ffmpeg's arguments (an array: never a shell string) to pull an RTSP source and send its video as
 * RTP to the node's relay socket. H.264 passes through untouched; anything else is transcoded, and
 * with `sourceCopy` also copied untouched to a second RTP address.
 */
export function ffmpegIngestArgs(a: FfmpegIngestArgs): string[] {
  const video = a.transcode
    ? [
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'zerolatency',
        '-profile:v',
        'baseline',
        '-bf',
        '0',
        '-g',
        String(a.gop ?? 50),
      ]
    : // Many cameras send SPS/PPS only in the SDP: put them in-band before every key frame, where
      // mediasoup (which marks key frames by their SPS) and late-joining decoders need them.
      ['-c:v', 'copy', '-bsf:v', 'dump_extra=freq=keyframe'];
  const rtpOut = (host: string, port: number, ssrc: number): string[] => [
    '-f',
    'rtp',
    '-ssrc',
    String(ssrc),
    '-payload_type',
    String(a.payloadType),
    // RTCP (sender reports) to the same port: the relay and the PlainTransport multiplex it.
    `rtp://${host}:${port}?rtcpport=${port}&pkt_size=1200`,
  ];
  const copy = a.transcode && a.sourceCopy;
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info',
    '-rtsp_transport',
    a.source.transport,
    // Socket timeout in microseconds: a silent camera ends the process, which reports it offline.
    '-timeout',
    '5000000',
    // No `-fflags nobuffer`: it drops the packets read while probing, the camera's first key frame
    // among them, and the first picture then waits a whole GOP. The SDP says what the stream is,
    // so the probe is kept minimal (measured: spawn → first key frame 2.3 s → about 0.3 s).
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-flags',
    'low_delay',
    '-i',
    a.source.url,
    '-map',
    '0:v:0',
    '-an',
    ...video,
    ...rtpOut(a.relayHost, a.relayPort, a.ssrc),
    ...(copy
      ? [
          '-map',
          '0:v:0',
          '-an',
          '-c:v',
          'copy',
          '-bsf:v',
          'dump_extra=freq=keyframe',
          ...rtpOut(copy.host, copy.port, a.ssrc + 1),
        ]
      : []),
  ];
}

/** Validates a source URL beyond its schema: scheme, host, no whitespace or control characters. */
export function checkSourceUrl(url: string): 'ok' | 'invalid_url' {
  if (/[\s\p{Cc}]/u.test(url)) return 'invalid_url';
  try {
    const u = new URL(url);
    if ((u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') || !u.hostname) return 'invalid_url';
    return 'ok';
  } catch {
    return 'invalid_url';
  }
}

/** Replaces credentials in any URL inside a text (ffmpeg echoes its input URL). */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]*@/gi, '$1[redacted]@');
}

/** The codec ffmpeg found in the input, from its `Stream #0:0: Video: h264 …` line. */
export function videoCodecOf(line: string): string | undefined {
  return /Stream #\d+:\d+.*: Video: ([a-z0-9_]+)/.exec(line)?.[1];
}

/** Why ffmpeg gave up on a source, as a stable word for the stream status. */
export function failureReason(stderr: string, exitCode: number | null): string {
  const rules: [RegExp, string][] = [
    [/401 Unauthorized/i, 'rtsp:401'],
    [/403 Forbidden/i, 'rtsp:403'],
    [/404 Not Found/i, 'rtsp:404'],
    [/Connection refused/i, 'unreachable'],
    [/No route to host|Network is unreachable|timed out|Connection timed out/i, 'unreachable'],
    [/Name or service not known|Temporary failure in name resolution|Failed to resolve/i, 'dns'],
    [/Invalid data found|could not find codec parameters/i, 'invalid_stream'],
    [/does not contain any stream|Stream map .* matches no streams/i, 'no_video'],
  ];
  for (const [re, reason] of rules) if (re.test(stderr)) return reason;
  return `exited:${exitCode ?? 'signal'}`;
}
