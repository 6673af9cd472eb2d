import { describe, expect, it } from 'vitest';
import { AudSplitter, splitNalUnits } from './annexb.ts';

const hex = (parts: Uint8Array[]) => parts.map((p) => Buffer.from(p).toString('hex'));

describe('Annex B', () => {
  it.each([
    ['3- and 4-byte start codes', '00000001 6742 000001 68ce 0000000165 8888', ['6742', '68ce', '658888']],
    ['trailing zero bytes', '000001 0901 0000 00000001 4101', ['0901', '4101']],
    ['no start code', '6742abcd', []],
    ['empty units skipped', '000001 000001 6588', ['6588']],
  ])('splits NAL units: %s', (_name, input, nals) => {
    expect(hex(splitNalUnits(Buffer.from(input.replaceAll(' ', ''), 'hex')))).toEqual(nals);
  });

  it.each([1, 2, 5, 1000])(
    'cuts a stream into access units at delimiters, read %i bytes at a time',
    (size) => {
      const units = [
        '000000010910 00000001674d 0000000168ee 0000000165aa',
        '000000010930 0000000141bb',
        '000000010930 0000000141cc',
      ];
      const stream = Buffer.from(`0000000141ff${units.join('')}`.replaceAll(' ', ''), 'hex');
      const s = new AudSplitter();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...s.push(stream.subarray(i, i + size)));
      // The bytes before the first delimiter are dropped; the last unit waits for the next delimiter.
      expect(out.map((b) => b.toString('hex'))).toEqual(units.slice(0, 2).map((u) => u.replaceAll(' ', '')));
      expect(s.push(Buffer.from('0000000109', 'hex')).map((b) => b.toString('hex'))).toEqual([
        units[2]?.replaceAll(' ', ''),
      ]);
    },
  );
});
