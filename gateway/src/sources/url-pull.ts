import { AppError, type SourceKind, type StreamProfile, type StreamRef } from '@wall/protocol';
import type { CameraRecord, SourceStreamRow } from '../cameras/facts.ts';
import { ensureIngest } from '../media/control.ts';
import { SealedSecretError, type SourceSecretBox } from '../registry/index.ts';
import type { SourceAdapter } from './types.ts';

/** A non-empty string setting of a source's connection, else undefined. */
export const setting = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/**
 * The URL a media node pulls for one stream profile, with the source's credentials put in as user
 * info (percent-encoded). Give it only to a media node at ensure-ingest time: never log it, never
 * return it to a browser. `undefined` when the camera has no such profile, or a relative path
 * and no `base` (the source's base URL). Throws `unavailable:dependency` when the credentials cannot be opened (no key, or
 * a key the gateway lacks).
 */
export function pulledStreamUrl(
  box: SourceSecretBox | undefined,
  source: SourceStreamRow,
  ref: StreamRef | undefined,
  base: string | undefined,
): string | undefined {
  if (!ref) return undefined;
  const url = ref.url ?? (base && ref.path ? `${base.replace(/\/+$/, '')}${ref.path}` : undefined);
  if (!url || !source.secretCiphertext) return url;
  if (!box) {
    throw new AppError('unavailable:dependency', 'source credentials cannot be opened: no SOURCE_SECRET_KEY');
  }
  let secret: { username?: string | undefined; password?: string | undefined };
  try {
    secret = box.open(source.id, source.secretCiphertext);
  } catch (err) {
    if (err instanceof SealedSecretError) {
      throw new AppError('unavailable:dependency', 'source credentials cannot be opened', { cause: err });
    }
    throw err;
  }
  const user = encodeURIComponent(secret.username ?? '');
  const info = secret.password === undefined ? user : `${user}:${encodeURIComponent(secret.password)}`;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)(?:[^/@]*@)?/i, `$1${info}@`);
}

export interface UrlPullOptions {
  kind: SourceKind;
  /** Where relative stream paths of this kind's sources are pulled from (their connection settings). */
  base: (connection: Record<string, unknown>) => string | undefined;
  /** Opens the sealed credentials; without it, a source with credentials cannot be pulled. */
  secrets: SourceSecretBox | undefined;
}

/** The URL the node pulls for a camera's profile, credentials in (see {@link pulledStreamUrl}). */
export function streamUrlOf(
  o: UrlPullOptions,
  camera: CameraRecord,
  profile: StreamProfile,
): string | undefined {
  return pulledStreamUrl(
    o.secrets,
    camera.source,
    camera.profiles[profile],
    o.base(camera.source.connection),
  );
}

/**
 * A kind of source whose streams the media node pulls by URL (RTSP, with credentials opened only
 * at ensure-ingest time). No PTZ, no catalogue, unless the kind adds them.
 */
export function urlPullSource(o: UrlPullOptions): SourceAdapter {
  return {
    kind: o.kind,
    recordingSource(camera, profile) {
      const url = streamUrlOf(o, camera, profile);
      return url ? { kind: 'rtsp', url, transport: 'tcp' } : undefined;
    },
    stream(camera, profile) {
      const url = streamUrlOf(o, camera, profile);
      if (!url) throw new AppError('not_found:camera', `the camera has no ${profile} stream`);
      return {
        async ensure(node, controlSecret) {
          await ensureIngest(node.controlUrl, controlSecret, {
            cameraId: camera.facts.id,
            profile,
            source: { kind: 'rtsp', url, transport: 'tcp' },
          });
        },
      };
    },
  };
}
