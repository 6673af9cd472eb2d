import type { SourceSecretBox } from '../../registry/index.ts';
import type { SourceAdapter } from '../types.ts';
import { setting, type UrlPullOptions, urlPullSource } from '../url-pull.ts';

/** How RTSP sources are pulled: `connection.baseUrl` + each profile's path, or the profile's URL. */
export function rtspPull(secrets: SourceSecretBox | undefined): UrlPullOptions {
  return { kind: 'rtsp', base: (c) => setting(c.baseUrl), secrets };
}

/** RTSP sources (NVRs, encoders): the media node pulls the stream. */
export function rtspSource(deps: { secrets: SourceSecretBox | undefined }): SourceAdapter {
  return urlPullSource(rtspPull(deps.secrets));
}
