import fc from 'fast-check';

/**
 * Test support for the fuzz tests (not exported from the package): run counts and a mutation
 * arbitrary. Protocol code has no Node types, so the environment is read through a typed view of
 * `globalThis`.
 */

/** How many inputs each fuzz target runs: `FUZZ_RUNS`, default 10 000. */
export function fuzzRuns(fallback = 10_000): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const raw = env?.FUZZ_RUNS;
  const n = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

interface Mutation {
  op: number;
  pos: number;
  len: number;
  value: number;
}

function applyMutations(
  sample: Uint8Array,
  mutations: Mutation[],
  dictionary: readonly Uint8Array[],
): Uint8Array {
  let out = sample;
  for (const m of mutations) {
    const pos = out.length === 0 ? 0 : m.pos % (out.length + 1);
    const len = 1 + (m.len % 64);
    switch (m.op % 6) {
      case 0: {
        // Flip one bit.
        if (pos < out.length) {
          out = out.slice();
          out[pos] = (out[pos] as number) ^ (1 << (m.value & 7));
        }
        break;
      }
      case 1: {
        // Overwrite one byte.
        if (pos < out.length) {
          out = out.slice();
          out[pos] = m.value & 0xff;
        }
        break;
      }
      case 2: {
        // Insert a dictionary token (delimiters, numbers, start codes…).
        const token =
          dictionary.length > 0
            ? (dictionary[m.value % dictionary.length] as Uint8Array)
            : Uint8Array.of(m.value & 0xff);
        out = new Uint8Array([...out.subarray(0, pos), ...token, ...out.subarray(pos)]);
        break;
      }
      case 3:
        out = new Uint8Array([...out.subarray(0, pos), ...out.subarray(pos + len)]);
        break;
      case 4:
        out = new Uint8Array([...out.subarray(0, pos + len), ...out.subarray(pos)]);
        break;
      default:
        out = out.subarray(0, pos);
        break;
    }
  }
  return out;
}

/** Valid samples with 1–`maxMutations` random mutations (bit flips, byte sets, token inserts, cuts, repeats). */
export function mutatedBytes(
  samples: readonly Uint8Array[],
  dictionary: readonly Uint8Array[] = [],
  maxMutations = 8,
): fc.Arbitrary<Uint8Array> {
  const mutation = fc.record({
    op: fc.nat(),
    pos: fc.nat(),
    len: fc.nat(),
    value: fc.nat(),
  });
  return fc
    .tuple(fc.nat({ max: samples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: maxMutations }))
    .map(([i, ms]) => applyMutations(samples[i] as Uint8Array, ms, dictionary));
}

/** Cuts bytes into chunks at the given (sorted, deduplicated) offsets. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Milliseconds since an arbitrary origin (DOM lib typing; Node and browsers both have it). */
export function now(): number {
  return performance.now();
}
