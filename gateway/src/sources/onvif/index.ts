import type { SourceSecretBox } from '../../registry/index.ts';
import type { SourceAdapter } from '../types.ts';
import { setting, urlPullSource } from '../url-pull.ts';

/**
 * ONVIF sources as filed today: their streams are pulled over RTSP from `connection.rtspBaseUrl`,
 * like an RTSP source. The ONVIF protocol (WS-Discovery, GetStreamUri, the PTZ service) is issue 17's
 * work; until it lands such a source has no PTZ (422 ptz:unsupported) and no catalogue (409
 * conflict:state), as the registry's kind table says.
 */
export function onvifSource(deps: { secrets: SourceSecretBox | undefined }): SourceAdapter {
  return urlPullSource({ kind: 'onvif', base: (c) => setting(c.rtspBaseUrl), secrets: deps.secrets });
}
