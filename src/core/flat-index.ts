/**
 * Exact index over the WASM vector arena: the search path for small
 * collections, filtered candidate sets and `exact: true`, and the recall
 * oracle for the approximate index. Labels are assigned by the collection.
 */
import { Int8Codes, VectorArena, kernels, type Kernels, type TopK } from './kernels.js';
import { kernelMetric } from './metric.js';
import type { ResolvedCollectionOptions } from './collection-options.js';
import { DEFAULT_INITIAL_CAPACITY } from './options.js';

export interface FlatSearchOptions {
  /** Only these labels: a bitset over labels, or a list of labels. Both must name live rows only. */
  candidates?: Uint32Array | Int32Array;
  /** Scan int8 codes and re-rank in f32 (needs quantization 'int8'); default: on when the collection has codes. */
  quantized?: boolean;
}

export class FlatIndex {
  readonly #options: ResolvedCollectionOptions;
  readonly #arena: VectorArena;
  readonly #codes: Int8Codes | undefined;
  readonly #metric;

  constructor(options: ResolvedCollectionOptions, k: Kernels = kernels()) {
    this.#options = options;
    this.#arena = new VectorArena(k, options.dimension, DEFAULT_INITIAL_CAPACITY);
    this.#codes = options.quantization === 'int8' ? new Int8Codes(k, options.dimension) : undefined;
    this.#metric = kernelMetric(options.metric);
  }

  get size(): number {
    return this.#arena.liveCount;
  }

  /** One past the highest label in use: the length a candidate bitset must cover. */
  get labelBound(): number {
    return this.#arena.highWater;
  }

  get memoryBytes(): number {
    return this.#arena.bytes + (this.#codes?.bytes ?? 0);
  }

  has(label: number): boolean {
    return this.#arena.isLive(label);
  }

  /** Adds or replaces the vector at `label`; cosine vectors must arrive normalised. */
  add(label: number, vector: Float32Array): void {
    this.#arena.write(label, vector, false);
    this.#codes?.encode(this.#arena, label);
  }

  remove(label: number): void {
    this.#arena.remove(label);
  }

  /** The stored vector: normalised for cosine collections. */
  vector(label: number): Float32Array {
    return this.#arena.read(label);
  }

  /** Exact top k; a cosine query must arrive normalised. */
  search(q: Float32Array, k: number, options: FlatSearchOptions = {}): TopK {
    const { candidates } = options;
    if (candidates instanceof Int32Array) return this.#arena.topKOfLabels(this.#metric, q, candidates, k);
    const quantized = options.quantized ?? this.#codes !== undefined;
    if (quantized && this.#codes) {
      const shortlist = this.#codes.topK(this.#arena, this.#metric, q, k * this.#options.rerank, candidates);
      return this.#arena.topKOfLabels(this.#metric, q, shortlist.labels, k);
    }
    return this.#arena.topK(this.#metric, q, k, candidates);
  }

  /** Views of the rows and live bitset for a snapshot; valid until the next allocation. */
  exportViews(): { rows: Uint8Array; live: Uint8Array; highWater: number } {
    return this.#arena.exportViews();
  }

  /**
   * Restores a snapshot: `fill` receives views of the arena's memory to read
   * the rows and live bitset into, and returns whether it succeeded. int8
   * codes are refitted on the next quantised search.
   */
  importFrom(highWater: number, fill: (rows: Uint8Array, live: Uint8Array) => boolean): boolean {
    const { rows, live } = this.#arena.prepareImport(highWater);
    if (!fill(rows, live)) return false;
    this.#arena.finishImport(highWater);
    return true;
  }

  /** Makes room for `rows` labels up front (avoids repeated growth when the size is known). */
  reserve(rows: number): void {
    this.#arena.ensureCapacity(rows);
  }

  dispose(): void {
    this.#arena.dispose();
    this.#codes?.dispose();
  }
}
