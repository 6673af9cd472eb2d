import * as gb from '@wall/protocol/gb28181';
import { catalogItems, type SimChannel } from './channels.ts';
import type { Clip } from './clip.ts';
import { branch, SipClient, token } from './sip-client.ts';
import { PsStreamer } from './streamer.ts';

export interface DeviceOptions {
  deviceId: string;
  password: string;
  server: { host: string; port: number };
  /** The server's SIP ID and domain (Request-URI of REGISTER, digest URI). */
  serverId: string;
  domain: string;
  transport: 'udp' | 'tcp';
  bind: string;
  channels: number;
  civilCode: string;
  pageSize: number;
  expiresS: number;
  keepaliveS: number;
  /** Seconds between REGISTER attempts after a refusal. */
  retryS: number;
  clip: () => Clip;
  emit: (e: Record<string, unknown>) => void;
}

interface Dialog {
  callId: string;
  channel: SimChannel;
  localTag: string;
  streamer?: PsStreamer;
  ok: gb.SipResponse;
  target: { host: string; port: number };
  transport: 'tcp' | 'udp';
  ssrc: number;
  acked: boolean;
  retransmit?: NodeJS.Timeout;
}

const USER_AGENT = 'wall-gb-sim';

/**
 * One simulated GB/T 28181 device (or lower platform): registers with digest and refreshes before
 * expiry, keeps alive, answers Catalog (pages of `pageSize`, GB2312), DeviceInfo, DeviceStatus,
 * DeviceControl (PTZ printed, IFameCmd → key frame jump) and INVITE (PS over RTP from the clip,
 * TCP active toward a passive offer, or UDP), honours BYE. Every event is reported through `emit`.
 */
export class SimDevice {
  readonly o: DeviceOptions;
  readonly #sip: SipClient;
  readonly #items: gb.CatalogItem[];
  readonly #channels: SimChannel[];
  readonly #dialogs = new Map<string, Dialog>();
  /** Channels deleted by a DEL event (left out of catalogue answers until ADDed again). */
  readonly #deleted = new Set<string>();
  readonly #callId = `${token(10)}@sim`;
  readonly #fromTag = token();
  #cseq = 1;
  #sn = 1;
  #registered = false;
  #keepaliveOn = true;
  #keepaliveFailures = 0;
  #refresh: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Milliseconds of the latest successful registration (first REGISTER → 200) and its second leg. */
  lastRegisterMs: number | undefined;
  lastAuthMs: number | undefined;
  readonly keepalives = { sent: 0, ok: 0, failed: 0, latenciesMs: [] as number[] };

