import { fail, type GbResult, ok } from './result.ts';

/**
 * SDP as GB/T 28181 uses it for INVITE (RFC 4566 plus the GB lines `y=` (SSRC) and `f=` (media
 * format), which generic SDP parsers reject). Only what GB sessions carry is typed; other attributes
 * are kept in order. Nothing throws.
 */

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpOrigin extends SdpConnection {
  username: string;
  sessionId: string;
  sessionVersion: string;
}

export interface SdpRtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  /** Encoding parameters (audio channels), when given. */
  params?: string;
}

export interface SdpAttribute {
  name: string;
  value?: string;
}

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface GbSdpMedia {
  type: string;
  port: number;
  /** `RTP/AVP` (UDP), `TCP/RTP/AVP` or `RTP/AVP/TCP` (TCP, RFC 4571 framing). */
  protocol: string;
  payloadTypes: number[];
  rtpmaps: SdpRtpMap[];
  direction?: SdpDirection;
  /** RFC 4145 for TCP media: `passive` listens, `active` connects. */
  setup?: 'active' | 'passive' | 'actpass' | 'holdconn';
  connectionMode?: 'new' | 'existing';
  /** `a=downloadspeed:` of a Download session. */
  downloadSpeed?: number;
  connection?: SdpConnection;
  /** Attributes not typed above, in order. */
  attributes: SdpAttribute[];
}

export type GbSessionName = 'Play' | 'Playback' | 'Download' | 'Talk';

export interface GbSdp {
  origin: SdpOrigin;
  /** `Play`, `Playback`, `Download`, `Talk` — or whatever the peer wrote. */
  sessionName: string;
  /** `u=`: `{channelId}:0` for Playback and Download. */
  uri?: string;
  connection?: SdpConnection;
  /** `t=` start and stop (seconds; 0 0 for live, Unix time for playback in GB practice). */
  time: { start: number; stop: number };
  media: GbSdpMedia[];
  /** `y=`: the SSRC in decimal, as sent (see {@link makeGbSsrc}). */
  ssrc?: string;
  /** `f=`: media format description, as sent (see {@link parseGbMediaFormat}). */
  format?: string;
  /** Session-level attributes. */
  attributes: SdpAttribute[];
}

const MAX_SDP = 64 * 1024;
const MAX_LINES = 512;

function parseConnection(v: string): SdpConnection | undefined {
  const p = v.trim().split(/\s+/);
  if (p.length !== 3) return undefined;
  // `c=IN IP4 224.2.1.1/127` carries a TTL for multicast; keep the address only.
  return {
    netType: p[0] as string,
    addrType: p[1] as string,
    address: (p[2] as string).split('/')[0] as string,
  };
}

