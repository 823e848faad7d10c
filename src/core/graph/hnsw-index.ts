/**
 * The only user of hnswlib-node: an HNSW graph over the collection's labels.
 *
 * - Capacity grows by itself (`resizeIndex`), doubling, so inserts never hit
 *   hnswlib's "index is full" error.
 * - Deletes are tombstones (`markDelete`); re-adding a label unmarks it and
 *   updates its vector in place, so labels freed by the collection are reused.
 * - `setEf` is re-applied wherever an index is created or loaded: hnswlib's
 *   default ef of 10 gives poor recall.
 * - Distances are converted once, here, to Quiver's higher-is-closer score:
 *   hnswlib's `ip` distance is 1 - dot, its `l2` distance is the squared L2.
 *   They are converted in hnswlib's own result arrays, so a search
 *   allocates no typed arrays beside them.
 * - hnswlib-node takes `number[]` only; vectors are copied into one reused
 *   array with a plain loop (far cheaper than Array.from).
 */
import type { Ranked } from '../ranked.js';
import { rm, stat } from 'node:fs/promises';
import hnswlib from 'hnswlib-node';
import { ABSENT, LabelStates, LIVE } from './label-states.js';
import type { Metric } from '../options.js';

export interface HnswParams {
  m: number;
  efConstruction: number;
  ef: number;
}

/** A graph search's hits (Ranked), in the plain arrays hnswlib returns, with the time the search took. */
export interface GraphHits extends Ranked<number[], number[]> {
  /**
   * Nanoseconds the search took on the thread hosting the graph, for
   * searches answered by a worker (the slowest segment's, once merged): what
   * the planner learns the graph's cost from, without the round trip.
   */
  searchNs?: number;
}

export interface LoadedGraph {
  index: hnswlib.HierarchicalNSW;
  states: Uint8Array;
}

/** Cosine vectors arrive normalised, so inner product is cosine similarity. */
function newGraph(metric: Metric, dimension: number): hnswlib.HierarchicalNSW {
  return new hnswlib.HierarchicalNSW(metric === 'l2' ? 'l2' : 'ip', dimension);
}

const GROWTH = 2;

/**
 * Bytes hnswlib holds per node of a graph with `m` links per node, from its
 * layout (hnswalg.h): the base layer's row (2m links, their count, the f32
 * vector, the 8-byte label), the node's level and mutex, its entry in the
 * label map, and the upper layers' links (a node has an upper layer with
 * probability 1/m, and (m + 1) * 4 bytes of links on each).
 */
export function graphBytesPerNode(dimension: number, m: number): number {
  const baseLayer = 2 * m * 4 + 4 + dimension * 4 + 8;
  const bookkeeping = 4 + 40 + 8 + 48;
  const upperLayers = ((m + 1) * 4) / Math.max(1, m - 1);
  return Math.ceil(baseLayer + bookkeeping + upperLayers);
}

/**
 * Bytes every hnswlib graph holds however few nodes it has: hnswlib
 * (hnswalg.h) makes 65,536 label locks (std::mutex, 40 bytes on Linux
 * x86-64) for each graph and zeroes them, so they are resident at once.
 * Measured: 2.51-2.54 MiB of RSS per graph at dimension 8 or 8192,
 * capacity 1 to 512. Its node storage is malloc'd but untouched until nodes
 * arrive, and is counted per node (graphBytesPerNode).
 */
export const GRAPH_FIXED_BYTES = 65_536 * 40;

/** Fewest labels a graph has room for: hnswlib cannot grow one from none (see roomOf). */
const MIN_CAPACITY = 16;

/**
 * The labels a graph read back from a file has room for, made at least
 * MIN_CAPACITY: hnswlib reads a graph with room for exactly its nodes, none
 * for an empty one, and resizing from none frees its node storage, reports
 * it unallocated, then frees it again on the next resize (an abort).
 */
function roomOf(index: hnswlib.HierarchicalNSW): number {
  const capacity = index.getMaxElements();
  if (capacity >= MIN_CAPACITY) return capacity;
  index.resizeIndex(MIN_CAPACITY);
  return MIN_CAPACITY;
}

export class HnswIndex {
  readonly dimension: number;
  readonly params: HnswParams;
  readonly #metric: Metric;
  #index: hnswlib.HierarchicalNSW;
  readonly #scratch: number[];
  readonly #states: LabelStates;
  #capacity: number;
  #currentEf: number;

  /**
   * An empty graph with room for `initialCapacity` labels, or, given
   * `saved`, the graph hnswlib wrote to `saved.file` with the label states
   * that were saved beside it.
   */
  constructor(dimension: number, metric: Metric, params: HnswParams, initialCapacity: number, loaded?: LoadedGraph) {
    this.dimension = dimension;
    this.params = params;
    this.#metric = metric;
    if (loaded) {
      this.#index = loaded.index;
      this.#capacity = roomOf(loaded.index);
      this.#states = new LabelStates(loaded.states);
    } else {
      this.#states = new LabelStates();
      this.#index = newGraph(metric, dimension);
      this.#capacity = Math.max(MIN_CAPACITY, initialCapacity);
      this.#index.initIndex({ maxElements: this.#capacity, m: params.m, efConstruction: params.efConstruction, randomSeed: 100 });
    }
    // hnswlib's default ef is 10 and is not saved with the graph: set it wherever a graph is made.
    this.#currentEf = params.ef;
    this.#index.setEf(params.ef);
    // Packed, not holey (`new Array(n)`): hnswlib-node reads it an element at a time, and a packed array needs no hole checks.
    this.#scratch = Array.from({ length: dimension }, () => 0);
  }

