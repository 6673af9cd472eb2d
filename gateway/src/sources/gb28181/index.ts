import { createHash } from 'node:crypto';
import type { IngestSource, StreamProfile } from '@wall/protocol';
import * as gb from '@wall/protocol/gb28181';
import type { Db } from '../../db/index.ts';
import { type GbSipServer, gbSettings, ptzCommand } from '../../gb28181/index.ts';
import { AppError } from '../../lib/app-error.ts';
import type { PtzFailure, SourceAdapter } from '../types.ts';

const disabled = () => new AppError('unavailable:dependency', 'GB/T 28181 is not enabled on this gateway');

/**
 * The recording plan's source of a GB channel profile: the channel over the device's media
 * transport, with an SSRC fixed per camera profile (the same plan entry at every pass, so the node
 * never restarts its recorder for a new one). The node opens the media port; the gateway INVITEs.
 */
export function gbRecordingSource(
  camera: { facts: { id: string }; externalId: string; source: { connection: unknown } },
  profile: StreamProfile,
  o: { domain: string; defaultTransport: 'tcp-passive' | 'udp' },
): IngestSource | undefined {
  const settings = gbSettings(camera.source.connection);
  if (!settings || !/^\d{20}$/.test(camera.externalId)) return undefined;
  const digest = createHash('sha256').update(`${camera.facts.id}:${profile}`).digest();
  const ssrc = gb.makeGbSsrc({
    history: false,
    domainId: o.domain,
    sequence: digest.readUInt32BE(0) % 10_000,
  });
  if (!ssrc.ok) return undefined;
  return {
    kind: 'gb28181',
    channelId: camera.externalId,
    transport: settings.mediaTransport ?? o.defaultTransport,
    ssrc: ssrc.value,
  };
}

/**
 * GB/T 28181 sources, served by the gateway's SIP server (`gb28181/`): a live stream is an INVITE
 * of the device to send to the node's media port; recording by plan keeps such a session open per
 * planned channel (`GbRecordingSessions`), shared with live viewers; PTZ is a DeviceControl
 * PTZCmd; the catalogue is queried from the registered device. Nothing works while GB is disabled
 * on this gateway.
 */
export function gb28181Source(deps: { db: Db; server: GbSipServer }): SourceAdapter {
  const { server } = deps;
  return {
    kind: 'gb28181',
    stream(camera, profile) {
      if (!server.enabled) throw disabled();
      return {
        ensure: (node, controlSecret) =>
          server.streams.ensure({ cameraId: camera.facts.id, profile, node, controlSecret }),
      };
    },
    recordingSource(camera, profile) {
      if (!server.enabled || !camera.profiles[profile]) return undefined;
      return gbRecordingSource(camera, profile, {
        domain: server.me.domain,
        defaultTransport: server.mediaTransport,
      });
    },
    recordingSessions: {
      keep(planned) {
        if (!server.enabled) return;
        server.recordings.keep(
          planned.map((p) => ({
            cameraId: p.camera.facts.id,
            profile: p.profile,
            node: p.node,
            controlSecret: p.controlSecret,
          })),
        );
      },
    },
    ptz: {
      plan(name, speed) {
        const command = ptzCommand(name, speed);
        const hex = gb.encodePtzCmd(command);
        return {
          detail: { hex },
          async send(camera) {
            const fail = (reason: string, message: string, cause?: unknown): PtzFailure => ({
              ok: false,
              reason,
              message,
              ...(cause === undefined ? {} : { cause }),
            });
            const { rows } = await deps.db.query<{ external_id: string; connection: unknown }>(
              `SELECT c.external_id, s.connection FROM cameras c JOIN source_systems s ON s.id = c.source_id WHERE c.id = $1`,
              [camera.facts.id],
            );
            const settings = rows[0] ? gbSettings(rows[0].connection) : undefined;
            const channelId = rows[0]?.external_id;
            if (!server.enabled) return fail('gb_disabled', 'GB/T 28181 is not enabled on this gateway');
            if (!settings || !channelId || !server.devices.online(settings.deviceId)) {
              return fail('device_offline', 'the camera’s GB/T 28181 device is offline');
            }
            let status: number;
            try {
              status = await server.message(
                settings.deviceId,
                {
                  kind: 'device_control',
                  sn: server.nextSn(),
                  deviceId: channelId,
                  ptz: { ok: true, value: { command, address: 1 } },
                },
                { target: channelId, timeoutMs: 5000 },
              );
            } catch (err) {
              return fail('no_answer', 'the GB/T 28181 device did not take the PTZ command', err);
            }
            if (status >= 300) {
              return fail(`refused:${status}`, `the GB/T 28181 device refused the PTZ command (${status})`);
            }
            return { ok: true, sent: hex };
          },
        };
      },
    },
    catalog: {
      async sync(source, actor) {
        const settings = gbSettings(source.connection);
        if (!settings) throw new AppError('conflict:state', 'not a GB/T 28181 source system');
        if (!server.enabled) throw disabled();
        if (!server.devices.online(settings.deviceId)) {
          throw new AppError('conflict:state', 'the GB/T 28181 device is not registered (offline)');
        }
        return server.catalog.sync(settings.deviceId, actor);
      },
    },
  };
}
