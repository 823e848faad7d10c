/**
 * Exact index over a collection's vectors in WebAssembly memory: the search
 * path for small collections, filtered candidate sets and `exact: true`,
 * and the recall oracle for the approximate index. Labels are assigned by
 * the collection.
 *
 * What it keeps in memory depends on the collection's quantization:
 * - `none`: the f32 rows (as stored: normalised for cosine).
 * - `int8`: int8 codes only, once the collection holds INT8_FIT_SAMPLE rows
 *   (before that, the f32 rows, from which the codes' ranges are fitted).
 *   A search shortlists `k * rerank` rows by the int8 scan and re-ranks
 *   them in f32 with rows read from the collection's store (`RowSource`),
 *   so the collection costs a quarter of the f32 rows' memory.
 */
import { EMPTY_RANKED, type RankedLabels } from '../ranked.js';
import { labelsOf } from '../bitset.js';
import { kernelMetric, normalize, normalizesAtInsert } from './metric.js';
import { INT8_FIT_SAMPLE } from '../options.js';
import type { ResolvedCollectionOptions } from '../collection/collection-options.js';
import { F32Vectors } from './f32-vectors.js';
import { Int8Vectors } from './int8-vectors.js';
import { Quantizer } from './quantizer.js';
import { align16, readTopK } from './top-k.js';
import type { VectorMemory } from './vector-memory.js';


/** A label's f32 vector as stored in the index (normalised for cosine), or undefined when the label holds none. */
export type RowSource = (label: number) => Float32Array | undefined;

export interface FlatSearchOptions {
  /** Only these labels: a bitset over labels, or a list of labels. Both must name live rows only. */
  candidates?: Uint32Array | Int32Array;
  /**
   * int8 collections: `false` scores every candidate in f32 from the store
   * (exact, and slow: one store read per candidate). Ignored otherwise.
   */
  quantized?: boolean;
}

/** What a snapshot holds of the vectors; `encoding` says which sections are there. */
export interface VectorSnapshot {
  encoding: 'f32' | 'int8';
  highWater: number;
  /** Per-row sections, in file order: f32 rows; or int8 codes, then squared norms. */
  sections: { bytes: number; read: (offset: number, length: number) => Uint8Array }[];
  /** The int8 ranges (quantizer.ts); empty for f32. */
  quantizer: Uint8Array;
  /** One bit per label below highWater. */
  live: Uint8Array;
}

/** Rows re-scored in f32 per kernel call: bounds the scratch a large shortlist needs. */
const RERANK_BATCH = 1024;
const BYTES_F32 = 4;

export class FlatIndex {
  readonly #options: ResolvedCollectionOptions;
  readonly #memory: VectorMemory;
  readonly #source: RowSource;
  readonly #metric;
  /** f32 rows: always without quantization; for int8, until the codes are fitted. */
  #rows: F32Vectors | undefined;
  #codes: Int8Vectors | undefined;
  #form = 0;

  constructor(options: ResolvedCollectionOptions, memory: VectorMemory, source: RowSource) {
    this.#options = options;
    this.#memory = memory;
    this.#source = source;
    this.#metric = kernelMetric(options.metric);
    this.#rows = new F32Vectors(memory, options.dimension);
  }

  get size(): number {
    return this.#vectors.liveCount;
  }

  /** One past the highest label in use: the length a candidate bitset must cover. */
  get labelBound(): number {
    return this.#vectors.highWater;
  }