function parseAttribute(v: string): SdpAttribute {
  const colon = v.indexOf(':');
  return colon < 0
    ? { name: v.trim() }
    : { name: v.slice(0, colon).trim(), value: v.slice(colon + 1).trim() };
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** Parses SDP text (CRLF or LF line ends). */
export function parseGbSdp(text: string): GbResult<GbSdp> {
  if (text.length > MAX_SDP) return fail('sdp:syntax', 'SDP too long');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length > MAX_LINES) return fail('sdp:syntax', 'too many lines');
  let version = false;
  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let time: { start: number; stop: number } | undefined;
  const sdp: Omit<GbSdp, 'origin' | 'sessionName' | 'time'> = { media: [], attributes: [] };
  let media: GbSdpMedia | undefined;
  for (const [n, line] of lines.entries()) {
    const m = /^([a-z])\s*=(.*)$/.exec(line);
    if (!m) return fail('sdp:syntax', `line ${n + 1} is not <type>=<value>`);
    const type = m[1] as string;
    const value = (m[2] as string).trim();
    if (n === 0 && type !== 'v') return fail('sdp:syntax', 'SDP must start with v=');
    switch (type) {
      case 'v':
        if (value !== '0') return fail('sdp:syntax', `unsupported version ${value}`);
        version = true;
        break;
      case 'o': {
        const p = value.split(/\s+/);
        if (p.length !== 6) return fail('sdp:syntax', 'o= needs 6 fields');
        const [username, sessionId, sessionVersion, netType, addrType, address] = p as [
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        origin = { username, sessionId, sessionVersion, netType, addrType, address };
        break;
      }
      case 's':
        sessionName = value;
        break;
      case 'u':
        sdp.uri = value;
        break;
      case 'c': {
        const c = parseConnection(value);
        if (!c) return fail('sdp:syntax', 'c= needs 3 fields');
        if (media) media.connection = c;
        else sdp.connection = c;
        break;
      }
      case 't': {
        const tm = /^(\d{1,20})\s+(\d{1,20})$/.exec(value);
        if (!tm) return fail('sdp:syntax', 't= needs two numbers');
        time = { start: Number(tm[1]), stop: Number(tm[2]) };
        break;
      }
      case 'm': {
        const mm = /^(\S+)\s+(\d{1,5})(?:\/\d+)?\s+(\S+)((?:\s+\S+)*)$/.exec(value);
        if (!mm) return fail('sdp:syntax', 'm= needs media, port, protocol and formats');
        const port = Number(mm[2]);
        if (port > 65535) return fail('sdp:syntax', 'm= port out of range');
        const formats = (mm[4] as string).trim() === '' ? [] : (mm[4] as string).trim().split(/\s+/);
        const payloadTypes: number[] = [];
        for (const f of formats) {
          if (!/^\d{1,3}$/.test(f) || Number(f) > 127) return fail('sdp:syntax', `bad payload type ${f}`);
          payloadTypes.push(Number(f));
        }
        media = {
          type: mm[1] as string,
          port,
          protocol: mm[3] as string,
          payloadTypes,
          rtpmaps: [],
          attributes: [],
        };
        sdp.media.push(media);
        break;
      }
      case 'a': {
        const a = parseAttribute(value);
        if (!media) {
          sdp.attributes.push(a);
          break;
        }
        const r = applyMediaAttribute(media, a);
        if (!r.ok) return r;
        break;
      }
      case 'y':
        if (!/^\d{1,10}$/.test(value) || Number(value) > 0xffffffff)
          return fail('sdp:ssrc', 'y= must be a decimal SSRC');
        sdp.ssrc = value;
        break;
      case 'f':
        sdp.format = value;
        break;
      default:
        // b=, i=, e=, p=, k=, r=, z=: not used by GB sessions; ignored.
        break;
    }
  }
  if (!version) return fail('sdp:missing', 'v=');
  if (!origin) return fail('sdp:missing', 'o=');
  if (sessionName === undefined) return fail('sdp:missing', 's=');
  if (!time) return fail('sdp:missing', 't=');
  return ok({ origin, sessionName, time, ...sdp });
}

function applyMediaAttribute(media: GbSdpMedia, a: SdpAttribute): GbResult<null> {
  const name = a.name.toLowerCase();
  if (name === 'rtpmap' && a.value !== undefined) {
    const r = /^(\d{1,3})\s+([^/\s]+)\/(\d{1,9})(?:\/(\S+))?$/.exec(a.value);
    if (!r || Number(r[1]) > 127) return fail('sdp:syntax', `bad rtpmap ${a.value}`);
    const map: SdpRtpMap = { payloadType: Number(r[1]), encoding: r[2] as string, clockRate: Number(r[3]) };
    if (r[4] !== undefined) map.params = r[4];
    media.rtpmaps.push(map);
  } else if (DIRECTIONS.has(name) && a.value === undefined) {
    media.direction = name as SdpDirection;
  } else if (name === 'setup' && a.value !== undefined) {
    const v = a.value.toLowerCase();
    if (v !== 'active' && v !== 'passive' && v !== 'actpass' && v !== 'holdconn') {
      return fail('sdp:syntax', `bad setup ${a.value}`);
    }
    media.setup = v;
  } else if (name === 'connection' && a.value !== undefined) {
    const v = a.value.toLowerCase();
    if (v !== 'new' && v !== 'existing') return fail('sdp:syntax', `bad connection ${a.value}`);
    media.connectionMode = v;
  } else if (name === 'downloadspeed' && a.value !== undefined && /^\d{1,4}$/.test(a.value)) {
    media.downloadSpeed = Number(a.value);
  } else {
    media.attributes.push(a);
  }
  return ok(null);
}

function attrLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** Serializes SDP with CRLF line ends, GB order: v o s u c t m (c a…)… y f. */
export function serializeGbSdp(sdp: GbSdp): string {
  const o = sdp.origin;
  const lines = [
    'v=0',
    `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`,
    `s=${sdp.sessionName}`,
  ];
  if (sdp.uri !== undefined) lines.push(`u=${sdp.uri}`);
  if (sdp.connection)
    lines.push(`c=${sdp.connection.netType} ${sdp.connection.addrType} ${sdp.connection.address}`);
  lines.push(`t=${sdp.time.start} ${sdp.time.stop}`);
  for (const a of sdp.attributes) lines.push(attrLine(a));
  for (const m of sdp.media) {
    lines.push(`m=${m.type} ${m.port} ${m.protocol}${m.payloadTypes.map((p) => ` ${p}`).join('')}`);
    if (m.connection)
      lines.push(`c=${m.connection.netType} ${m.connection.addrType} ${m.connection.address}`);
    if (m.direction) lines.push(`a=${m.direction}`);
    for (const r of m.rtpmaps) {
      lines.push(
        `a=rtpmap:${r.payloadType} ${r.encoding}/${r.clockRate}${r.params !== undefined ? `/${r.params}` : ''}`,
      );
    }
    if (m.setup) lines.push(`a=setup:${m.setup}`);
    if (m.connectionMode) lines.push(`a=connection:${m.connectionMode}`);
    if (m.downloadSpeed !== undefined) lines.push(`a=downloadspeed:${m.downloadSpeed}`);
    for (const a of m.attributes) lines.push(attrLine(a));
  }
  if (sdp.ssrc !== undefined) lines.push(`y=${sdp.ssrc}`);
  if (sdp.format !== undefined) lines.push(`f=${sdp.format}`);
  return `${lines.map(oneLine).join('\r\n')}\r\n`;
}

// --- GB helpers ----------------------------------------------------------------------------------

export type GbMediaTransport = 'udp' | 'tcp-active' | 'tcp-passive';

/** How media flows: UDP, or TCP where `tcp-passive` means the side that wrote the SDP listens. */
export function gbMediaTransport(media: GbSdpMedia): GbMediaTransport {
  const p = media.protocol.toUpperCase();
  if (p !== 'TCP/RTP/AVP' && p !== 'RTP/AVP/TCP') return 'udp';
  return media.setup === 'active' ? 'tcp-active' : 'tcp-passive';
}

/**
 * The 10-digit GB SSRC (`y=`): first digit 0 live / 1 history (playback, download), digits 2–6 =
 * digits 4–8 of the SIP domain ID (or of a 20-digit device ID: same digits), digits 7–10 = sequence.
 */
export function makeGbSsrc(args: { history: boolean; domainId: string; sequence: number }): GbResult<string> {
  if (!/^\d{10}(\d{10})?$/.test(args.domainId)) return fail('sdp:ssrc', 'domain ID must be 10 or 20 digits');
  if (!Number.isInteger(args.sequence) || args.sequence < 0 || args.sequence > 9999) {
    return fail('sdp:ssrc', 'sequence must be 0–9999');
  }
  return ok(`${args.history ? 1 : 0}${args.domainId.slice(3, 8)}${String(args.sequence).padStart(4, '0')}`);
}

export interface GbSsrc {
  history: boolean;
  /** Digits 4–8 of the domain ID. */
  domainPart: string;
  sequence: number;
  /** The SSRC as the 32-bit number in RTP headers. */
  value: number;
}

export function parseGbSsrc(text: string): GbResult<GbSsrc> {
  const m = /^([01])(\d{5})(\d{4})$/.exec(text);
  if (!m) return fail('sdp:ssrc', 'expected 10 digits starting with 0 or 1');
  return ok({
    history: m[1] === '1',
    domainPart: m[2] as string,
    sequence: Number(m[3]),
    value: Number(text),
  });
}

export interface GbMediaFormat {
  video: { codec?: number; resolution?: number; frameRate?: number; rateType?: number; bitrate?: number };
  audio: { codec?: number; bitrate?: number; sampleRate?: number };
}

/**
 * `f=v/{codec}/{resolution}/{frame rate}/{rate type}/{bitrate}a/{codec}/{bitrate}/{sample rate}`
 * (empty fields allowed: `f=v/////a///`).
 */
export function parseGbMediaFormat(text: string): GbResult<GbMediaFormat> {
  const m = /^v\/(\d*)\/(\d*)\/(\d*)\/(\d*)\/(\d*)a\/(\d*)\/(\d*)\/(\d*)$/.exec(text.trim());
  if (!m) return fail('sdp:syntax', 'bad f= line');
  const n = (i: number): number | undefined => (m[i] === '' ? undefined : Number(m[i]));
  const video: GbMediaFormat['video'] = {};
  const audio: GbMediaFormat['audio'] = {};
  const set = <T extends object>(o: T, k: keyof T, v: number | undefined) => {
    if (v !== undefined) (o as Record<keyof T, number>)[k] = v;
  };
  set(video, 'codec', n(1));
  set(video, 'resolution', n(2));
  set(video, 'frameRate', n(3));
  set(video, 'rateType', n(4));
  set(video, 'bitrate', n(5));
  set(audio, 'codec', n(6));
  set(audio, 'bitrate', n(7));
  set(audio, 'sampleRate', n(8));
  return ok({ video, audio });
}

/** The INVITE `Subject` header: `{channelId}:{ssrc},{senderId}:{senderSeq}`. */
export function formatGbSubject(args: {
  channelId: string;
  ssrc: string;
  senderId: string;
  senderSeq?: number;
}): string {
  return `${args.channelId}:${args.ssrc},${args.senderId}:${args.senderSeq ?? 0}`;
}

export function parseGbSubject(
  text: string,
): GbResult<{ channelId: string; ssrc: string; senderId: string; senderSeq: string }> {
  const m = /^\s*([^:,\s]+):([^,\s]*)\s*,\s*([^:,\s]+):(\S*)\s*$/.exec(text);
  if (!m) return fail('sdp:syntax', 'Subject must be "<channel>:<ssrc>,<sender>:<seq>"');
  return ok({
    channelId: m[1] as string,
    ssrc: m[2] as string,
    senderId: m[3] as string,
    senderSeq: m[4] as string,
  });
}

export interface GbSdpOptions {
  session: GbSessionName;
  /** `o=` username: our 20-digit ID. */
  ownerId: string;
  /** Media address (IPv4). */
  ip: string;
  port: number;
  transport: GbMediaTransport;
  ssrc: string;
  /** `recvonly` for an offer asking for video (default), `sendonly` for a device's answer. */
  direction?: 'recvonly' | 'sendonly';
  /** Playback/Download: channel ID for `u=`, and the range as Unix seconds. */
  channelId?: string;
  start?: number;
  stop?: number;
  downloadSpeed?: number;
  /** Payload types to offer (default PS 96, MPEG4 97, H264 98, H265 99). */
  rtpmaps?: SdpRtpMap[];
  format?: string;
}

const DEFAULT_RTPMAPS: SdpRtpMap[] = [
  { payloadType: 96, encoding: 'PS', clockRate: 90000 },
  { payloadType: 97, encoding: 'MPEG4', clockRate: 90000 },
  { payloadType: 98, encoding: 'H264', clockRate: 90000 },
  { payloadType: 99, encoding: 'H265', clockRate: 90000 },
];

/** A GB INVITE offer (or a device's answer with `direction: 'sendonly'`). */
export function buildGbSdp(o: GbSdpOptions): GbSdp {
  const rtpmaps = o.rtpmaps ?? DEFAULT_RTPMAPS;
  const media: GbSdpMedia = {
    type: 'video',
    port: o.port,
    protocol: o.transport === 'udp' ? 'RTP/AVP' : 'TCP/RTP/AVP',
    payloadTypes: rtpmaps.map((r) => r.payloadType),
    rtpmaps,
    direction: o.direction ?? 'recvonly',
    attributes: [],
  };
  if (o.transport !== 'udp') {
    media.setup = o.transport === 'tcp-passive' ? 'passive' : 'active';
    media.connectionMode = 'new';
  }
  if (o.session === 'Download' && o.downloadSpeed !== undefined) media.downloadSpeed = o.downloadSpeed;
  const history = o.session === 'Playback' || o.session === 'Download';
  const sdp: GbSdp = {
    origin: {
      username: o.ownerId,
      sessionId: '0',
      sessionVersion: '0',
      netType: 'IN',
      addrType: 'IP4',
      address: o.ip,
    },
    sessionName: o.session,
    connection: { netType: 'IN', addrType: 'IP4', address: o.ip },
    time: history ? { start: o.start ?? 0, stop: o.stop ?? 0 } : { start: 0, stop: 0 },
    media: [media],
    ssrc: o.ssrc,
    attributes: [],
  };
  if (history && o.channelId !== undefined) sdp.uri = `${o.channelId}:0`;
  if (o.format !== undefined) sdp.format = o.format;
  return sdp;
}
