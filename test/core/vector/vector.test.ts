/**
 * The vector store in WebAssembly memory: rows in chunks over several heaps
 * (src/core/vector/), checked against a plain JavaScript reference, and
 * the sizes it reaches: past the old 1 GiB limit of one allocation, with
 * memory that follows the rows held.
 */
import { describe, expect, it } from 'vitest';
import { resolveCollectionOptions } from '../../../src/core/collection/collection-options.js';
import { INT8_FIT_SAMPLE } from '../../../src/core/options.js';
import { F32Vectors } from '../../../src/core/vector/f32-vectors.js';
import { FlatIndex } from '../../../src/core/vector/flat-index.js';
import { VectorMemory } from '../../../src/core/vector/vector-memory.js';
import { KERNEL_DOT, KERNEL_L2 } from '../../../src/core/vector/wasm-heap.js';
import { randomVectors } from '../../fixtures/random.js';

/** Labels best first by exact score (higher = closer), ties by lower label. */
function reference(rows: Float32Array, dim: number, query: Float32Array, metric: number, keep: (label: number) => boolean): number[] {
  const scored: { label: number; score: number }[] = [];
  for (let label = 0; label < rows.length / dim; label++) {
    if (!keep(label)) continue;
    let dot = 0;
    let l2 = 0;
    for (let d = 0; d < dim; d++) {
      dot += rows[label * dim + d]! * query[d]!;
      l2 += (rows[label * dim + d]! - query[d]!) ** 2;
    }
    scored.push({ label, score: metric === KERNEL_L2 ? -l2 : dot });
  }
  return scored.sort((a, b) => b.score - a.score || a.label - b.label).map((entry) => entry.label);
}

describe('f32 rows in chunks over several WebAssembly memories', () => {
  const dim = 64;
  const count = 8000;
  const data = randomVectors(count, dim, 11);
  const queries = randomVectors(10, dim, 12);

  it('answers every scan (all rows, a candidate bitset, a label list) as a plain reference does', () => {
    // Chunks of 32 rows (8 KiB) in heaps of 1 MiB: 250 chunks over three heaps.
    const memory = new VectorMemory({ chunkBytes: 8192, heapBytes: 2 ** 20 });
    const rows = new F32Vectors(memory, dim);
    rows.reserve(count);
    for (let label = 0; label < count; label++) rows.write(label, data.subarray(label * dim, (label + 1) * dim));
    const deleted = (label: number) => label % 7 === 3;
    for (let label = 0; label < count; label++) if (deleted(label)) rows.remove(label);
    expect(rows.chunks.rowsPerChunk).toBe(32);
    expect(memory.heaps.length).toBeGreaterThanOrEqual(3);

    const allowed = (label: number) => !deleted(label) && label % 5 === 1;
    const bitset = new Uint32Array(Math.ceil(count / 32));
    for (let label = 0; label < count; label++) if (allowed(label)) bitset[label >>> 5]! |= 1 << (label & 31);
    const list = Int32Array.from({ length: count }, (_, label) => label).filter(allowed);
    for (const metric of [KERNEL_DOT, KERNEL_L2] as const) {
      for (let q = 0; q < 10; q++) {
        const query = queries.subarray(q * dim, (q + 1) * dim);
        const live = (label: number) => !deleted(label);
        expect(Array.from(rows.topK(metric, query, 25).labels)).toEqual(reference(data, dim, query, metric, live).slice(0, 25));
        const filtered = reference(data, dim, query, metric, allowed).slice(0, 25);
        expect(Array.from(rows.topK(metric, query, 25, bitset).labels)).toEqual(filtered);
        expect(Array.from(rows.topKOfLabels(metric, query, list, 25).labels)).toEqual(filtered);
      }
    }
    expect(rows.read(4001)).toEqual(data.subarray(4001 * dim, 4002 * dim));
    rows.dispose();
  });

  it('holds more than 1 GiB of vectors: past the old limit of one allocation in one memory', () => {
    // 180,000 rows of dim 1536 are 1.03 GiB of f32: before chunks, the arena could not grow past 1 GiB.
    const wide = 1536;
    const rowCount = 180_000;
    const memory = new VectorMemory();
    const rows = new F32Vectors(memory, wide);
    const row = new Float32Array(wide);
    for (let label = 0; label < rowCount; label++) {
      // Row `label` points along axis label % wide, scaled by how far along the rows it is.
      row.fill(0);
      row[label % wide] = 1 + label / rowCount;
      rows.write(label, row);
    }
    expect(rows.liveCount).toBe(rowCount);
    expect(rows.bytes).toBeGreaterThan(2 ** 30);
    // Bytes of memory follow the rows held: no doubling, no second copy.
    expect(memory.bytes).toBeLessThan(rowCount * wide * 4 * 1.02 + 64 * 2 ** 20);
    const query = new Float32Array(wide);
    query[5] = 1;
    // The best dot product along axis 5 is the last row on that axis.
    const last = rowCount - 1 - ((rowCount - 1 - 5) % wide);
    const top = rows.topK(KERNEL_DOT, query, 3);
    expect(Array.from(top.labels)).toEqual([last, last - wide, last - 2 * wide]);
    expect(top.scores[0]).toBeCloseTo(1 + last / rowCount, 5);
    rows.dispose();
  });

  it('takes memory as the rows arrive, a page at a time: within 15% of the rows held', () => {
    const memory = new VectorMemory();
    const rows = new F32Vectors(memory, 128);
    const row = new Float32Array(128).fill(0.5);
    for (const size of [1_000, 30_000, 100_000]) {
      for (let label = rows.highWater; label < size; label++) rows.write(label, row);
      expect(memory.bytes).toBeLessThan(size * 128 * 4 * 1.15 + 2 ** 20);
    }
    rows.dispose();
  });
});

