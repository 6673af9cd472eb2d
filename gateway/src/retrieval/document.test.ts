import { describe, expect, it } from 'vitest';
import { sniffDocumentType } from './document.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

describe('sniffDocumentType', () => {
  it.each([
    ['a PDF', text('%PDF-1.7\n%âãÏÓ\n'), 'application/pdf'],
    ['a PNG', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13), 'image/png'],
    ['a JPEG (JFIF)', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16), 'image/jpeg'],
    ['a JPEG (Exif)', bytes(0xff, 0xd8, 0xff, 0xe1), 'image/jpeg'],
    ['an empty file', bytes(), null],
    ['a truncated PNG signature', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a), null],
    ['"%PDF" without the dash', text('%PDF1.7'), null],
    ['a PNG signature with one wrong byte', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b), null],
    ['a GIF', text('GIF89a'), null],
    ['an ELF executable', bytes(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1), null],
    ['a ZIP (docx)', bytes(0x50, 0x4b, 0x03, 0x04), null],
    ['HTML claiming to be a PDF', text('<html>%PDF-1.7'), null],
    ['a PDF header after a leading space', text(' %PDF-1.7'), null],
  ])('%s → %s', (_name, input, expected) => {
    expect(sniffDocumentType(input)).toBe(expected);
  });
});