  constructor(options: DeviceOptions) {
    this.o = options;
    const cat = catalogItems({
      deviceId: options.deviceId,
      count: options.channels,
      civilCode: options.civilCode,
    });
    this.#items = cat.items;
    this.#channels = cat.channels;
    this.#sip = new SipClient({
      transport: options.transport,
      server: options.server,
      bind: options.bind,
      onRequest: (req) => void this.#onRequest(req).catch((err: unknown) => this.#error('request', err)),
      onClosed: () => {
        this.o.emit({ event: 'connection-closed', device: this.o.deviceId });
        this.#registered = false;
      },
    });
  }

  get registered(): boolean {
    return this.#registered;
  }

  get channels(): readonly SimChannel[] {
    return this.#channels;
  }

  async start(): Promise<void> {
    await this.#sip.open();
    await this.register();
    this.#scheduleKeepalive();
  }

  /** REGISTER (401 → digest → 200); on a refusal, tries again after `retryS`. */
  async register(expires = this.o.expiresS): Promise<number> {
    clearTimeout(this.#refresh);
    clearTimeout(this.#retry);
    const t0 = performance.now();
    const uri = `sip:${this.o.serverId}@${this.o.domain}`;
    const build = (auth?: string) => {
      const headers: gb.SipHeader[] = [
        { name: 'Via', value: this.#sip.via() },
        { name: 'From', value: `<sip:${this.o.deviceId}@${this.o.domain}>;tag=${this.#fromTag}` },
        { name: 'To', value: `<sip:${this.o.deviceId}@${this.o.domain}>` },
        { name: 'Call-ID', value: this.#callId },
        { name: 'CSeq', value: `${this.#cseq++} REGISTER` },
        { name: 'Contact', value: `<sip:${this.o.deviceId}@${this.#sip.localIp}:${this.#sip.localPort}>` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'User-Agent', value: USER_AGENT },
        { name: 'Expires', value: String(expires) },
        { name: 'X-GB-Ver', value: '2.0' },
      ];
      if (auth) headers.push({ name: 'Authorization', value: auth });
      return { kind: 'request' as const, method: 'REGISTER', uri, headers, body: new Uint8Array(0) };
    };
    let status = 0;
    let authMs: number | undefined;
    try {
      let res = await this.#sip.request(build());
      if (res.status === 401) {
        const challenge = gb.parseDigestChallenge(gb.getHeader(res, 'WWW-Authenticate') ?? '');
        if (!challenge.ok) throw new Error('bad challenge');
        const creds = gb.answerDigestChallenge({
          challenge: challenge.value,
          username: this.o.deviceId,
          password: this.o.password,
          method: 'REGISTER',
          uri,
          cnonce: token(4),
        });
        const t1 = performance.now();
        res = await this.#sip.request(build(gb.formatDigestCredentials(creds)));
        authMs = performance.now() - t1;
      }
      status = res.status;
      if (status === 200 && expires > 0) {
        this.#registered = true;
        this.lastRegisterMs = performance.now() - t0;
        this.lastAuthMs = authMs;
        const granted = gb.sipExpires(res) ?? expires;
        this.#refresh = setTimeout(() => void this.register(), Math.max(1000, granted * 800));
        this.o.emit({
          event: 'register',
          device: this.o.deviceId,
          status,
          expires: granted,
          date: gb.getHeader(res, 'Date'),
          ms: round(this.lastRegisterMs),
        });
      } else if (status === 200) {
        this.#registered = false;
        this.o.emit({ event: 'unregister', device: this.o.deviceId, status });
      } else {
        this.#registered = false;
        this.o.emit({ event: 'register', device: this.o.deviceId, status });
      }
    } catch (err) {
      this.#registered = false;
      this.o.emit({ event: 'register', device: this.o.deviceId, status: 0, error: String(err) });
    }
    if (status !== 200 && expires > 0 && !this.#stopped) {
      this.#retry = setTimeout(() => void this.register(), this.o.retryS * 1000);
    }
    return status;
  }

  setKeepalive(on: boolean): void {
    this.#keepaliveOn = on;
    this.o.emit({ event: 'keepalive-mode', device: this.o.deviceId, on });
  }

  /** Sends a catalogue event (NOTIFY, Event: Catalog) for a channel. */
  async notify(event: gb.CatalogEvent, channel: string): Promise<number> {
    const ch = this.#channels.find((c) => c.id === channel || String(c.index) === channel);
    const item = this.#items.find((i) => i.deviceId === ch?.id);
    if (!ch || !item) throw new Error(`no channel ${channel}`);
    // The simulated catalogue follows its own events (a later Catalog query answers the same).
    if (event === 'DEL') this.#deleted.add(item.deviceId);
    else if (event === 'ADD') this.#deleted.delete(item.deviceId);
    else if (event !== 'UPDATE') item.status = event === 'ON' ? 'ON' : 'OFF';
    const body: gb.CatalogPage = {
      kind: 'catalog_notify',
      sn: this.#sn++,
      deviceId: this.o.deviceId,
      sumNum: 1,
      listNum: 1,
      items: [
        event === 'ADD' || event === 'UPDATE' ? { ...item, event } : { deviceId: item.deviceId, event },
      ],
      invalidItems: 0,
    };
    const res = await this.#sip.request(
      this.#request('NOTIFY', gb.encodeManscdp(body, 'GB2312'), [
        { name: 'Event', value: 'Catalog' },
        { name: 'Subscription-State', value: 'active' },
      ]),
    );
    this.o.emit({
      event: 'notify-sent',
      device: this.o.deviceId,
      channel: ch.id,
      catalogEvent: event,
      status: res.status,
    });
    return res.status;
  }

  /** Unregisters (Expires 0) and stops everything. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#refresh);
    clearTimeout(this.#keepalive);
    clearTimeout(this.#retry);
    for (const d of this.#dialogs.values()) this.#endDialog(d);
    if (this.#registered) await this.register(0).catch(() => undefined);
    this.#sip.close();
  }

  #scheduleKeepalive(): void {
    // A random first phase spreads many devices over the interval.
    const first = Math.random() * this.o.keepaliveS * 1000;
    const loop = async () => {
      if (this.#stopped) return;
      if (this.#registered && this.#keepaliveOn) await this.#sendKeepalive();
      this.#keepalive = setTimeout(() => void loop(), this.o.keepaliveS * 1000);
    };
    this.#keepalive = setTimeout(() => void loop(), first);
  }

  async #sendKeepalive(): Promise<void> {
    const body = gb.encodeManscdp(
      { kind: 'keepalive', sn: this.#sn++, deviceId: this.o.deviceId, status: 'OK' },
      'GB2312',
    );
    this.keepalives.sent++;
    const t0 = performance.now();
    try {
      const res = await this.#sip.request(this.#request('MESSAGE', body), 10_000);
      if (res.status === 200) {
        this.keepalives.ok++;
        this.keepalives.latenciesMs.push(performance.now() - t0);
        if (this.keepalives.latenciesMs.length > 10_000) this.keepalives.latenciesMs.splice(0, 5000);
        this.#keepaliveFailures = 0;
        return;
      }
      this.keepalives.failed++;
      this.o.emit({ event: 'keepalive', device: this.o.deviceId, status: res.status });
      if (res.status === 403 || res.status === 404) void this.register();
    } catch {
      this.keepalives.failed++;
      if (++this.#keepaliveFailures >= 3) void this.register();
    }
  }

  /** A request from us to the server (MESSAGE, NOTIFY) with a MANSCDP body. */
  #request(method: string, body: Uint8Array, extra: gb.SipHeader[] = []): gb.SipRequest {
    return {
      kind: 'request',
      method,
      uri: `sip:${this.o.serverId}@${this.o.domain}`,
      headers: [
        { name: 'Via', value: this.#sip.via(branch()) },
        { name: 'From', value: `<sip:${this.o.deviceId}@${this.o.domain}>;tag=${token()}` },
        { name: 'To', value: `<sip:${this.o.serverId}@${this.o.domain}>` },
        { name: 'Call-ID', value: `${token(10)}@sim` },
        { name: 'CSeq', value: `${this.#cseq++} ${method}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'User-Agent', value: USER_AGENT },
        ...extra,
        { name: 'Content-Type', value: gb.MANSCDP_CONTENT_TYPE },
      ],
      body,
    };
  }

  async #onRequest(req: gb.SipRequest): Promise<void> {
    switch (req.method) {
      case 'MESSAGE':
        return this.#onMessage(req);
      case 'INVITE':
        return this.#onInvite(req);
      case 'ACK':
        return this.#onAck(req);
      case 'BYE':
        return this.#onBye(req);
      case 'OPTIONS':
        return this.#sip.respond(req, 200);
      default:
        return this.#sip.respond(req, 501);
    }
  }

  async #onMessage(req: gb.SipRequest): Promise<void> {
    const parsed = gb.parseManscdp(req.body);
    if (!parsed.ok) return this.#sip.respond(req, 400);
    await this.#sip.respond(req, 200, { toTag: token() });
    const m = parsed.value.message;
    const charset = parsed.value.charset;
    const send = (answer: gb.ManscdpMessage) =>
      this.#sip.request(this.#request('MESSAGE', gb.encodeManscdp(answer, charset)), 10_000);
    switch (m.kind) {
      case 'catalog_query': {
        const items = this.#items.filter((i) => !this.#deleted.has(i.deviceId));
        const pages = gb.paginateCatalog({
          sn: m.sn,
          deviceId: this.o.deviceId,
          items,
          pageSize: this.o.pageSize,
        });
        for (const page of pages) await send(page);
        this.o.emit({
          event: 'catalog',
          device: this.o.deviceId,
          sn: m.sn,
          items: items.length,
          pages: pages.length,
        });
        return;
      }
      case 'device_info_query':
        await send({
          kind: 'device_info_response',
          sn: m.sn,
          deviceId: this.o.deviceId,
          result: 'OK',
          deviceName: '模拟平台',
          manufacturer: 'Wall',
          model: 'GB-SIM',
          firmware: 'V1.0.0',
          channel: this.#channels.length,
        });
        this.o.emit({ event: 'deviceinfo', device: this.o.deviceId, sn: m.sn });
        return;
      case 'device_status_query':
        await send({
          kind: 'device_status_response',
          sn: m.sn,
          deviceId: m.deviceId,
          result: 'OK',
          online: 'ONLINE',
          status: 'OK',
          encode: 'ON',
          record: 'OFF',
          deviceTime: gb.formatGbDate(Date.now()),
        });
        return;
      case 'device_control': {
        if (m.ptz) {
          this.o.emit({
            event: 'ptz',
            device: this.o.deviceId,
            channel: m.deviceId,
            ...(m.ptz.ok
              ? {
                  hex: gb.encodePtzCmd(m.ptz.value.command, m.ptz.value.address),
                  command: m.ptz.value.command,
                }
              : { error: m.ptz.error.code }),
          });
        }
        if (m.iFrame) {
          const dialogs = [...this.#dialogs.values()].filter((d) => d.channel.id === m.deviceId);
          for (const d of dialogs) d.streamer?.keyframe();
          this.o.emit({
            event: 'keyframe',
            device: this.o.deviceId,
            channel: m.deviceId,
            streams: dialogs.length,
          });
        }
        return;
      }
      default:
        return;
    }
  }

  async #onInvite(req: gb.SipRequest): Promise<void> {
    const callId = gb.getHeader(req, 'Call-ID') ?? '';
    const existing = this.#dialogs.get(callId);
    if (existing) {
      await this.#sip.send(existing.ok);
      return;
    }
    await this.#sip.respond(req, 100);
    const uri = gb.parseSipUri(req.uri);
    const channel = this.#channels.find((c) => uri.ok && c.id === uri.value.user);
    if (!channel) return this.#sip.respond(req, 404, { toTag: token() });
    const offer = gb.parseGbSdp(new TextDecoder().decode(req.body));
    const media = offer.ok ? offer.value.media[0] : undefined;
    const host = media?.connection?.address ?? (offer.ok ? offer.value.connection?.address : undefined);
    if (!offer.ok || !media || !host || offer.value.ssrc === undefined) {
      return this.#sip.respond(req, 488, { toTag: token() });
    }
    const mode = gb.gbMediaTransport(media);
    if (mode === 'tcp-active') return this.#sip.respond(req, 488, { toTag: token() });
    const transport = mode === 'udp' ? 'udp' : 'tcp';
    const ssrc = offer.value.ssrc;
    const answer = gb.buildGbSdp({
      session: 'Play',
      ownerId: channel.id,
      ip: this.#sip.localIp,
      port: transport === 'udp' ? 15060 : 9,
      transport: transport === 'udp' ? 'udp' : 'tcp-active',
      ssrc,
      direction: 'sendonly',
      rtpmaps: [{ payloadType: 96, encoding: 'PS', clockRate: 90000 }],
      format: 'v/2/4/25/1/1000a///',
    });
    const localTag = token();
    const ok = gb.buildSipResponse(req, 200, {
      toTag: localTag,
      headers: [
        { name: 'Contact', value: `<sip:${channel.id}@${this.#sip.localIp}:${this.#sip.localPort}>` },
        { name: 'User-Agent', value: USER_AGENT },
      ],
      contentType: 'APPLICATION/SDP',
      body: new TextEncoder().encode(gb.serializeGbSdp(answer)),
    });
    const dialog: Dialog = {
      callId,
      channel,
      localTag,
      ok,
      target: { host, port: media.port },
      transport,
      ssrc: Number(ssrc),
      acked: false,
    };
    this.#dialogs.set(callId, dialog);
    this.o.emit({
      event: 'invite',
      device: this.o.deviceId,
      channel: channel.id,
      transport: mode,
      target: `${host}:${media.port}`,
      ssrc,
      subject: gb.getHeader(req, 'Subject'),
    });
    await this.#sip.send(ok);
    if (this.#sip.transport === 'udp') {
      // 2xx retransmission until the ACK (RFC 3261 §13.3.1.4).
      const again = (interval: number) => {
        dialog.retransmit = setTimeout(() => {
          if (dialog.acked || !this.#dialogs.has(callId)) return;
          void this.#sip.send(ok);
          if (interval < 16_000) again(Math.min(interval * 2, 4000));
        }, interval);
      };
      again(500);
    }
  }

  async #onAck(req: gb.SipRequest): Promise<void> {
    const d = this.#dialogs.get(gb.getHeader(req, 'Call-ID') ?? '');
    if (!d || d.acked) return;
    d.acked = true;
    clearTimeout(d.retransmit);
    const streamer = new PsStreamer({
      clip: this.o.clip(),
      ssrc: d.ssrc,
      transport: d.transport,
      target: d.target,
      bind: this.#sip.localIp,
      onEvent: (e) => this.o.emit({ ...e, device: this.o.deviceId, channel: d.channel.id }),
    });
    d.streamer = streamer;
    await streamer.start().catch((err: unknown) => this.#error('stream', err));
  }

  async #onBye(req: gb.SipRequest): Promise<void> {
    const callId = gb.getHeader(req, 'Call-ID') ?? '';
    const d = this.#dialogs.get(callId);
    if (!d) return this.#sip.respond(req, 481);
    await this.#sip.respond(req, 200);
    this.#endDialog(d);
    this.o.emit({
      event: 'bye',
      device: this.o.deviceId,
      channel: d.channel.id,
      callId,
      frames: d.streamer?.framesSent ?? 0,
    });
  }

  #endDialog(d: Dialog): void {
    clearTimeout(d.retransmit);
    d.streamer?.stop();
    this.#dialogs.delete(d.callId);
  }

  #error(where: string, err: unknown): void {
    this.o.emit({ event: 'error', device: this.o.deviceId, where, error: String(err) });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