describe('an int8 index', () => {
  const dim = 48;
  const count = INT8_FIT_SAMPLE + 2000;
  const data = randomVectors(count, dim, 21);
  const queries = randomVectors(20, dim, 22);

  it('keeps only int8 codes once fitted, re-ranks from its row source, and finds the exact top 10', () => {
    const memory = new VectorMemory();
    const options = resolveCollectionOptions({ dimension: dim, metric: 'l2', quantization: 'int8' }, 1);
    let reads = 0;
    const index = new FlatIndex(options, memory, (label) => {
      reads++;
      return label < count ? data.slice(label * dim, (label + 1) * dim) : undefined;
    });
    const batch = 1000;
    for (let from = 0; from < count; from += batch) {
      const vectors = Array.from({ length: Math.min(batch, count - from) }, (_, i) => data.slice((from + i) * dim, (from + i + 1) * dim));
      index.prepare(from + vectors.length, vectors);
      vectors.forEach((vector, i) => index.add(from + i, vector));
    }
    expect(index.encoded).toBe(true);
    // Codes (48 bytes padded to 64) and a norm per row: no f32 rows.
    expect(index.memoryBytes).toBeLessThan(count * (64 + 4) * 1.2 + 2 ** 16);
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      reads = 0;
      const top = index.search(query, 10);
      expect(reads).toBe(10 * options.rerank);
      const exact = reference(data, dim, query, KERNEL_L2, () => true).slice(0, 10);
      found += Array.from(top.labels).filter((label) => exact.includes(label)).length;
      // The scores are the exact f32 scores of the rows read back.
      const best = top.labels[0]!;
      const l2 = data.subarray(best * dim, (best + 1) * dim).reduce((sum, x, d) => sum + (x - query[d]!) ** 2, 0);
      expect(top.scores[0]).toBeCloseTo(-l2, 3);
      // quantized: false scores every row in f32: exactly the reference.
      expect(Array.from(index.search(query, 10, { quantized: false }).labels)).toEqual(exact);
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.99);
    index.dispose();
  });
});
