import { describe, expect, it } from 'vitest';
import {
  buildGbSdp,
  formatGbSubject,
  gbMediaTransport,
  makeGbSsrc,
  parseGbMediaFormat,
  parseGbSdp,
  parseGbSsrc,
  parseGbSubject,
  serializeGbSdp,
} from './sdp.ts';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

const OFFER = crlf([
  'v=0',
  'o=34020000002000000001 0 0 IN IP4 10.0.0.2',
  's=Play',
  'c=IN IP4 10.0.0.2',
  't=0 0',
  'm=video 30000 TCP/RTP/AVP 96 97 98 99',
  'a=recvonly',
  'a=rtpmap:96 PS/90000',
  'a=rtpmap:97 MPEG4/90000',
  'a=rtpmap:98 H264/90000',
  'a=rtpmap:99 H265/90000',
  'a=setup:passive',
  'a=connection:new',
  'y=0200000001',
]);

// As an IPC answers (attribute order of the device, f= empty, LF line ends).
const ANSWER = [
  'v=0',
  'o=34020000001320000001 0 0 IN IP4 192.168.1.64',
  's=Play',
  'c=IN IP4 192.168.1.64',
  't=0 0',
  'm=video 15060 TCP/RTP/AVP 96',
  'a=sendonly',
  'a=rtpmap:96 PS/90000',
  'a=setup:active',
  'a=connection:new',
  'a=filesize:0',
  'y=0200000001',
  'f=v/2/4/25/1/4096a/1/8/1',
  '',
].join('\n');

