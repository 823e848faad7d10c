import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTopK } from '../src/core/vector/top-k.js';
import { KERNEL_DOT, KERNEL_L2, WasmHeap } from '../src/core/vector/wasm-heap.js';

const k = new WasmHeap();
const raw = k.raw;

/** Arbitrary vector pairs of length 0..67 with values in [-100, 100]. */
const pairs = fc.integer({ min: 0, max: 67 }).chain((dim) =>
  fc.tuple(
    fc.float32Array({ minLength: dim, maxLength: dim, min: -100, max: 100, noNaN: true, noDefaultInfinity: true }),
    fc.float32Array({ minLength: dim, maxLength: dim, min: -100, max: 100, noNaN: true, noDefaultInfinity: true }),
  ),
);

function place(values: Float32Array): number {
  const ptr = k.alloc(Math.max(values.length * 4, 16));
  k.writeF32(ptr, values);
  return ptr;
}

function withPair<T>(a: Float32Array, b: Float32Array, fn: (pa: number, pb: number) => T): T {
  const pa = place(a);
  const pb = place(b);
  try {
    return fn(pa, pb);
  } finally {
    k.free(pa);
    k.free(pb);
  }
}

/** SIMD and scalar sum in different orders; the error bound scales with the sum of |terms|. */
function expectClose(simd: number, scalar: number, magnitude: number): void {
  expect(Math.abs(simd - scalar)).toBeLessThanOrEqual(1e-5 * magnitude + 1e-6);
}

describe('SIMD kernels equal their scalar twins', () => {
  it('dot', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) =>
        withPair(a, b, (pa, pb) => {
          const magnitude = a.reduce((sum, x, i) => sum + Math.abs(x * b[i]!), 0);
          expectClose(raw.dot(pa, pb, a.length), raw.dotScalar(pa, pb, a.length), magnitude);
        }),
      ),
      { numRuns: 500 },
    );
  });

  it('squared L2', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) =>
        withPair(a, b, (pa, pb) => {
          const magnitude = a.reduce((sum, x, i) => sum + (x - b[i]!) ** 2, 0);
          expectClose(raw.l2sq(pa, pb, a.length), raw.l2sqScalar(pa, pb, a.length), magnitude);
        }),
      ),
      { numRuns: 500 },
    );
  });

  it('cosine', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) =>
        withPair(a, b, (pa, pb) => {
          expectClose(raw.cosine(pa, pb, a.length), raw.cosineScalar(pa, pb, a.length), 1);
        }),
      ),
      { numRuns: 500 },
    );
  });

  it('every length from 0 to 67 is covered, including the scalar tail', () => {
    for (let dim = 0; dim <= 67; dim++) {
      const a = Float32Array.from({ length: dim }, (_, i) => (i % 7) - 3);
      const b = Float32Array.from({ length: dim }, (_, i) => (i % 5) - 2);
      const expected = a.reduce((sum, x, i) => sum + x * b[i]!, 0);
      withPair(a, b, (pa, pb) => {
        expect(raw.dot(pa, pb, dim)).toBe(expected);
        expect(raw.dotScalar(pa, pb, dim)).toBe(expected);
      });
    }
  });

  it('int8 dot against an int16 query', () => {
    const rows = fc.integer({ min: 1, max: 5 }).chain((chunks) => {
      const length = chunks * 16;
      return fc.tuple(
        fc.array(fc.integer({ min: -127, max: 127 }), { minLength: length, maxLength: length }),
        fc.array(fc.integer({ min: -127, max: 127 }), { minLength: length, maxLength: length }),
      );
    });
    fc.assert(
      fc.property(rows, ([row, query]) => {
        const pr = k.alloc(row.length);
        const pq = k.alloc(query.length * 2);
        k.i8.set(row, pr);
        k.i16.set(query, pq >>> 1);
        const expected = row.reduce((sum, x, i) => sum + x * query[i]!, 0);
        expect(raw.dotI8(pr, pq, row.length)).toBe(expected);
        expect(raw.dotI8Scalar(pr, pq, row.length)).toBe(expected);
        k.free(pr);
        k.free(pq);
      }),
      { numRuns: 300 },
    );
  });

  it('batch scores equal the pair kernels row by row, for both metrics', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 67 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (dim, count, seed) => {
        const base = Float32Array.from({ length: dim * count }, (_, i) => Math.sin(seed + i * 1.7) * 10);
        const query = Float32Array.from({ length: dim }, (_, i) => Math.cos(seed - i) * 10);
        const pb = place(base);
        const pq = place(query);
        const out = k.alloc(count * 4);
        for (const metric of [KERNEL_DOT, KERNEL_L2]) {
          raw.scoreBatch(metric, pq, pb, count, dim, out);
          const simd = k.f32.slice(out >>> 2, (out >>> 2) + count);
          raw.scoreBatchScalar(metric, pq, pb, count, dim, out);
          const scalar = k.f32.slice(out >>> 2, (out >>> 2) + count);
          for (let i = 0; i < count; i++) {
            const row = pb + i * dim * 4;
            const pair = metric === KERNEL_L2 ? -raw.l2sq(pq, row, dim) : raw.dot(pq, row, dim);
            expect(simd[i]).toBe(Math.fround(pair));
            let magnitude = 0;
            for (let d = 0; d < dim; d++) {
              const x = base[i * dim + d]!;
              magnitude += metric === KERNEL_L2 ? (x - query[d]!) ** 2 : Math.abs(x * query[d]!);
            }
            expectClose(simd[i]!, scalar[i]!, magnitude);
          }
        }
        k.free(pb);
        k.free(pq);
        k.free(out);
      }),
      { numRuns: 100 },
    );
  });
});

