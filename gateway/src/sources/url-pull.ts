import { AppError, type SourceKind, type StreamProfile, type StreamRef } from '@wall/protocol';
import type { CameraRecord, SourceStreamRow } from '../cameras/facts.ts';
import { SealedSecretError, type SourceSecretBox } from './secrets.ts';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** Where relative stream paths of each kind of source are pulled from; GB/T 28181 streams are INVITEd, not pulled. */
const STREAM_BASE: Record<SourceKind, (connection: Record<string, unknown>) => string | undefined> = {
  rtsp: (c) => str(c.baseUrl),
  onvif: (c) => str(c.rtspBaseUrl),
  gb28181: () => undefined,
};

/**
 * The URL a media node pulls for one stream profile, with the source's credentials put in as user
 * info (percent-encoded). Give it only to a media node at ensure-ingest time: never log it, never
 * return it to a browser. `undefined` when the camera has no such profile or the source is not
 * pulled by URL. Throws `unavailable:dependency` when the credentials cannot be opened (no key, or
 * a key the gateway lacks).
 */
export function sourceUrlWithSecret(
  box: SourceSecretBox | undefined,
  source: SourceStreamRow,
  ref: StreamRef | undefined,
): string | undefined {
  if (!ref) return undefined;
  const base = STREAM_BASE[source.kind]?.(source.connection);
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

/**
 * `(camera, profile) → URL with credentials` for live access, from the camera record the access
 * decision already read (its source row carries the sealed credentials, opened only here).
 */
export function createSourceUrlResolver(box: SourceSecretBox | undefined) {
  return (camera: CameraRecord, profile: StreamProfile): string | undefined =>
    sourceUrlWithSecret(box, camera.source, camera.profiles[profile]);
}