describe('GB SDP', () => {
  it('builds the live TCP-passive offer exactly', () => {
    const sdp = buildGbSdp({
      session: 'Play',
      ownerId: '34020000002000000001',
      ip: '10.0.0.2',
      port: 30000,
      transport: 'tcp-passive',
      ssrc: '0200000001',
    });
    expect(serializeGbSdp(sdp)).toBe(OFFER);
    expect(parseGbSdp(OFFER)).toEqual({ ok: true, value: sdp });
  });

  it('reads a device answer: direction, setup, y=, f=', () => {
    const r = parseGbSdp(ANSWER);
    if (!r.ok) throw new Error(r.error.message);
    const sdp = r.value;
    expect(sdp.origin).toEqual({
      username: '34020000001320000001',
      sessionId: '0',
      sessionVersion: '0',
      netType: 'IN',
      addrType: 'IP4',
      address: '192.168.1.64',
    });
    expect(sdp.sessionName).toBe('Play');
    expect(sdp.connection?.address).toBe('192.168.1.64');
    expect(sdp.ssrc).toBe('0200000001');
    expect(sdp.format).toBe('v/2/4/25/1/4096a/1/8/1');
    const m = sdp.media[0];
    expect(m).toEqual({
      type: 'video',
      port: 15060,
      protocol: 'TCP/RTP/AVP',
      payloadTypes: [96],
      rtpmaps: [{ payloadType: 96, encoding: 'PS', clockRate: 90000 }],
      direction: 'sendonly',
      setup: 'active',
      connectionMode: 'new',
      attributes: [{ name: 'filesize', value: '0' }],
    });
    if (m) expect(gbMediaTransport(m)).toBe('tcp-active');
    expect(parseGbMediaFormat(sdp.format ?? '')).toEqual({
      ok: true,
      value: {
        video: { codec: 2, resolution: 4, frameRate: 25, rateType: 1, bitrate: 4096 },
        audio: { codec: 1, bitrate: 8, sampleRate: 1 },
      },
    });
    expect(parseGbMediaFormat('v/////a///')).toEqual({ ok: true, value: { video: {}, audio: {} } });
    // Serializing what we read and reading it again gives the same value.
    expect(parseGbSdp(serializeGbSdp(sdp))).toEqual({ ok: true, value: sdp });
  });

  it('builds Playback and Download offers (u=, t=, downloadspeed, UDP)', () => {
    const playback = buildGbSdp({
      session: 'Playback',
      ownerId: '34020000002000000001',
      ip: '10.0.0.2',
      port: 30002,
      transport: 'udp',
      ssrc: '1200000002',
      channelId: '34020000001310000001',
      start: 1714950000,
      stop: 1714953600,
      rtpmaps: [{ payloadType: 96, encoding: 'PS', clockRate: 90000 }],
    });
    expect(serializeGbSdp(playback)).toBe(
      crlf([
        'v=0',
        'o=34020000002000000001 0 0 IN IP4 10.0.0.2',
        's=Playback',
        'u=34020000001310000001:0',
        'c=IN IP4 10.0.0.2',
        't=1714950000 1714953600',
        'm=video 30002 RTP/AVP 96',
        'a=recvonly',
        'a=rtpmap:96 PS/90000',
        'y=1200000002',
      ]),
    );
    const download = buildGbSdp({
      session: 'Download',
      ownerId: '34020000002000000001',
      ip: '10.0.0.2',
      port: 30004,
      transport: 'tcp-active',
      ssrc: '1200000003',
      channelId: '34020000001310000001',
      start: 1,
      stop: 2,
      downloadSpeed: 4,
    });
    const text = serializeGbSdp(download);
    expect(text).toContain('a=setup:active\r\na=connection:new\r\na=downloadspeed:4\r\n');
    const back = parseGbSdp(text);
    const media = back.ok ? back.value.media[0] : undefined;
    expect(media?.downloadSpeed).toBe(4);
    expect(media && gbMediaTransport(media)).toBe('tcp-active');
  });

  it.each([
    ['o=a 0 0 IN IP4 h\r\ns=Play\r\nt=0 0\r\n', 'sdp:syntax'],
    ['v=0\r\ns=Play\r\nt=0 0\r\n', 'sdp:missing'],
    ['v=0\r\no=a 0 0 IN IP4 h\r\nt=0 0\r\n', 'sdp:missing'],
    ['v=0\r\no=a 0 0 IN IP4 h\r\ns=Play\r\n', 'sdp:missing'],
    ['v=1\r\n', 'sdp:syntax'],
    ['v=0\r\no=a 0 0\r\n', 'sdp:syntax'],
    ['v=0\r\no=a 0 0 IN IP4 h\r\ns=Play\r\nt=0 0\r\nm=video x RTP/AVP 96\r\n', 'sdp:syntax'],
    ['v=0\r\no=a 0 0 IN IP4 h\r\ns=Play\r\nt=0 0\r\nm=video 1 RTP/AVP 200\r\n', 'sdp:syntax'],
    [
      'v=0\r\no=a 0 0 IN IP4 h\r\ns=Play\r\nt=0 0\r\nm=video 1 RTP/AVP 96\r\na=rtpmap:96 PS\r\n',
      'sdp:syntax',
    ],
    ['v=0\r\no=a 0 0 IN IP4 h\r\ns=Play\r\nt=0 0\r\ny=12ab\r\n', 'sdp:ssrc'],
    ['v=0\r\no=a 0 0 IN IP4 h\r\ns=Play\r\nt=0 0\r\ny=9999999999\r\n', 'sdp:ssrc'],
    ['v=0\r\nnot a line\r\n', 'sdp:syntax'],
  ])('refuses %j with %s', (text, code) => {
    const r = parseGbSdp(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });
});

describe('GB SSRC and Subject', () => {
  it.each([
    [{ history: false, domainId: '3402000000', sequence: 1 }, '0200000001'],
    [{ history: true, domainId: '3204020000', sequence: 42 }, '1402000042'],
    [{ history: false, domainId: '32040200002000000001', sequence: 9999 }, '0402009999'],
  ])('makes %j → %s', (args, ssrc) => {
    expect(makeGbSsrc(args)).toEqual({ ok: true, value: ssrc });
  });

  it.each([
    { history: false, domainId: '340200000', sequence: 1 },
    { history: false, domainId: '3402000000', sequence: 10_000 },
    { history: false, domainId: '3402000000', sequence: 1.5 },
  ])('refuses %j', (args) => {
    expect(makeGbSsrc(args)).toMatchObject({ ok: false, error: { code: 'sdp:ssrc' } });
  });

  it('parses an SSRC into its parts and its RTP value', () => {
    expect(parseGbSsrc('1402000042')).toEqual({
      ok: true,
      value: { history: true, domainPart: '40200', sequence: 42, value: 1402000042 },
    });
    expect(parseGbSsrc('2402000042').ok).toBe(false);
    expect(parseGbSsrc('040200004').ok).toBe(false);
  });

  it('formats and parses the INVITE Subject', () => {
    const subject = formatGbSubject({
      channelId: '34020000001320000001',
      ssrc: '0200000001',
      senderId: '34020000002000000001',
    });
    expect(subject).toBe('34020000001320000001:0200000001,34020000002000000001:0');
    expect(parseGbSubject(subject)).toEqual({
      ok: true,
      value: {
        channelId: '34020000001320000001',
        ssrc: '0200000001',
        senderId: '34020000002000000001',
        senderSeq: '0',
      },
    });
    expect(parseGbSubject('garbage').ok).toBe(false);
  });
});
