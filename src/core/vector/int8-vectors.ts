/**
 * int8 codes of a collection's vectors by label, in chunks of WebAssembly
 * memory (chunks.ts), with each row's squared f32 norm (for l2), and the
 * int8 scan that shortlists candidates for an f32 re-rank. The codes are a
 * quarter of the f32 rows' size; the f32 rows themselves are not kept (the
 * collection re-ranks from its store).
 */
import { EMPTY_RANKED, type RankedLabels } from '../ranked.js';
import { createError } from '../errors.js';
import { KERNEL_L2, type KernelMetric, type WasmHeap } from './wasm-heap.js';
import { Chunks } from './chunks.js';
import type { Quantizer } from './quantizer.js';
import type { VectorMemory } from './vector-memory.js';
import { align16, carryIn, carryOut, chunkBitset, readTopK, type Carry } from './top-k.js';

const BYTES_F32 = 4;
/** Sections of a chunk: the codes, then the squared norms. */
const CODES = 0;
const NORMS = 1;

export class Int8Vectors {
  readonly dim: number;
  /** Codes are padded to a multiple of 16 bytes, the kernels' step. */
  readonly paddedDim: number;
  readonly quantizer: Quantizer;
  readonly chunks: Chunks;
  /** Per heap, a block holding center | inverseStep | step, for the kernels there. */
  readonly #params = new Map<WasmHeap, number>();

  constructor(memory: VectorMemory, quantizer: Quantizer) {
    this.dim = quantizer.dim;
    this.paddedDim = Math.ceil(this.dim / 16) * 16;
    this.quantizer = quantizer;
    this.chunks = new Chunks(memory, [this.paddedDim, BYTES_F32]);
  }

  get liveCount(): number {
    return this.chunks.liveCount;
  }

  get highWater(): number {
    return this.chunks.highWater;
  }

  get bytes(): number {
    return this.chunks.bytes + this.#params.size * 3 * this.dim * BYTES_F32;
  }

  reserve(rows: number): void {
    this.chunks.ensure(rows);
  }

  isLive(label: number): boolean {
    return this.chunks.isLive(label);
  }

  /** Encodes `vector` (as stored: normalised for cosine) at `label`. */
  write(label: number, vector: ArrayLike<number>): void {
    const { chunks, dim } = this;
    chunks.ensure(label + 1);
    const heap = chunks.heapOf(label >>> chunks.shift);
    const params = this.#paramsIn(heap);
    const src = heap.scratch(align16(dim * BYTES_F32));
    heap.writeF32(src, vector);
    heap.raw.quantizeRows(src, 1, dim, this.paddedDim, params, params + dim * BYTES_F32, chunks.rowPointer(label, CODES));
    heap.f32[chunks.rowPointer(label, NORMS) >>> 2] = heap.raw.dot(src, src, dim);
    chunks.markLive(label);
  }

  remove(label: number): void {
    this.chunks.markDead(label);
  }

  /**
   * The `n` best rows by the int8 scan, over every live row or the rows set
   * in `candidates` (a bitset over live labels). Scores are estimates: the
   * caller re-ranks them in f32.
   */
  shortlist(metric: KernelMetric, query: ArrayLike<number>, n: number, candidates?: Uint32Array): RankedLabels {
    const { chunks, dim, paddedDim } = this;
    const limit = Math.min(n, chunks.liveCount);
    if (limit === 0) return EMPTY_RANKED;
    const queryBytes = align16(dim * BYTES_F32);
    const query16Bytes = align16(paddedDim * 2);
    const bitsBytes = candidates ? align16(chunks.rowsPerChunk / 8) : 0;
    // The int8 scan selects through a buffer of 2 * limit slots.
    const outBytes = align16(2 * limit * 4);
    const offset = this.quantizer.offset(query);
    const groups = chunks.groups();
    let carry: Carry | undefined;
    for (let g = 0; g < groups.length; g++) {
      const { heap, chunks: inHeap } = groups[g]!;
      const params = this.#paramsIn(heap);
      const base = heap.scratch(queryBytes + query16Bytes + bitsBytes + 2 * outBytes);
      const query16 = base + queryBytes;
      const bits = query16 + query16Bytes;
      const labelsOut = bits + bitsBytes;
      const scoresOut = labelsOut + outBytes;
      heap.writeF32(base, query);
      const raw = heap.raw;
      const scale = raw.quantizeQuery(base, dim, paddedDim, params + 2 * dim * BYTES_F32, query16);
      let size = carryIn(heap, carry, labelsOut, scoresOut);
      let bar = carry?.bar ?? -Infinity;
      for (const c of inHeap) {
        const bitset = chunkBitset(heap, chunks, c, candidates, bits);
        if (bitset < 0) continue;
        const norms = metric === KERNEL_L2 ? chunks.sectionPointer(c, NORMS) : 0;
        size = raw.topkScanI8(
          metric, query16, chunks.sectionPointer(c, CODES), chunks.rowsIn(c), paddedDim, scale, offset, norms,
          bitset, limit, labelsOut, scoresOut, outBytes / 4, size, bar, c << chunks.shift,
        );
        bar = raw.lastBar();
      }
      if (g < groups.length - 1) {
        carry = carryOut(heap, labelsOut, scoresOut, size, bar);
        continue;
      }
      const found = raw.finishI8(labelsOut, scoresOut, size, limit);
      return readTopK(heap, labelsOut, scoresOut, found);
    }
    return EMPTY_RANKED;
  }

  dispose(): void {
    for (const [heap, ptr] of this.#params) heap.free(ptr);
    this.#params.clear();
    this.chunks.dispose();
  }

  #paramsIn(heap: WasmHeap): number {
    let ptr = this.#params.get(heap);
    if (ptr === undefined) {
      const { dim, quantizer } = this;
      ptr = heap.alloc(3 * dim * BYTES_F32);
      if (ptr === 0) throw createError('OUT_OF_MEMORY', 'a full WebAssembly memory has no room for the int8 ranges');
      heap.writeF32(ptr, quantizer.center);
      heap.writeF32(ptr + dim * BYTES_F32, quantizer.inverseStep);
      heap.writeF32(ptr + 2 * dim * BYTES_F32, quantizer.step);
      this.#params.set(heap, ptr);
    }
    return ptr;
  }
}
