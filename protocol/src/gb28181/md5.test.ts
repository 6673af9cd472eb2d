import { describe, expect, it } from 'vitest';
import { md5Hex } from './md5.ts';

describe('md5', () => {
  // RFC 1321 appendix A.5 test suite.
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    [
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
      '57edf4a22be3c955ac49da2e2107b67a',
    ],
  ])('RFC 1321: MD5(%j)', (input, hex) => {
    expect(md5Hex(input)).toBe(hex);
  });

  it('hashes bytes and lengths around the 56-byte padding boundary', () => {
    // Values from python hashlib.md5(bytes(range(n))).hexdigest().
    const vectors: [number, string][] = [
      [55, '6912ee65fff2d9f9ce2508cddf8bcda0'],
      [56, '51fdd1acda72405dfdfa03fcb85896d7'],
      [64, 'b2d3f56bc197fd985d5965079b5e7148'],
      [200, 'fb7001d34b8e82c9b579be5005d5b0a5'],
    ];
    for (const [n, hex] of vectors) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
      expect(md5Hex(bytes)).toBe(hex);
    }
  });

  it('hashes UTF-8 text as its bytes', () => {
    // python: hashlib.md5('天宁区'.encode()).hexdigest()
    expect(md5Hex('天宁区')).toBe('4202ae6c36141142ca2d392b5421733e');
  });
});
