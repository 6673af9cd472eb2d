import { describe, expect, it } from 'vitest';
import {
  checkSourceUrl,
  failureReason,
  ffmpegIngestArgs,
  redactCredentials,
  videoCodecOf,
} from './ffmpeg-args.ts';

const base = {
  source: { kind: 'rtsp' as const, url: 'rtsp://u:p@10.0.0.5:554/ch1', transport: 'tcp' as const },
  relayHost: '127.0.0.1',
  relayPort: 40123,
  ssrc: 1234,
  payloadType: 96,
};

describe('ffmpeg ingest arguments', () => {
  it('copies H.264 and sends RTP to the relay', () => {
    const args = ffmpegIngestArgs({ ...base, transcode: false });
    expect(args.slice(args.indexOf('-i'), args.indexOf('-i') + 2)).toEqual([
      '-i',
      'rtsp://u:p@10.0.0.5:554/ch1',
    ]);
    expect(args.slice(args.indexOf('-c:v'), args.indexOf('-c:v') + 4)).toEqual([
      '-c:v',
      'copy',
      '-bsf:v',
      'dump_extra=freq=keyframe',
    ]);
    expect(args.at(-1)).toBe('rtp://127.0.0.1:40123?rtcpport=40123&pkt_size=1200');
    expect(args).toContain('-an');
    expect(args[args.indexOf('-ssrc') + 1]).toBe('1234');
    expect(args[args.indexOf('-rtsp_transport') + 1]).toBe('tcp');
  });

  it('transcodes to H.264 baseline without B-frames when asked', () => {
    const args = ffmpegIngestArgs({ ...base, transcode: true, gop: 25 });
    expect(args[args.indexOf('-c:v') + 1]).toBe('libx264');
    expect(args[args.indexOf('-bf') + 1]).toBe('0');
    expect(args[args.indexOf('-g') + 1]).toBe('25');
  });

  it('with a source copy, a second output sends the camera stream untouched to the recorder socket', () => {
    const args = ffmpegIngestArgs({
      ...base,
      transcode: true,
      sourceCopy: { host: '127.0.0.1', port: 40200 },
    });
    const second = args.lastIndexOf('-map');
    expect(args.indexOf('-map')).toBeLessThan(second);
    expect(args.slice(second)).toEqual([
      '-map',
      '0:v:0',
      '-an',
      '-c:v',
      'copy',
      '-bsf:v',
      'dump_extra=freq=keyframe',
      '-f',
      'rtp',
      '-ssrc',
      '1235',
      '-payload_type',
      '96',
      'rtp://127.0.0.1:40200?rtcpport=40200&pkt_size=1200',
    ]);
    // The first output is still the transcode to the relay.
    expect(args[args.indexOf('-c:v') + 1]).toBe('libx264');
    expect(args[second - 1]).toBe('rtp://127.0.0.1:40123?rtcpport=40123&pkt_size=1200');
    // No copy without a transcode: the relay's stream is then the camera's own.
    expect(
      ffmpegIngestArgs({ ...base, transcode: false, sourceCopy: { host: '127.0.0.1', port: 40200 } }),
    ).not.toContain('rtp://127.0.0.1:40200?rtcpport=40200&pkt_size=1200');
    expect(args.filter((a) => a === '-i')).toHaveLength(1); // one connection to the camera
  });

  it('passes the URL as one argument, whatever it holds', () => {
    const url = "rtsp://h/ch1;rm -rf /'$(x)";
    const args = ffmpegIngestArgs({ ...base, source: { ...base.source, url }, transcode: false });
    expect(args).toContain(url);
  });
});

describe('source URLs', () => {
  it.each([
    ['rtsp://10.0.0.5:554/ch1', 'ok'],
    ['rtsps://cam.example/stream', 'ok'],
    ['rtsp://user:pa%40ss@cam/1', 'ok'],
    ['http://cam/1', 'invalid_url'],
    ['rtsp://', 'invalid_url'],
    ['rtsp://cam/a b', 'invalid_url'],
    ['rtsp://cam/a\nb', 'invalid_url'],
    ['garbage', 'invalid_url'],
  ])('%s → %s', (url, expected) => {
    expect(checkSourceUrl(url)).toBe(expected);
  });

  it('redacts credentials wherever a URL appears', () => {
    expect(redactCredentials("Input #0, rtsp, from 'rtsp://admin:s3cret@10.0.0.5:554/ch1':")).toBe(
      "Input #0, rtsp, from 'rtsp://[redacted]@10.0.0.5:554/ch1':",
    );
    expect(redactCredentials('rtsp://10.0.0.5/x')).toBe('rtsp://10.0.0.5/x');
  });
});

describe('ffmpeg output', () => {
  it.each([
    ['  Stream #0:0: Video: h264 (Constrained Baseline), yuv420p, 640x360, 25 fps', 'h264'],
    ['  Stream #0:0: Video: hevc (Main), yuv420p(tv), 1920x1080', 'hevc'],
    ['  Stream #0:1: Audio: aac', undefined],
  ])('finds the codec in %j', (line, codec) => {
    expect(videoCodecOf(line)).toBe(codec);
  });

  it.each([
    ['[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized', 1, 'rtsp:401'],
    ['[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found', 1, 'rtsp:404'],
    ['[tcp @ 0x1] Connection to tcp://127.0.0.1:1 failed: Connection refused', 1, 'unreachable'],
    ['[tcp @ 0x1] Failed to resolve hostname nvr.invalid: Name or service not known', 1, 'dns'],
    ['rtsp://x: Invalid data found when processing input', 1, 'invalid_stream'],
    ['something else', 255, 'exited:255'],
    ['', null, 'exited:signal'],
  ])('classifies %j', (stderr, code, reason) => {
    expect(failureReason(stderr, code)).toBe(reason);
  });
});
