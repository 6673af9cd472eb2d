import type { SourceSecretBox } from '../../registry/index.ts';
import type { SourceAdapter } from '../types.ts';
import { setting, urlPullSource } from '../url-pull.ts';

/**
 * ONVIF sources: the streams are pulled over RTSP from `connection.rtspBaseUrl`. ONVIF itself
 * (device discovery, GetStreamUri, PTZ service) is not implemented: no PTZ (422 ptz:unsupported),
 * no catalogue (409 conflict:state).
 */
export function onvifSource(deps: { secrets: SourceSecretBox | undefined }): SourceAdapter {
  return urlPullSource({ kind: 'onvif', base: (c) => setting(c.rtspBaseUrl), secrets: deps.secrets });
}