  /** Bytes of WebAssembly memory held. */
  get memoryBytes(): number {
    return (this.#rows?.bytes ?? 0) + (this.#codes?.bytes ?? 0);
  }

  /** Bytes one more row will take once the index holds its final form (int8 codes, or f32 rows). */
  get rowBytes(): number {
    const { dimension, quantization } = this.#options;
    return quantization === 'int8' ? Math.ceil(dimension / 16) * 16 + BYTES_F32 : dimension * BYTES_F32;
  }

  /** Changes whenever the rows change form (encoded, restored, dropped): views taken before are stale. */
  get form(): number {
    return this.#form;
  }

  /** True once the rows are held as int8 codes only. */
  get encoded(): boolean {
    return this.#codes !== undefined;
  }

  has(label: number): boolean {
    return this.#vectors.isLive(label);
  }

  /**
   * Makes room for every label below `rows`, before a batch is committed:
   * for int8, fits the codes' ranges once INT8_FIT_SAMPLE rows (counting
   * `incoming`, the batch's vectors as written) are there. Throws
   * OUT_OF_MEMORY when memory runs out, with no row changed.
   */
  prepare(rows: number, incoming: readonly Float32Array[] = []): void {
    const f32 = this.#rows;
    if (this.#options.quantization === 'int8' && f32 && f32.liveCount + incoming.length >= INT8_FIT_SAMPLE) {
      this.#encode(f32, incoming);
    }
    this.#vectors.reserve(rows);
  }

  /** Adds or replaces the vector at `label`; cosine vectors must arrive normalised. */
  add(label: number, vector: Float32Array): void {
    this.#vectors.write(label, vector);
  }

  remove(label: number): void {
    this.#vectors.remove(label);
  }

  /** The stored vector (normalised for cosine collections), or undefined when the label holds none. */
  vector(label: number): Float32Array | undefined {
    if (!this.has(label)) return undefined;
    return this.#rows ? this.#rows.read(label) : this.#source(label);
  }

  /** Exact top k; a cosine query must arrive normalised. */
  search(q: Float32Array, k: number, options: FlatSearchOptions = {}): RankedLabels {
    const { candidates } = options;
    const rows = this.#rows;
    if (rows) {
      if (candidates instanceof Int32Array) return rows.topKOfLabels(this.#metric, q, candidates, k);
      return rows.topK(this.#metric, q, k, candidates);
    }
    const codes = this.#codes!;
    if (options.quantized === false) return this.#rerank(q, this.#labelsOf(candidates), k);
    const n = k * this.#options.rerank;
    if (candidates instanceof Int32Array && candidates.length <= n) return this.#rerank(q, candidates, k);
    const bits = candidates instanceof Int32Array ? bitsetOf(candidates, codes.highWater) : candidates;
    return this.#rerank(q, codes.shortlist(this.#metric, q, n, bits).labels, k);
  }

  /** The vectors as a snapshot holds them; `read` views are valid until the next allocation. */
  snapshot(): VectorSnapshot {
    const vectors = this.#vectors;
    const { chunks } = vectors;
    const highWater = chunks.highWater;
    const live = chunks.liveBits();
    const liveBytes = new Uint8Array(live.buffer, 0, Math.ceil(highWater / 32) * 4);
    const sections = chunks.sectionBytes.map((bytes, s) => ({
      bytes: highWater * bytes,
      read: (offset: number, length: number) => chunks.sectionSlice(s, offset, length),
    }));
    const quantizer = this.#codes ? this.#codes.quantizer.serialize() : new Uint8Array(0);
    return { encoding: this.#codes ? 'int8' : 'f32', highWater, sections, quantizer, live: liveBytes };
  }

  /**
   * Starts restoring a snapshot's vectors: makes room for `highWater` rows
   * and sets which are live; the caller then copies each per-row section in
   * with `writeSection`. Returns a problem, or undefined. Throws
   * OUT_OF_MEMORY when memory runs out.
   */
  restore(encoding: VectorSnapshot['encoding'], highWater: number, quantizer: Uint8Array, live: Uint32Array): string | undefined {
    if (encoding === 'int8' && this.#options.quantization !== 'int8') return 'snapshot holds int8 codes for a collection without quantization';
    this.#drop();
    if (encoding === 'int8') {
      try {
        this.#codes = new Int8Vectors(this.#memory, Quantizer.deserialize(quantizer, this.#options.dimension));
      } catch (error) {
        this.#rows = new F32Vectors(this.#memory, this.#options.dimension);
        return `snapshot int8 ranges unreadable (${(error as Error).message})`;
      }
    } else {
      this.#rows = new F32Vectors(this.#memory, this.#options.dimension);
    }
    this.#vectors.chunks.restoreLive(live, highWater);
    return undefined;
  }

  /**
   * Copies `bytes` into per-row section `s` of the restored rows, at
   * `offset` into the section taken as one run over labels (f32 rows; or
   * int8 codes, then norms).
   */
  writeSection(s: number, offset: number, bytes: Uint8Array): void {
    const { chunks } = this.#vectors;
    for (let done = 0; done < bytes.byteLength; ) {
      const target = chunks.sectionSlice(s, offset + done, bytes.byteLength - done);
      if (target.byteLength === 0) throw new RangeError(`section ${s} has no room at byte ${offset + done}`);
      target.set(bytes.subarray(done, done + target.byteLength));
      done += target.byteLength;
    }
  }

  dispose(): void {
    this.#drop();
  }

  get #vectors(): F32Vectors | Int8Vectors {
    return (this.#codes ?? this.#rows)!;
  }

  #drop(): void {
    this.#form++;
    this.#rows?.dispose();
    this.#codes?.dispose();
    this.#rows = undefined;
    this.#codes = undefined;
  }

  /**
   * Fits the int8 ranges to the f32 rows and the incoming batch, and
   * encodes the rows. The rows are copied out and freed first, so the codes
   * take their memory rather than memory beside it (WebAssembly memory never
   * shrinks); if the codes do not fit, the rows are put back.
   */
  #encode(rows: F32Vectors, incoming: readonly Float32Array[]): void {
    const { dimension, metric } = this.#options;
    const unit = normalizesAtInsert(metric);
    const quantizer = Quantizer.fit(dimension, (visit) => {
      rows.forEachLive(visit);
      for (const vector of incoming) visit(unit ? normalize(vector, new Float32Array(dimension)) : vector);
    });
    const labels: number[] = [];
    const copies: Float32Array[] = [];
    rows.forEachLive((row, label) => {
      labels.push(label);
      copies.push(row.slice());
    });
    const highWater = rows.highWater;
    rows.dispose();
    const codes = new Int8Vectors(this.#memory, quantizer);
    try {
      codes.reserve(highWater);
      labels.forEach((label, i) => codes.write(label, copies[i]!));
    } catch (error) {
      codes.dispose();
      const back = new F32Vectors(this.#memory, dimension);
      back.reserve(highWater);
      labels.forEach((label, i) => back.write(label, copies[i]!));
      this.#rows = back;
      this.#form++;
      throw error;
    }
    this.#rows = undefined;
    this.#codes = codes;
    this.#form++;
  }

  /** Every label `candidates` names, or every live label. */
  #labelsOf(candidates: Uint32Array | Int32Array | undefined): Int32Array {
    if (candidates instanceof Int32Array) return candidates;
    if (candidates) return labelsOf(candidates);
    return labelsOf(this.#codes!.chunks.liveBits());
  }

  /** The best k of `labels` by their exact f32 scores, the rows read from the source. */
  #rerank(q: Float32Array, labels: Int32Array, k: number): RankedLabels {
    const limit = Math.min(k, labels.length);
    if (limit === 0) return EMPTY_RANKED;
    const dim = this.#options.dimension;
    const heap = this.#memory.anyHeap();
    const batch = Math.min(RERANK_BATCH, labels.length);
    const queryBytes = align16(dim * BYTES_F32);
    const rowsBytes = align16(batch * dim * BYTES_F32);
    const outBytes = align16(limit * 4);
    const base = heap.scratch(queryBytes + rowsBytes + 2 * outBytes);
    const rowsPtr = base + queryBytes;
    const labelsOut = rowsPtr + rowsBytes;
    const scoresOut = labelsOut + outBytes;
    heap.writeF32(base, q);
    // Kernel labels are positions in `kept`: the labels whose rows were read.
    const kept = new Int32Array(labels.length);
    let size = 0;
    let n = 0;
    for (let from = 0; from < labels.length; from += batch) {
      const first = n;
      for (let i = from; i < Math.min(labels.length, from + batch); i++) {
        const row = this.#source(labels[i]!);
        if (row === undefined) continue;
        heap.writeF32(rowsPtr + (n - first) * dim * BYTES_F32, row);
        kept[n++] = labels[i]!;
      }
      size = heap.raw.topkScan(this.#metric, base, rowsPtr, n - first, dim, 0, limit, labelsOut, scoresOut, size, first);
    }
    heap.raw.sortHeap(labelsOut, scoresOut, size);
    const top = readTopK(heap, labelsOut, scoresOut, size);
    for (let i = 0; i < top.labels.length; i++) top.labels[i] = kept[top.labels[i]!]!;
    return top;
  }
}

/** A bitset over labels below `bound` with the listed labels set. */
function bitsetOf(labels: Int32Array, bound: number): Uint32Array {
  const bits = new Uint32Array(Math.ceil(bound / 32));
  for (const label of labels) bits[label >>> 5]! |= 1 << (label & 31);
  return bits;
}
