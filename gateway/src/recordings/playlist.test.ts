import { describe, expect, it } from 'vitest';
import { buildPlaylist, type PlaylistSegment, substitutePlaylist } from './playlist.ts';

const T0 = Date.parse('2026-12-08T01:00:00.000Z');
const SHA = (n: number) => n.toString(16).padStart(64, '0');

/** Segment n: [start, start + ms), on node `a`, 640x360 H.264 unless said otherwise. */
function seg(n: number, startMs: number, ms: number, o: Partial<PlaylistSegment> = {}): PlaylistSegment {
  return {
    startMs: T0 + startMs,
    endMs: T0 + startMs + ms,
    durationMs: ms,
    node: 'a',
    storageKey: `cam/sub/2026-12-08/${T0 + startMs}.mp4`,
    sha256: SHA(n),
    codec: 'h264',
    width: 640,
    height: 360,
    ...o,
  };
}

/** Node `a` is the playlist token's own (`?token=TA`); `b` has a token of its own. */
const nodes = new Map<string, { url: string; token: string | null }>([
  ['a', { url: 'http://a:4100', token: null }],
  ['b', { url: 'http://b:4100', token: 'TB' }],
]);
const played = (playlist: Buffer) => substitutePlaylist(playlist, new URLSearchParams('token=TA'));

/** The playlist without its header, segment URLs shortened to `node key off`. */
function body(segments: PlaylistSegment[], gaps: { fromMs: number; toMs: number }[] = []): string[] {
  const playlist = buildPlaylist({ segments, gaps, nodes });
  expect(playlist.toString().endsWith('#EXT-X-ENDLIST\n')).toBe(true);
  return played(playlist)
    .trim()
    .split('\n')
    .slice(5, -1)
    .map((l) =>
      l
        .replace(
          /^#EXT-X-MAP:URI="http:\/\/(\w):4100\/playback\/init\/cam\/sub\/2026-12-08\/(\d+)\.mp4\?token=(\w+)"$/,
          'MAP $1 $2 $3',
        )
        .replace(
          /^http:\/\/(\w):4100\/playback\/media\/cam\/sub\/2026-12-08\/(\d+)\.mp4\?off=(\d+)&sha=0*(\w+)&token=(\w+)$/,
          'SEG $1 $2 off=$3 sha=$4 $5',
        )
        .replace(String(T0), 'T0'),
    );
}

const PDT = (ms: number) => `#EXT-X-PROGRAM-DATE-TIME:${new Date(T0 + ms).toISOString()}`;

