import {
  AppError,
  channelsOf,
  type GbMedia,
  keyFrameRequestSchema,
  type MediaNodeInfo,
  type StreamProfile,
  type StreamStatus,
  streamStatusSchema,
} from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';
import type { Redis } from 'ioredis';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Queryable } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import { ensureIngest } from '../media/control.ts';
import type { DeviceSession } from './devices.ts';
import { postIngestSteps, stopIngest } from './media-node.ts';
import { gbSettings } from './settings.ts';
import { buildRequest, deviceUri, randomToken, respond, type SipIdentity } from './sip-util.ts';
import { SipTimeoutError } from './transactions.ts';
import type { SipFlow } from './transport.ts';

const STREAMS_KEY = 'media:streams';

export interface StreamsSignalling {
  me: SipIdentity;
  online(deviceId: string): DeviceSession | undefined;
  request(flow: SipFlow, req: gb.SipRequest, timeoutMs: number): Promise<gb.SipResponse>;
  /** Sends outside a transaction (ACK). */
  send(flow: SipFlow, msg: gb.SipMessage): Promise<void>;
  respond(req: gb.SipRequest, flow: SipFlow, res: gb.SipResponse): Promise<void>;
  message(deviceId: string, m: gb.ManscdpMessage, options?: { target?: string }): Promise<number>;
  nextSn(): number;
  /** The device's session when a request over `flow` may speak for it (its registration flow). */
  admit(deviceId: string, flow: SipFlow, method: string): Promise<DeviceSession | undefined>;
}

export interface StreamsDeps {
  db: Queryable;
  redis: Redis;
  logger: Logger;
  signalling: StreamsSignalling;
  /** Transport of live media unless the source says otherwise. */
  defaultTransport: 'tcp-passive' | 'udp';
  /** How long the device has to answer an INVITE (default 5 s). */
  inviteTimeoutMs?: number;
  audit: (entry: AuditEntryInput) => Promise<unknown>;
}

/** One INVITE session: a channel streaming to a media node's port. */
interface Dialog {
  key: string;
  cameraId: string;
  profile: StreamProfile;
  deviceId: string;
  channelId: string;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Request-URI of in-dialog requests (the device's Contact). */
  remoteTarget: string;
  cseq: number;
  flow: SipFlow;
  node: { id: string; controlUrl: string; secret: string };
  media: GbMedia;
  ack: gb.SipRequest;
  establishedAt: number;
}

interface Channel {
  externalId: string;
  sourceId: string;
  deviceId: string;
  mediaTransport: 'tcp-passive' | 'udp' | undefined;
  profiles: Partial<Record<StreamProfile, unknown>>;
}

/** An INVITE whose media has not arrived this long after the 200 is tried again by the next viewer. */
const REINVITE_AFTER_MS = 10_000;
const CHECK_EVERY_MS = 10_000;

/**
 * Live GB streams (issue 6 §3, the gateway's part): for a viewer of a GB camera, make sure the
 * node ingests it (ensure-ingest with the gb source), then — when the node still waits for media
 * and no dialog feeds it — INVITE the channel to the node's port (SDP with y= SSRC; TCP passive by
 * default), wait ≤ 5 s for the 200, ACK, and report invite_sent/invite_ok to the node's timeline.
 * One dialog per camera profile, shared by concurrent viewers. The node's stream status ends it:
 * a stop (idle timeout) or no media → BYE; a node's key-frame request → DeviceControl IFameCmd.
 */
export class GbStreams {
  readonly #d: StreamsDeps;
  readonly #log: Logger;
  readonly #dialogs = new Map<string, Dialog>();
  readonly #byCallId = new Map<string, Dialog>();
  /** INVITEs given up on (timeout): a late 200 is ACKed and hung up. */
  readonly #abandoned = new Map<string, { flow: SipFlow; channelId: string; localTag: string; at: number }>();
  readonly #starting = new Map<string, Promise<void>>();
  #sequence = Math.floor(Math.random() * 10_000);
  #sub: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: StreamsDeps) {
    this.#d = deps;
    this.#log = deps.logger;
  }

