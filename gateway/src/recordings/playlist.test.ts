import { describe, expect, it } from 'vitest';
import { buildPlaylist, type PlaylistSegment } from './playlist.ts';

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

const nodes = new Map([
  ['a', { url: 'http://a:4100', token: 'TA' }],
  ['b', { url: 'http://b:4100', token: 'TB' }],
]);

/** The playlist without its header, segment URLs shortened to `node key off`. */
function body(segments: PlaylistSegment[], gaps: { fromMs: number; toMs: number }[] = []): string[] {
  const text = buildPlaylist({ segments, gaps, nodes });
  expect(text.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
  return text
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
  it('writes the header: version 7, target duration rounded up, VOD, independent segments', () => {
    const text = buildPlaylist({ segments: [seg(1, 0, 2000), seg(2, 2000, 4100)], gaps: [], nodes });
    expect(text.split('\n').slice(0, 5)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:5',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-INDEPENDENT-SEGMENTS',
    ]);
  });

  it('an empty range is an empty VOD playlist', () => {
    expect(buildPlaylist({ segments: [], gaps: [], nodes })).toBe(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-ENDLIST\n',
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
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('#EXTINF:4.000,'))).toHaveLength(21_600);
    expect(lines.filter((l) => l.startsWith('#EXT-X-MAP'))).toHaveLength(1);
    expect(lines.at(-3)).toContain(`off=${21_599 * 4000}&`);
  });
});