  /**
   * Starts loading a graph hnswlib wrote to `file`, on libuv's thread pool
   * (hnswlib-node's async readIndex), so the caller can do other work
   * meanwhile; pass the result with the saved label states to the constructor.
   */
  static async read(file: string, dimension: number, metric: Metric): Promise<hnswlib.HierarchicalNSW> {
    const index = newGraph(metric, dimension);
    await index.readIndex(file);
    return index;
  }

  /**
   * Writes the graph to `file` (hnswlib's format) on libuv's thread pool; the
   * calling thread goes on (searches may run meanwhile; changes must wait
   * until it resolves). `states` must be saved beside it.
   */
  async save(file: string): Promise<void> {
    await this.#index.writeIndex(file);
  }

  /**
   * Writes the graph to `file`, reads it back into fresh memory and searches
   * that copy from then on (the file is removed). hnswlib fills its memory in
   * insertion order as nodes arrive, so a graph built while the process did
   * other work (a store, a JS heap) ends up spread over memory taken between
   * those; read back, it lies in one run in node order, and searches as fast
   * as one built alone (`npm run bench:layout`; figures in bench/README.md).
   * Searches may run meanwhile on the old copy;
   * changes must wait until it resolves. Resolves to the file's size.
   */
  async relayout(file: string): Promise<{ bytes: number }> {
    let bytes: number;
    const fresh = newGraph(this.#metric, this.dimension);
    try {
      await this.#index.writeIndex(file);
      ({ size: bytes } = await stat(file));
      await fresh.readIndex(file);
    } finally {
      await rm(file, { force: true });
    }
    fresh.setEf(this.#currentEf);
    const old = this.#index;
    this.#index = fresh;
    this.#capacity = roomOf(fresh);
    this.#release(old);
    return { bytes };
  }

  /** Frees the graph's memory now; the index is unusable after. */
  free(): void {
    this.#release(this.#index);
  }

  /**
   * hnswlib-node does not tell V8 how much native memory a graph holds, so a
   * garbage collection that frees it may be long in coming (rare in a worker
   * thread): initIndex replaces the graph with a one-node one at once.
   */
  #release(index: hnswlib.HierarchicalNSW): void {
    index.initIndex({ maxElements: 1, m: this.params.m, efConstruction: this.params.efConstruction });
  }

  /** Per-label states to save with the graph (0 absent, 1 live, 2 deleted). */
  get states(): Uint8Array {
    return this.#states.bytes;
  }

  /** Labels of every live node, ascending. */
  liveLabels(): number[] {
    return this.#states.liveLabels();
  }

  /** Labels searchable now (tombstones excluded). */
  get size(): number {
    return this.#states.live;
  }

  /** Deleted labels still in the graph; compaction removes them. */
  get tombstones(): number {
    return this.#states.tombstones;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Adds `vector` at `label`, or replaces the vector at a label already in
   * the graph (live or a tombstone, which it revives).
   */
  add(label: number, vector: Float32Array): void {
    if (this.#states.of(label) === ABSENT && this.#states.live + this.#states.tombstones >= this.#capacity) this.#grow();
    this.#index.addPoint(this.#toArray(vector), label);
    this.#states.markLive(label);
  }

  remove(label: number): void {
    if (this.#states.of(label) !== LIVE) return;
    this.#index.markDelete(label);
    this.#states.markDeleted(label);
  }

  /**
   * Approximate top k with search breadth `ef` (raised to k when smaller).
   * `allow`, when given, is consulted for every candidate the graph search
   * visits (a JavaScript call each), so callers pass it only when the
   * allowed set is large.
   */
  search(query: Float32Array, k: number, ef: number, allow?: (label: number) => boolean): GraphHits {
    const limit = Math.min(k, this.#states.live);
    if (limit === 0) return { labels: [], scores: [] };
    const breadth = Math.max(ef, limit);
    if (breadth !== this.#currentEf) {
      this.#index.setEf(breadth);
      this.#currentEf = breadth;
    }
    const { neighbors, distances } = this.#index.searchKnn(this.#toArray(query), limit, allow);
    // hnswlib's l2 distance is the squared distance, its ip distance 1 - dot.
    const from = this.#metric === 'l2' ? 0 : 1;
    for (let i = 0; i < distances.length; i++) distances[i] = from - distances[i]!;
    return { labels: neighbors, scores: distances };
  }

  #grow(): void {
    this.#capacity = Math.max(MIN_CAPACITY, Math.ceil(this.#capacity * GROWTH));
    this.#index.resizeIndex(this.#capacity);
  }

  #toArray(vector: Float32Array): number[] {
    const out = this.#scratch;
    for (let i = 0; i < vector.length; i++) out[i] = vector[i]!;
    return out;
  }
}