  /** Dialogs in progress (key `cameraId:profile`), for status pages and tests. */
  dialogs(): { cameraId: string; profile: StreamProfile; callId: string; port: number }[] {
    return [...this.#dialogs.values()].map((d) => ({
      cameraId: d.cameraId,
      profile: d.profile,
      callId: d.callId,
      port: d.media.port,
    }));
  }

  async start(): Promise<void> {
    if (this.#sub) return;
    const sub = this.#d.redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    this.#sub = sub;
    const channels = channelsOf(this.#d.redis);
    sub.on('error', (err: Error) => this.#log.warn({ err: err.message }, 'gb stream status subscriber'));
    sub.on('message', (channel: string, message: string) => {
      if (channel === channels.streamStatus) this.#onStatus(message);
      else if (channel === channels.keyframeRequest) this.#onKeyframe(message);
    });
    await sub.subscribe(channels.streamStatus, channels.keyframeRequest);
    this.#timer = setInterval(() => void this.#checkStreams(), CHECK_EVERY_MS);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const sub = this.#sub;
    this.#sub = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
    await Promise.all([...this.#dialogs.values()].map((d) => this.#bye(d, 'shutdown', 1000)));
  }

  /** The live adapter: the node ingests the camera profile, and the device streams to it. */
  async ensure(args: {
    cameraId: string;
    profile: StreamProfile;
    node: MediaNodeInfo;
    controlSecret: string;
  }): Promise<void> {
    const key = `${args.cameraId}:${args.profile}`;
    const running = this.#starting.get(key);
    if (running) return running;
    const p = this.#ensure(key, args).finally(() => this.#starting.delete(key));
    this.#starting.set(key, p);
    return p;
  }

  /**
   * A device's BYE (it ends a stream): answer, forget the dialog, stop the node's ingest. Only on
   * the flow of the device's registration (else 403, audited).
   */
  async onDeviceBye(req: gb.SipRequest, flow: SipFlow): Promise<void> {
    const callId = gb.getHeader(req, 'Call-ID') ?? '';
    const d = this.#byCallId.get(callId);
    if (d && !(await this.#d.signalling.admit(d.deviceId, flow, 'BYE'))) {
      await this.#d.signalling.respond(req, flow, respond(req, flow, 403));
      return;
    }
    await this.#d.signalling.respond(req, flow, respond(req, flow, d ? 200 : 481));
    if (!d) return;
    this.#forget(d);
    this.#log.info({ cameraId: d.cameraId, profile: d.profile }, 'gb device ended the stream');
    await stopIngest(d.node.controlUrl, d.node.secret, d.cameraId, d.profile).catch((err: unknown) =>
      this.#log.warn({ err }, 'gb ingest not stopped after the device’s BYE'),
    );
  }

  /** A 2xx to INVITE outside any transaction: the device retransmits (ACK again) or answered late. */
  onStray2xx(res: gb.SipResponse): void {
    const callId = gb.getHeader(res, 'Call-ID') ?? '';
    const d = this.#byCallId.get(callId);
    if (d) {
      this.#d.signalling.send(d.flow, d.ack).catch(() => undefined);
      return;
    }
    const gone = this.#abandoned.get(callId);
    if (!gone) return;
    this.#abandoned.delete(callId);
    const to = gb.parseNameAddr(gb.getHeader(res, 'To') ?? '');
    const toTag = to.ok ? (to.value.params.get('tag') ?? undefined) : undefined;
    const target = contactUri(res) ?? deviceUri(gone.channelId, gone.flow);
    const base = {
      uri: target,
      toUser: gone.channelId,
      fromTag: gone.localTag,
      callId,
      ...(toTag ? { toTag } : {}),
    };
    const me = this.#d.signalling.me;
    this.#d.signalling
      .send(gone.flow, buildRequest(me, gone.flow, { ...base, method: 'ACK', cseq: 1 }))
      .catch(() => undefined);
    this.#d.signalling
      .request(gone.flow, buildRequest(me, gone.flow, { ...base, method: 'BYE', cseq: 2 }), 5000)
      .catch(() => undefined);
    this.#log.info({ callId }, 'gb late answer to an abandoned INVITE hung up');
  }

  /** The device went offline: its dialogs end (no BYE reaches it) and the nodes stop their ingests. */
  dropDevice(deviceId: string): void {
    for (const d of [...this.#dialogs.values()]) {
      if (d.deviceId !== deviceId) continue;
      this.#forget(d);
      stopIngest(d.node.controlUrl, d.node.secret, d.cameraId, d.profile).catch(() => undefined);
    }
  }

  async #ensure(
    key: string,
    args: { cameraId: string; profile: StreamProfile; node: MediaNodeInfo; controlSecret: string },
  ): Promise<void> {
    const channel = await this.#channel(args.cameraId);
    if (!channel) throw new AppError('not_found:camera', 'no such camera');
    if (!channel.profiles[args.profile]) {
      throw new AppError('not_found:camera', `the camera has no ${args.profile} stream`);
    }
    const session = this.#d.signalling.online(channel.deviceId);
    if (!session) throw new AppError('unavailable:dependency', 'the camera’s GB/T 28181 device is offline');
    this.#sequence = (this.#sequence + 1) % 10_000;
    const ssrc = gb.makeGbSsrc({
      history: false,
      domainId: this.#d.signalling.me.domain,
      sequence: this.#sequence,
    });
    if (!ssrc.ok) throw new AppError('internal', ssrc.error.message);
    const status: StreamStatus = await ensureIngest(args.node.controlUrl, args.controlSecret, {
      cameraId: args.cameraId,
      profile: args.profile,
      source: {
        kind: 'gb28181',
        channelId: channel.externalId,
        transport: channel.mediaTransport ?? this.#d.defaultTransport,
        ssrc: ssrc.value,
      },
    });
    const media = status.gbMedia;
    if (!media)
      throw new AppError('unavailable:dependency', 'the media node cannot receive GB/T 28181 media');
    if (!media.awaitingMedia) return;
    const current = this.#dialogs.get(key);
    if (current) {
      const same =
        current.node.id === args.node.id &&
        current.media.ip === media.ip &&
        current.media.port === media.port &&
        current.media.ssrc === media.ssrc;
      if (same && Date.now() - current.establishedAt < REINVITE_AFTER_MS) return;
      await this.#bye(current, 'reinvite');
    }
    await this.#invite(key, args, channel, session, media);
  }

  async #invite(
    key: string,
    args: { cameraId: string; profile: StreamProfile; node: MediaNodeInfo; controlSecret: string },
    channel: Channel,
    session: DeviceSession,
    media: GbMedia,
  ): Promise<void> {
    const me = this.#d.signalling.me;
    const flow = session.flow;
    const callId = `${randomToken(12)}@${me.publicIp}`;
    const localTag = randomToken();
    const sdp = gb.buildGbSdp({
      session: 'Play',
      ownerId: me.id,
      ip: media.ip,
      port: media.port,
      transport: media.transport === 'udp' ? 'udp' : 'tcp-passive',
      ssrc: media.ssrc,
    });
    // GB/T 28181-2022: main (0) or sub (1) stream; 2016 devices ignore it.
    sdp.media[0]?.attributes.push({ name: 'streamnumber', value: args.profile === 'sub' ? '1' : '0' });
    const uri = deviceUri(channel.externalId, flow);
    const invite = buildRequest(me, flow, {
      method: 'INVITE',
      uri,
      toUser: channel.externalId,
      fromTag: localTag,
      callId,
      cseq: 1,
      contact: true,
      headers: [
        {
          name: 'Subject',
          value: gb.formatGbSubject({ channelId: channel.externalId, ssrc: media.ssrc, senderId: me.id }),
        },
      ],
      contentType: 'APPLICATION/SDP',
      body: new TextEncoder().encode(gb.serializeGbSdp(sdp)),
    });
    const timeoutMs = this.#d.inviteTimeoutMs ?? 5000;
    const inviteSent = Date.now();
    const auditBase = {
      actorId: null,
      actorName: `gb28181:${session.deviceId}`,
      action: 'gb.invite',
      targetKind: 'camera',
      targetId: args.cameraId,
      address: `${flow.address}:${flow.port}`,
    } as const;
    const detail = {
      channelId: channel.externalId,
      profile: args.profile,
      node: args.node.id,
      transport: media.transport,
      port: media.port,
      ssrc: media.ssrc,
    };
    let res: gb.SipResponse;
    try {
      res = await this.#d.signalling.request(flow, invite, timeoutMs);
    } catch (err) {
      const timedOut = err instanceof SipTimeoutError;
      if (timedOut)
        this.#abandoned.set(callId, { flow, channelId: channel.externalId, localTag, at: Date.now() });
      this.#pruneAbandoned();
      await this.#d.audit({
        ...auditBase,
        result: 'error',
        reason: timedOut ? 'timeout' : 'unreachable',
        detail,
      });
      this.#log.warn({ cameraId: args.cameraId, channelId: channel.externalId, err }, 'gb INVITE failed');
      throw new AppError(
        'unavailable:dependency',
        timedOut
          ? `the GB/T 28181 device did not answer the INVITE within ${timeoutMs / 1000} s`
          : 'the GB/T 28181 device cannot be reached',
        { cause: err },
      );
    }
    if (res.status >= 300) {
      await this.#d.audit({ ...auditBase, result: 'error', reason: `refused:${res.status}`, detail });
      throw new AppError(
        'unavailable:dependency',
        `the GB/T 28181 device refused the stream (${res.status} ${res.reason})`.trim(),
      );
    }
    const inviteOk = Date.now();
    const to = gb.parseNameAddr(gb.getHeader(res, 'To') ?? '');
    const remoteTag = (to.ok ? to.value.params.get('tag') : undefined) ?? '';
    const remoteTarget = contactUri(res) ?? uri;
    const ack = buildRequest(me, flow, {
      method: 'ACK',
      uri: remoteTarget,
      toUser: channel.externalId,
      toTag: remoteTag,
      fromTag: localTag,
      callId,
      cseq: 1,
    });
    await this.#d.signalling.send(flow, ack);
    const answer = gb.parseGbSdp(new TextDecoder().decode(res.body));
    if (answer.ok && answer.value.ssrc !== undefined && answer.value.ssrc !== media.ssrc) {
      this.#log.warn(
        { cameraId: args.cameraId, offered: media.ssrc, answered: answer.value.ssrc },
        'gb device answered another SSRC',
      );
    }
    const dialog: Dialog = {
      key,
      cameraId: args.cameraId,
      profile: args.profile,
      deviceId: session.deviceId,
      channelId: channel.externalId,
      callId,
      localTag,
      remoteTag,
      remoteTarget,
      cseq: 1,
      flow,
      node: { id: args.node.id, controlUrl: args.node.controlUrl, secret: args.controlSecret },
      media,
      ack,
      establishedAt: inviteOk,
    };
    this.#dialogs.set(key, dialog);
    this.#byCallId.set(callId, dialog);
    this.#log.info(
      { cameraId: args.cameraId, channelId: channel.externalId, ms: inviteOk - inviteSent, port: media.port },
      'gb stream invited',
    );
    await Promise.all([
      postIngestSteps(args.node.controlUrl, args.controlSecret, args.cameraId, args.profile, {
        invite_sent: inviteSent,
        invite_ok: inviteOk,
      }).catch((err: unknown) => this.#log.warn({ err }, 'gb INVITE steps not reported to the node')),
      this.#d.audit({
        ...auditBase,
        result: 'ok',
        reason: 'invited',
        detail: { ...detail, ms: inviteOk - inviteSent },
      }),
    ]);
  }

  async #bye(d: Dialog, why: string, timeoutMs = 5000): Promise<void> {
    if (this.#dialogs.get(d.key) !== d) return;
    this.#forget(d);
    d.cseq += 1;
    const flow = this.#d.signalling.online(d.deviceId)?.flow ?? d.flow;
    const bye = buildRequest(this.#d.signalling.me, flow, {
      method: 'BYE',
      uri: d.remoteTarget,
      toUser: d.channelId,
      toTag: d.remoteTag,
      fromTag: d.localTag,
      callId: d.callId,
      cseq: d.cseq,
    });
    this.#log.info({ cameraId: d.cameraId, profile: d.profile, why }, 'gb stream hung up');
    const status = await this.#d.signalling
      .request(flow, bye, timeoutMs)
      .then((r) => r.status)
      .catch(() => 0);
    await this.#d
      .audit({
        actorId: null,
        actorName: `gb28181:${d.deviceId}`,
        action: 'gb.bye',
        targetKind: 'camera',
        targetId: d.cameraId,
        result: status >= 200 && status < 300 ? 'ok' : 'error',
        reason: why,
        address: `${flow.address}:${flow.port}`,
        detail: { channelId: d.channelId, profile: d.profile, status },
      })
      .catch((err: unknown) => this.#log.error({ err }, 'gb BYE not audited'));
  }

  #forget(d: Dialog): void {
    if (this.#dialogs.get(d.key) === d) this.#dialogs.delete(d.key);
    this.#byCallId.delete(d.callId);
  }

  #onStatus(message: string): void {
    let status: StreamStatus;
    try {
      status = streamStatusSchema.parse(JSON.parse(message));
    } catch {
      return;
    }
    const d = this.#dialogs.get(`${status.cameraId}:${status.profile}`);
    if (!d || d.node.id !== status.node || status.state !== 'offline') return;
    if (status.reason === 'stopped' || status.reason === 'gb:no_media') {
      void this.#bye(d, status.reason === 'stopped' ? 'idle' : 'no_media');
    }
  }

  #onKeyframe(message: string): void {
    let req: { cameraId: string; profile: StreamProfile; node: string };
    try {
      req = keyFrameRequestSchema.parse(JSON.parse(message));
    } catch {
      return;
    }
    const d = this.#dialogs.get(`${req.cameraId}:${req.profile}`);
    if (!d || d.node.id !== req.node) return;
    const sn = this.#d.signalling.nextSn();
    this.#d.signalling
      .message(
        d.deviceId,
        { kind: 'device_control', sn, deviceId: d.channelId, iFrame: true },
        { target: d.channelId },
      )
      .then((status) => this.#log.debug({ cameraId: d.cameraId, status }, 'gb key frame requested'))
      .catch((err: unknown) =>
        this.#log.warn({ err, cameraId: d.cameraId }, 'gb key frame request not sent'),
      );
  }

  /** Dialogs whose stream left the node's list (node gone, ingest dropped) are hung up. */
  async #checkStreams(): Promise<void> {
    const old = [...this.#dialogs.values()].filter((d) => Date.now() - d.establishedAt > CHECK_EVERY_MS);
    if (old.length === 0) return;
    try {
      const pipe = this.#d.redis.pipeline();
      for (const d of old) pipe.hexists(STREAMS_KEY, d.key);
      const replies = (await pipe.exec()) ?? [];
      old.forEach((d, i) => {
        const r = replies[i];
        if (r && !r[0] && r[1] === 0) void this.#bye(d, 'stream_gone');
      });
    } catch (err) {
      this.#log.debug({ err }, 'gb stream check skipped');
    }
    this.#pruneAbandoned();
  }

  #pruneAbandoned(): void {
    const limit = Date.now() - 64_000;
    for (const [k, v] of this.#abandoned) if (v.at < limit) this.#abandoned.delete(k);
  }

  async #channel(cameraId: string): Promise<Channel | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(cameraId)) return undefined;
    const { rows } = await this.#d.db.query<{
      external_id: string;
      source_id: string;
      profiles: Partial<Record<StreamProfile, unknown>>;
      connection: unknown;
    }>(
      `SELECT c.external_id, c.source_id, c.profiles, s.connection FROM cameras c
         JOIN source_systems s ON s.id = c.source_id WHERE c.id = $1 AND s.kind = 'gb28181'`,
      [cameraId],
    );
    const r = rows[0];
    const settings = r ? gbSettings(r.connection) : undefined;
    if (!r || !settings) return undefined;
    return {
      externalId: r.external_id,
      sourceId: r.source_id,
      deviceId: settings.deviceId,
      mediaTransport: settings.mediaTransport,
      profiles: r.profiles,
    };
  }
}

function contactUri(res: gb.SipResponse): string | undefined {
  const c = gb.getHeaderValues(res, 'Contact')[0];
  const na = c ? gb.parseNameAddr(c) : undefined;
  return na?.ok ? na.value.uri : undefined;
}