describe('top-k selection', () => {
  it('equals a full sort (higher score first, lower index on ties)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 0, maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        (values, topK) => {
          const scores = place(Float32Array.from(values));
          const out = k.alloc(topK * 8);
          const found = raw.selectTopK(scores, values.length, topK, out, out + topK * 4);
          const result = readTopK(k, out, out + topK * 4, found);
          const expected = values
            .map((score, label) => ({ score, label }))
            .sort((a, b) => b.score - a.score || a.label - b.label)
            .slice(0, topK);
          expect(Array.from(result.labels)).toEqual(expected.map((e) => e.label));
          expect(Array.from(result.scores)).toEqual(expected.map((e) => e.score));
          k.free(scores);
          k.free(out);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('int8 scans', () => {
  /** Integer rows and query, so every score below is exact in f32 and ties are common. */
  const cases = fc.record({
    chunks: fc.integer({ min: 1, max: 3 }),
    count: fc.integer({ min: 0, max: 120 }),
    topK: fc.integer({ min: 1, max: 30 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    filtered: fc.boolean(),
  });

  function setUp(paddedDim: number, count: number, seed: number) {
    let state = seed;
    const next = (range: number) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return (state % (2 * range + 1)) - range;
    };
    const rows = Int8Array.from({ length: paddedDim * count }, () => next(3));
    const query = Int16Array.from({ length: paddedDim }, () => next(3));
    const norms = Float32Array.from({ length: count }, () => next(8) + 8);
    const live = Uint32Array.from({ length: Math.ceil(count / 32) + 1 }, () => next(1 << 30) >>> 0);
    const pr = k.alloc(Math.max(rows.length, 16));
    const pq = k.alloc(query.length * 2);
    const pn = k.alloc(Math.max(count * 4, 16));
    const pb = k.alloc(live.length * 4);
    k.i8.set(rows, pr);
    k.i16.set(query, pq >>> 1);
    k.f32.set(norms, pn >>> 2);
    k.u32.set(live, pb >>> 2);
    const dots = rows.length === 0 ? [] : Array.from({ length: count }, (_, i) =>
      rows.subarray(i * paddedDim, (i + 1) * paddedDim).reduce((sum, x, d) => sum + x * query[d]!, 0));
    const isLive = (i: number) => ((live[i >>> 5]! >>> (i & 31)) & 1) === 1;
    const free = () => [pr, pq, pn, pb].forEach((ptr) => k.free(ptr));
    return { pr, pq, pn, pb, norms, dots, isLive, free };
  }

  it('batch integer dots equal the pair kernel, in blocks of four and the tail', () => {
    fc.assert(
      fc.property(cases, ({ chunks, count, seed }) => {
        const paddedDim = chunks * 16;
        const s = setUp(paddedDim, count, seed);
        const out = k.alloc(Math.max(count * 4, 16));
        raw.scoreBatchI8(s.pq, s.pr, count, paddedDim, out);
        expect(Array.from(k.i32.subarray(out >>> 2, (out >>> 2) + count))).toEqual(s.dots);
        k.free(out);
        s.free();
      }),
      { numRuns: 200 },
    );
  });

  it('top k equals a full sort of the same scores, with and without a bitset, for both metrics', () => {
    fc.assert(
      fc.property(cases, ({ chunks, count, topK, seed, filtered }) => {
        const paddedDim = chunks * 16;
        const s = setUp(paddedDim, count, seed);
        // Outputs need room for 2k entries: the scan selects through a buffer.
        const out = k.alloc(topK * 16);
        const scale = 0.5;
        const offset = 3;
        for (const metric of [KERNEL_DOT, KERNEL_L2]) {
          const l2 = metric === KERNEL_L2;
          // Two calls over the rows, split at a bitset word where `seed` says, build one buffer: as a scan over chunks does.
          const split = 32 * (seed % (Math.floor(count / 32) + 1));
          let size = raw.topkScanI8(
            metric, s.pq, s.pr, split, paddedDim, scale, offset, l2 ? s.pn : 0,
            filtered ? s.pb : 0, topK, out, out + topK * 8, 2 * topK, 0, -Infinity, 0,
          );
          size = raw.topkScanI8(
            metric, s.pq, s.pr + split * paddedDim, count - split, paddedDim, scale, offset, l2 ? s.pn + split * 4 : 0,
            filtered ? s.pb + split / 8 : 0, topK, out, out + topK * 8, 2 * topK, size, raw.lastBar(), split,
          );
          const found = raw.finishI8(out, out + topK * 8, size, topK);
          const result = readTopK(k, out, out + topK * 8, found);
          const expected = s.dots
            .map((dot, label) => ({ label, score: l2 ? 2 * offset + 2 * scale * dot - s.norms[label]! : offset + scale * dot }))
            .filter(({ label }) => !filtered || s.isLive(label))
            .sort((a, b) => b.score - a.score || a.label - b.label)
            .slice(0, topK);
          expect(Array.from(result.labels)).toEqual(expected.map((e) => e.label));
          expect(Array.from(result.scores)).toEqual(expected.map((e) => e.score));
        }
        k.free(out);
        s.free();
      }),
      { numRuns: 300 },
    );
  });

  it('top k refuses output buffers too small for its selection buffer instead of writing past them', () => {
    const s = setUp(16, 40, 7);
    const out = k.alloc(10 * 8);
    expect(() => raw.topkScanI8(KERNEL_DOT, s.pq, s.pr, 40, 16, 1, 0, 0, 0, 10, out, out + 40, 10, 0, -Infinity, 0)).toThrow(/2k entries/);
    k.free(out);
    s.free();
  });
});

describe('normalisation', () => {
  it('scales to unit length and returns the original norm', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 1, maxLength: 67, min: -100, max: 100, noNaN: true, noDefaultInfinity: true }),
        (values) => {
          const norm = Math.hypot(...values);
          fc.pre(norm > 1e-3);
          const ptr = place(values);
          expect(raw.normalize(ptr, values.length)).toBeCloseTo(norm, 2);
          const unit = k.f32.slice(ptr >>> 2, (ptr >>> 2) + values.length);
          expect(Math.hypot(...unit)).toBeCloseTo(1, 5);
          k.free(ptr);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves a zero vector as it is', () => {
    const ptr = place(new Float32Array(8));
    expect(raw.normalize(ptr, 8)).toBe(0);
    expect(Array.from(k.f32.slice(ptr >>> 2, (ptr >>> 2) + 8))).toEqual(new Array(8).fill(0));
    k.free(ptr);
  });
});

describe('f32 top k over blocks', () => {
  const cases = fc.record({
    dim: fc.integer({ min: 1, max: 40 }),
    blocks: fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 4 }),
    topK: fc.integer({ min: 1, max: 30 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    metric: fc.constantFrom(KERNEL_DOT, KERNEL_L2),
  });

  /** Small integers: every score is exact in f32, and ties are common. */
  function integers(length: number, seed: number): Float32Array {
    let state = seed;
    return Float32Array.from({ length }, () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return (state % 7) - 3;
    });
  }

  function expected(rows: Float32Array, query: Float32Array, dim: number, metric: number, keep: (label: number) => boolean) {
    const count = rows.length / dim;
    return Array.from({ length: count }, (_, label) => {
      let dot = 0;
      let l2 = 0;
      for (let d = 0; d < dim; d++) {
        dot += rows[label * dim + d]! * query[d]!;
        l2 += (rows[label * dim + d]! - query[d]!) ** 2;
      }
      return { label, score: metric === KERNEL_L2 ? 0 - l2 : dot };
    }).filter(({ label }) => keep(label)).sort((a, b) => b.score - a.score || a.label - b.label);
  }

  it('blocks scanned one after another (topkScan, then sortHeap) equal a full sort of every row', () => {
    fc.assert(
      fc.property(cases, ({ dim, blocks, topK, seed, metric }) => {
        const total = blocks.reduce((sum, n) => sum + n, 0);
        const rows = integers(total * dim, seed);
        const query = integers(dim, seed + 1);
        const pq = place(query);
        const out = k.alloc(topK * 8);
        let size = 0;
        let first = 0;
        const placed: number[] = [];
        for (const n of blocks) {
          const block = place(rows.subarray(first * dim, (first + n) * dim));
          placed.push(block);
          size = raw.topkScan(metric, pq, block, n, dim, 0, topK, out, out + topK * 4, size, first);
          first += n;
        }
        raw.sortHeap(out, out + topK * 4, size);
        const result = readTopK(k, out, out + topK * 4, size);
        const want = expected(rows, query, dim, metric, () => true).slice(0, topK);
        expect(Array.from(result.labels)).toEqual(want.map((e) => e.label));
        expect(Array.from(result.scores)).toEqual(want.map((e) => e.score));
        [pq, out, ...placed].forEach((ptr) => k.free(ptr));
      }),
      { numRuns: 300 },
    );
  });

  it('topkLabels reads each label from its chunk through the table', () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: 0, max: 3 }), ({ dim, blocks, topK, seed, metric }, shift) => {
        // Chunks of 2^shift rows, placed apart in memory; a table holds each chunk's start.
        const per = 2 ** shift;
        const total = blocks.reduce((sum, n) => sum + n, 0);
        const rows = integers(total * dim, seed);
        const query = integers(dim, seed + 1);
        const chunks = Math.ceil(total / per);
        const starts = Array.from({ length: chunks }, (_, c) => place(rows.subarray(c * per * dim, Math.min(total, (c + 1) * per) * dim)));
        const table = k.alloc(Math.max(16, chunks * 4));
        k.u32.set(starts, table >>> 2);
        const listed = Int32Array.from({ length: total }, (_, i) => i).filter((label) => (label * 7 + seed) % 3 !== 0);
        const labels = k.alloc(Math.max(16, listed.length * 4));
        k.i32.set(listed, labels >>> 2);
        const pq = place(query);
        const out = k.alloc(topK * 8);
        const size = raw.topkLabels(metric, pq, table, shift, dim, labels, listed.length, topK, out, out + topK * 4, 0);
        raw.sortHeap(out, out + topK * 4, size);
        const result = readTopK(k, out, out + topK * 4, size);
        const allowed = new Set(listed);
        const want = expected(rows, query, dim, metric, (label) => allowed.has(label)).slice(0, topK);
        expect(Array.from(result.labels)).toEqual(want.map((e) => e.label));
        [pq, out, table, labels, ...starts].forEach((ptr) => k.free(ptr));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the heap allocator', () => {
  it('views stay valid after linear memory grows', () => {
    const before = k.bytes;
    const small = place(Float32Array.of(1, 2, 3, 4));
    const big = k.alloc(before * 2);
    expect(k.bytes).toBeGreaterThan(before);
    expect(Array.from(k.f32.slice(small >>> 2, (small >>> 2) + 4))).toEqual([1, 2, 3, 4]);
    k.free(big);
    k.free(small);
  });

  it('grows the memory by the pages a block needs, not by doubling', () => {
    const heap = new WasmHeap();
    const block = heap.alloc(10 * 65_536);
    expect(heap.bytes).toBeLessThanOrEqual(12 * 65_536);
    heap.free(block);
  });

  it('reuses freed ranges, merged with their neighbours, before growing', () => {
    const heap = new WasmHeap();
    const a = heap.alloc(100_000);
    const b = heap.alloc(100_000);
    const c = heap.alloc(100_000);
    heap.free(a);
    heap.free(b);
    const bytes = heap.bytes;
    // a and b merged: a block of their combined size fits where they were.
    expect(heap.alloc(190_000)).toBe(a);
    expect(heap.bytes).toBe(bytes);
    heap.free(c);
  });

  it('grows the last block in place, keeping its contents, and moves a block that has a neighbour', () => {
    const heap = new WasmHeap();
    const first = heap.alloc(1024);
    heap.u8.fill(7, first, first + 1024);
    const last = heap.alloc(1024);
    heap.u8.fill(9, last, last + 1024);
    expect(heap.realloc(last, 1_000_000)).toBe(last);
    const moved = heap.realloc(first, 4096);
    expect(moved).not.toBe(first);
    expect(heap.u8.subarray(moved, moved + 1024).every((x) => x === 7)).toBe(true);
    expect(heap.u8.subarray(last, last + 1024).every((x) => x === 9)).toBe(true);
  });

  it('answers 0 for a block past its maximum, and is unchanged', () => {
    const heap = new WasmHeap(4 * 1024 * 1024);
    const used = heap.usedBytes;
    expect(heap.alloc(5 * 1024 * 1024)).toBe(0);
    expect(heap.usedBytes).toBe(used);
    expect(heap.alloc(3 * 1024 * 1024)).toBeGreaterThan(0);
  });
});