describe('buildPlaylist', () => {
  it('writes the header and says the node URLs, tokens and key prefix once (EXT-X-DEFINE)', () => {
    const text = buildPlaylist({ segments: [seg(1, 0, 2000), seg(2, 2000, 4100)], gaps: [], nodes });
    const lines = text.toString().split('\n');
    expect(lines.slice(0, 10)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:11',
      '#EXT-X-TARGETDURATION:5',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-DEFINE:QUERYPARAM="token"',
      '#EXT-X-DEFINE:NAME="n0",VALUE="http://a:4100"',
      '#EXT-X-DEFINE:NAME="n1",VALUE="http://b:4100"',
      '#EXT-X-DEFINE:NAME="t1",VALUE="TB"',
      '#EXT-X-DEFINE:NAME="k",VALUE="cam/sub/"',
    ]);
    expect(lines[10]).toBe(
      '#EXT-X-MAP:URI="{$n0}/playback/init/{$k}2026-12-08/' + T0 + '.mp4?token={$token}"',
    );
    expect(lines).toContain(
      `{$n0}/playback/media/{$k}2026-12-08/${T0}.mp4?off=0&sha=${SHA(1)}&token={$token}`,
    );
    // As a player reads it: the contract's URLs.
    expect(played(text).split('\n')).toContain(
      `http://a:4100/playback/media/cam/sub/2026-12-08/${T0}.mp4?off=0&sha=${SHA(1)}&token=TA`,
    );
  });

  it('an empty range is an empty VOD playlist', () => {
    expect(played(buildPlaylist({ segments: [], gaps: [], nodes }))).toBe(
      '#EXTM3U\n#EXT-X-VERSION:11\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-ENDLIST\n',
    );
  });

  it('writes a key that does not share the first key’s prefix in full', () => {
    const other = seg(2, 2000, 2000, { storageKey: 'id-abc/sub/2026-12-08/1.mp4' });
    expect(buildPlaylist({ segments: [seg(1, 0, 2000), other], gaps: [], nodes }).toString()).toContain(
      '{$n0}/playback/media/id-abc/sub/2026-12-08/1.mp4?',
    );
  });

  it.each<[string, PlaylistSegment[], { fromMs: number; toMs: number }[], string[]]>([
    [
      'contiguous segments: one MAP, one PDT, offsets add up the EXTINFs',
      [seg(1, 0, 2000), seg(2, 2000, 2040), seg(3, 4040, 1960)],
      [],
      [
        'MAP a T0 TA',
        PDT(0),
        '#EXTINF:2.000,',
        'SEG a T0 off=0 sha=1 TA',
        '#EXTINF:2.040,',
        `SEG a ${T0 + 2000} off=2000 sha=2 TA`,
        '#EXTINF:1.960,',
        `SEG a ${T0 + 4040} off=4040 sha=3 TA`,
      ],
    ],
    [
      'a hole under the tolerance (1 s) is no discontinuity',
      [seg(1, 0, 2000), seg(2, 3000, 2000)],
      [],
      [
        'MAP a T0 TA',
        PDT(0),
        '#EXTINF:2.000,',
        'SEG a T0 off=0 sha=1 TA',
        '#EXTINF:2.000,',
        `SEG a ${T0 + 3000} off=2000 sha=2 TA`,
      ],
    ],
    [
      'a hole over the tolerance: discontinuity and a new PDT, the offset continues',
      [seg(1, 0, 2000), seg(2, 3001, 2000)],
      [],
      [
        'MAP a T0 TA',
        PDT(0),
        '#EXTINF:2.000,',
        'SEG a T0 off=0 sha=1 TA',
        '#EXT-X-DISCONTINUITY',
        PDT(3001),
        '#EXTINF:2.000,',
        `SEG a ${T0 + 3001} off=2000 sha=2 TA`,
      ],
    ],
    [
      'a recorded gap, however short, is a discontinuity; gaps before the range are ignored',
      [seg(1, 0, 2000), seg(2, 2200, 2000), seg(3, 4200, 2000)],
      [
        { fromMs: T0 - 60_000, toMs: T0 - 50_000 },
        { fromMs: T0 + 2000, toMs: T0 + 2200 },
      ],
      [
        'MAP a T0 TA',
        PDT(0),
        '#EXTINF:2.000,',
        'SEG a T0 off=0 sha=1 TA',
        '#EXT-X-DISCONTINUITY',
        PDT(2200),
        '#EXTINF:2.000,',
        `SEG a ${T0 + 2200} off=2000 sha=2 TA`,
        '#EXTINF:2.000,',
        `SEG a ${T0 + 4200} off=4000 sha=3 TA`,
      ],
    ],
    [
      'a change of size: discontinuity and a new MAP',
      [seg(1, 0, 2000), seg(2, 2000, 2000, { width: 1280, height: 720 })],
      [],
      [
        'MAP a T0 TA',
        PDT(0),
        '#EXTINF:2.000,',
        'SEG a T0 off=0 sha=1 TA',
        '#EXT-X-DISCONTINUITY',
        `MAP a ${T0 + 2000} TA`,
        PDT(2000),
        '#EXTINF:2.000,',
        `SEG a ${T0 + 2000} off=2000 sha=2 TA`,
      ],
    ],
    [
      'H.265: a MAP on every segment (each transcoded segment has its own init)',
      [seg(1, 0, 2000, { codec: 'h265' }), seg(2, 2000, 2000, { codec: 'h265' })],
      [],
      [
        'MAP a T0 TA',
        PDT(0),
        '#EXTINF:2.000,',
        'SEG a T0 off=0 sha=1 TA',
        `MAP a ${T0 + 2000} TA`,
        '#EXTINF:2.000,',
        `SEG a ${T0 + 2000} off=2000 sha=2 TA`,
      ],
    ],
    [
      'segments on another node carry that node’s URL and token; one on an unknown node is left out',
      [
        seg(1, 0, 2000),
        seg(2, 2000, 2000, { node: 'b' }),
        seg(3, 4000, 2000, { node: 'gone' }),
        seg(4, 6000, 2000),
      ],
      [],
      [
        'MAP a T0 TA',
        PDT(0),
        '#EXTINF:2.000,',
        'SEG a T0 off=0 sha=1 TA',
        '#EXTINF:2.000,',
        `SEG b ${T0 + 2000} off=2000 sha=2 TB`,
        '#EXT-X-DISCONTINUITY',
        PDT(6000),
        '#EXTINF:2.000,',
        `SEG a ${T0 + 6000} off=4000 sha=4 TA`,
      ],
    ],
  ])('%s', (_name, segments, gaps, expected) => {
    expect(body(segments, gaps)).toEqual(expected);
  });

  it('builds a 24 h playlist (21,600 segments) whose EXTINFs add up to the offsets', () => {
    const segments = Array.from({ length: 21_600 }, (_, i) => seg(i + 1, i * 4000, 4000));
    const text = buildPlaylist({ segments, gaps: [], nodes });
    // ~160 bytes a segment: the URLs' common parts are variables.
    expect(text.length).toBeLessThan(21_600 * 170);
    const lines = played(text).split('\n');
    expect(lines.filter((l) => l.startsWith('#EXTINF:4.000,'))).toHaveLength(21_600);
    expect(lines.filter((l) => l.startsWith('#EXT-X-MAP'))).toHaveLength(1);
    expect(lines.at(-3)).toContain(`off=${21_599 * 4000}&`);
  });
});
