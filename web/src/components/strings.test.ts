import { describe, expect, it } from 'vitest';
import { type Lang, messages } from '../lib/i18n';
import { emergencyStrings, reasonWords } from './emergency/strings';
import { denialText, mapMessages } from './map/strings';
import { playbackStrings, refusalText } from './playback/strings';
import { shellStrings } from './shell/strings';
import { reasonText, TIER_NAMES, wallStrings } from './wall/strings';

/** A string function's answer to the first sample arguments it accepts (numbers, ids, titles). */
function callWithSamples(f: (...a: unknown[]) => unknown): unknown {
  const samples: unknown[][] = [
    [3, 7, 2],
    ['0123456789abcdef', 3, 2],
    ['0123456789abcdef', '0123456789abcdef', 2],
  ];
  for (const args of samples) {
    try {
      const v = f(...args);
      if (typeof v === 'string') return v;
    } catch {
      // not these arguments
    }
  }
  return undefined;
}

/** Every key path of a strings table, with a function's answer to sample arguments as its leaf. */
function leaves(value: unknown, path = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value === 'function') {
    out.set(path, callWithSamples(value as (...a: unknown[]) => unknown));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) for (const [p, l] of leaves(v, `${path}.${k}`)) out.set(p, l);
  } else {
    out.set(path, value);
  }
  return out;
}

const TABLES: [string, (lang: Lang) => unknown][] = [
  ['login (lib/i18n)', messages],
  ['wall', wallStrings],
  ['map', mapMessages],
  ['emergency', emergencyStrings],
  ['shell', shellStrings],
  ['playback', playbackStrings],
  ['tier names', (lang) => TIER_NAMES[lang]],
];

const HAN = /\p{Script=Han}/u;

describe.each(TABLES)('the %s strings', (_name, table) => {
  const zh = leaves(table('zh'));
  const en = leaves(table('en'));

  it('have the same keys in Chinese and English', () => {
    expect([...en.keys()].sort()).toEqual([...zh.keys()].sort());
    expect(zh.size).toBeGreaterThan(0);
  });

  it('are all non-empty strings', () => {
    for (const [path, v] of [...zh, ...en]) {
      expect(typeof v, path).toBe('string');
      expect((v as string).trim().length, path).toBeGreaterThan(0);
    }
  });

  it('English has no Chinese text left in it', () => {
    // The language switch of the Chinese table is the one English word allowed there, and back.
    for (const [path, v] of en)
      if (!path.endsWith('switchLang')) expect(HAN.test(String(v)), `${path}: ${v}`).toBe(false);
  });
});

/** Codes a tile, a preview or a console may show (from the gateway, the media node, the live client). */
const TILE_CODES = [
  'forbidden:grade',
  'forbidden:tier',
  'forbidden:private',
  'forbidden:role',
  'forbidden:state',
  'forbidden:wall',
  'not_found:camera',
  'not_found:wall',
  'unauthenticated',
  'auth:required',
  'unavailable:dependency',
  'stream:offline',
  'stream:not_ingested',
  'stream:unsupported_codec',
  'revoked:signed_out',
  'revoked:grant_ended',
  'revoked:rights_changed',
  'revoked:camera_out_of_service',
  'revoked:token_expired',
  'token:expired',
  'rate_limited',
  'conflict:version',
  'client:network',
  'client:timeout',
  'client:unsupported',
  'client:transport_failed',
  'internal',
  // Wall playback (issue 13): a tile in playback, the playback bar.
  'conflict:state',
  'forbidden:retrieval',
  'invalid:range',
  'recording:damaged',
  'recording:missing',
  'recording:codec',
  'recording:transcode_busy',
  'recording:transcode_failed',
  'playback:not_recorded',
  'client:media',
];

describe('codes in words', () => {
  it.each(TILE_CODES)('a tile says %s in both languages', (code) => {
    const zh = reasonText('zh', code);
    const en = reasonText('en', code);
    expect(zh).not.toBe(code);
    expect(en).not.toBe(code);
    expect(HAN.test(zh)).toBe(true);
    expect(HAN.test(en)).toBe(false);
  });

  it('an unknown code is shown as itself', () => {
    expect(reasonText('zh', 'brand:new')).toBe('brand:new');
    expect(denialText('en', 'brand:new')).toBe('brand:new');
    expect(reasonWords('zh', 'brand:new')).toBe('brand:new');
  });

  it.each(['forbidden:grade', 'forbidden:private', 'stream:offline', 'rate_limited'])(
    'the map preview words %s with its code in both languages',
    (code) => {
      expect(denialText('zh', code)).toMatch(new RegExp(`\\p{Script=Han}.* \\(${code}\\)$`, 'u'));
      expect(denialText('en', code)).toMatch(new RegExp(`^[^\\p{Script=Han}]+ \\(${code}\\)$`, 'u'));
    },
  );

  it.each([
    'forbidden:retrieval',
    'forbidden:tier',
    'not_found:camera',
    'playback:not_recorded',
    'client:media',
  ])('the playback page words %s with its code in both languages', (code) => {
    expect(refusalText('zh', code)).toMatch(new RegExp(`\\p{Script=Han}.* \\(${code}\\)$`, 'u'));
    expect(refusalText('en', code)).toMatch(new RegExp(`^[^\\p{Script=Han}]+ \\(${code}\\)$`, 'u'));
  });

  it.each(['forbidden:same_person', 'conflict:lapsed', 'client:network'])(
    'the incident pages word %s in both languages',
    (code) => {
      expect(reasonWords('zh', code)).not.toBe(code);
      expect(reasonWords('en', code)).not.toBe(code);
    },
  );
});
