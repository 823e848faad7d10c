/**
 * f32 rows by label, in chunks of WebAssembly memory (chunks.ts), and the
 * exact top-k scans over them: every live row, the rows a candidate bitset
 * allows, or a list of labels.
 */
import { EMPTY_RANKED, type RankedLabels } from '../ranked.js';
import type { KernelMetric } from './wasm-heap.js';
import { Chunks } from './chunks.js';
import type { VectorMemory } from './vector-memory.js';
import { align16, carryIn, carryOut, chunkBitset, readTopK, type Carry } from './top-k.js';

const BYTES_F32 = 4;
/** Labels handed to one topkLabels call: bounds the scratch a long candidate list needs. */
const LABEL_BATCH = 65_536;

export class F32Vectors {
  readonly dim: number;
  readonly chunks: Chunks;

  constructor(memory: VectorMemory, dim: number) {
    this.dim = dim;
    this.chunks = new Chunks(memory, [dim * BYTES_F32]);
  }

  get liveCount(): number {
    return this.chunks.liveCount;
  }

  get highWater(): number {
    return this.chunks.highWater;
  }

  /** Bytes of WebAssembly memory held. */
  get bytes(): number {
    return this.chunks.bytes;
  }

  /** Makes room for every label below `rows` (throws OUT_OF_MEMORY, changing no row). */
  reserve(rows: number): void {
    this.chunks.ensure(rows);
  }

  isLive(label: number): boolean {
    return this.chunks.isLive(label);
  }

  /** Writes the vector at `label` (room is made if `reserve` did not). */
  write(label: number, vector: ArrayLike<number>): void {
    this.chunks.ensure(label + 1);
    const heap = this.chunks.heapOf(label >>> this.chunks.shift);
    heap.writeF32(this.chunks.rowPointer(label, 0), vector);
    this.chunks.markLive(label);
  }

  remove(label: number): void {
    this.chunks.markDead(label);
  }

  /** A copy of the row at `label`. */
  read(label: number): Float32Array {
    const heap = this.chunks.heapOf(label >>> this.chunks.shift);
    const start = this.chunks.rowPointer(label, 0) >>> 2;
    return heap.f32.slice(start, start + this.dim);
  }

  /** Calls `visit` with a view of every live row (valid during the call only). */
  forEachLive(visit: (row: Float32Array, label: number) => void): void {
    const { chunks, dim } = this;
    for (let c = 0; c < chunks.chunkCount; c++) {
      const rows = chunks.rowsIn(c);
      const heap = chunks.heapOf(c);
      const start = chunks.sectionPointer(c, 0) >>> 2;
      for (let i = 0; i < rows; i++) {
        const label = c * chunks.rowsPerChunk + i;
        if (chunks.isLive(label)) visit(heap.f32.subarray(start + i * dim, start + (i + 1) * dim), label);
      }
    }
  }

  /**
   * Exact top k over every live row, or only the rows set in `candidates`
   * (a bitset over labels, already restricted to live rows by the caller).
   */
  topK(metric: KernelMetric, query: ArrayLike<number>, k: number, candidates?: Uint32Array): RankedLabels {
    const { chunks, dim } = this;
    const limit = Math.min(k, chunks.liveCount);
    if (limit === 0) return EMPTY_RANKED;
    const queryBytes = align16(dim * BYTES_F32);
    const bitsBytes = candidates ? align16(chunks.rowsPerChunk / 8) : 0;
    const outBytes = align16(limit * 4);
    const groups = chunks.groups();
    let carry: Carry | undefined;
    for (let g = 0; g < groups.length; g++) {
      const { heap, chunks: inHeap } = groups[g]!;
      const base = heap.scratch(queryBytes + bitsBytes + 2 * outBytes);
      const bits = base + queryBytes;
      const labelsOut = bits + bitsBytes;
      const scoresOut = labelsOut + outBytes;
      heap.writeF32(base, query);
      let size = carryIn(heap, carry, labelsOut, scoresOut);
      const raw = heap.raw;
      for (const c of inHeap) {
        const bitset = chunkBitset(heap, chunks, c, candidates, bits);
        if (bitset < 0) continue;
        size = raw.topkScan(metric, base, chunks.sectionPointer(c, 0), chunks.rowsIn(c), dim, bitset, limit, labelsOut, scoresOut, size, c << chunks.shift);
      }
      if (g < groups.length - 1) {
        carry = carryOut(heap, labelsOut, scoresOut, size);
        continue;
      }
      raw.sortHeap(labelsOut, scoresOut, size);
      return readTopK(heap, labelsOut, scoresOut, size);
    }
    return EMPTY_RANKED;
  }

  /** Exact top k among the listed labels (each must be live). */
  topKOfLabels(metric: KernelMetric, query: ArrayLike<number>, labels: Int32Array, k: number): RankedLabels {
    const { chunks, dim } = this;
    const limit = Math.min(k, labels.length);
    if (limit === 0) return EMPTY_RANKED;
    const groups = chunks.groups();
    const parts = groups.length === 1 ? [labels] : this.#byHeap(labels, groups.length);
    const queryBytes = align16(dim * BYTES_F32);
    const tableBytes = align16(chunks.chunkCount * 4);
    const outBytes = align16(limit * 4);
    let carry: Carry | undefined;
    let last = parts.length - 1;
    while (last > 0 && parts[last]!.length === 0) last--;
    for (let g = 0; g <= last; g++) {
      const list = parts[g]!;
      if (list.length === 0) continue;
      const { heap } = groups[g]!;
      const batch = Math.min(list.length, LABEL_BATCH);
      const base = heap.scratch(queryBytes + tableBytes + align16(batch * 4) + 2 * outBytes);
      const table = base + queryBytes;
      const labelsIn = table + tableBytes;
      const labelsOut = labelsIn + align16(batch * 4);
      const scoresOut = labelsOut + outBytes;
      heap.writeF32(base, query);
      heap.u32.set(chunks.table(heap, 0), table >>> 2);
      let size = carryIn(heap, carry, labelsOut, scoresOut);
      for (let from = 0; from < list.length; from += batch) {
        const part = list.subarray(from, from + batch);
        heap.i32.set(part, labelsIn >>> 2);
        size = heap.raw.topkLabels(metric, base, table, chunks.shift, dim, labelsIn, part.length, limit, labelsOut, scoresOut, size);
      }
      if (g < last) {
        carry = carryOut(heap, labelsOut, scoresOut, size);
        continue;
      }
      heap.raw.sortHeap(labelsOut, scoresOut, size);
      return readTopK(heap, labelsOut, scoresOut, size);
    }
    return EMPTY_RANKED;
  }

  /** Frees the rows; they must not be used after. */
  dispose(): void {
    this.chunks.dispose();
  }

  /** `labels` split by the heap group their chunk lies in. */
  #byHeap(labels: Int32Array, groupCount: number): Int32Array[] {
    const { chunks } = this;
    const groupOf = new Int32Array(chunks.chunkCount);
    chunks.groups().forEach((group, g) => {
      for (const c of group.chunks) groupOf[c] = g;
    });
    const counts = new Int32Array(groupCount);
    for (const label of labels) counts[groupOf[label >>> chunks.shift]!]!++;
    const parts = Array.from(counts, (n) => new Int32Array(n));
    counts.fill(0);
    for (const label of labels) {
      const g = groupOf[label >>> chunks.shift]!;
      parts[g]![counts[g]!++] = label;
    }
    return parts;
  }
}
