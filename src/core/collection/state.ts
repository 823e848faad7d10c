/**
 * A collection's state: its documents' places (the id <-> label maps), the
 * indexes built from them (exact vectors, HNSW graph, BM25, metadata), the
 * write version, and what its background work has under way. The verbs
 * live in the files beside this one, as functions of this state, one job a
 * file (as Orama's methods/ and Qdrant's segment split one struct's work);
 * here are only the small helpers they all use.
 */
import { Bm25Index } from '../keyword/bm25-index.js';
import { createError } from '../errors.js';
import type { FieldCache, FieldCacheScope } from '../storage/field-cache.js';
import type { CompiledFilter } from '../filter/filter.js';
import { MetadataIndex } from '../filter/metadata-index.js';
import { MetadataLoader } from '../filter/metadata-loader.js';
import { FlatIndex } from '../vector/flat-index.js';
import type { VectorMemory } from '../vector/vector-memory.js';
import { graphBytesPerNode } from '../graph/hnsw-index.js';
import type { DocumentCost, MemoryBudget } from './memory-budget.js';
import { normalize, normalizesAtInsert } from '../vector/metric.js';
import { DEFAULT_INITIAL_CAPACITY } from '../options.js';
import type { ResolvedCollectionOptions } from './collection-options.js';
import { Planner } from '../query/planner.js';
import { SegmentedGraph, type SegmentHosting } from '../graph/segmented-graph.js';
import type { DocumentTable } from '../storage/store.js';
import type { Logger, SearchEvent } from '../api.js';
import type { EmbeddingsLike } from '../embedding/embedder.js';

/** The memory a collection's indexes take: WebAssembly memory for the vectors, and admission of writes (memory-budget.ts). */
export interface CollectionMemory {
  vectors: VectorMemory;
  budget: MemoryBudget;
  /** Hits' text and metadata kept in memory, shared by the database's collections. */
  fields: FieldCache;
}

/** Where and when a collection snapshots its derived state, and when it compacts; see Database. */
export interface Persistence {
  /** Snapshot directory; undefined for in-memory databases (nothing to restart from). */
  dir: string | undefined;
  /** Snapshot once this many documents changed since the last one. */
  snapshotAfter: number;
  /** Compact once tombstones pass this fraction of the graph. */
  compactAt: number;
}

/** What the database lends each collection: its log, where graph segments live, who watches searches. */
export interface CollectionServices {
  log: Logger;
  /** Where the HNSW segments live: worker threads, or this thread. */
  hosting: SegmentHosting;
  /** Called after every search with its plan and engine time (Database.observeSearches); empty: nothing is timed. */
  searchListeners: ReadonlySet<(event: SearchEvent) => void>;
  /** In-process embedders by model name (DatabaseOptions.embedders). */
  embedders: ReadonlyMap<string, EmbeddingsLike>;
}

/** What a collection is made from (Database.#makeCollection): its identity, its stored rows, and what the database lends it. */
export interface CollectionInit {
  name: string;
  uid: string;
  options: ResolvedCollectionOptions;
  table: DocumentTable;
  /** The write version the store holds. */
  version: number;
  persistence: Persistence;
  services: CollectionServices;
  memory: CollectionMemory;
  /** Throws when the database is closed. */
  assertUsable: () => void;
}

/** Backups holding a collection's snapshots, and what runs when the last lets go. */
export interface SnapshotHold {
  holders: number;
  released: Promise<void>;
  release: () => void;
  /** The snapshot asked for during the hold, run once it ends (forced if any request was). */
  deferred: Promise<boolean> | undefined;
  force: boolean;
}

export class CollectionState {
  readonly name: string;
  /**
   * Random, fixed at creation, never reused: with `version` it names one
   * state of one collection (a collection re-created under the same name
   * starts at version 0 again), e.g. in cache keys shared between processes.
   */
  readonly uid: string;
  readonly options: ResolvedCollectionOptions;
  readonly table: DocumentTable;
  readonly memory: CollectionMemory;
  readonly fieldCache: FieldCacheScope;
  readonly cost: DocumentCost;
  /** Why the in-memory index could not be built, when it could not (see `info.state`). */
  unavailable: string | undefined;
  flat: FlatIndex;
  /**
   * Set after a snapshot restore while the vector rows stream in (see
   * #loadRows): writes, exact plans and hybrid fusion wait for it; HNSW
   * searches and keyword searches do not.
   */
  rowsLoading: Promise<void> | undefined;
  hnsw: SegmentedGraph;
  bm25: Bm25Index;
  /**
   * The metadata index, once complete. A new collection starts with an empty
   * one; an opened one reads it from the store in the background (#metadataLoad)
   * and a filter that comes first finishes that at once.
   */
  metadata: MetadataIndex | undefined;
  metadataLoad: MetadataLoader | undefined;
  /** A restored snapshot's copy of the metadata index and the labels replayed since, until the background read starts. */
  metadataSnapshot: { bytes: Uint8Array; changed: number[] } | undefined;
  readonly planner = new Planner();
  readonly labelOf = new Map<string, number>();
  /** The labels in list order as of a version (#sortedLabels). */
  listOrder: { version: number; labels: Int32Array } | undefined;
  ids: (string | undefined)[] = [];
  freeLabels: number[] = [];
  version: number;
  open = true;
  readonly assertUsable: () => void;
  /** @internal Created by Database; use `db.createCollection` or `db.collection`. */
  readonly persistence: Persistence;
  readonly services: CollectionServices;
  /** Version of the newest snapshot on disk (or restored from). */
  snapshotVersion = 0;
  snapshotScheduled = false;
  /**
   * Unit-length copies of cosine queries, reused: a fresh 512-byte
   * Float32Array per query was an off-heap allocation, a free and sweeper
   * work, about 1.2 µs of a 40 µs graph search on 100k vectors. A search
   * takes one for its whole run (workers may still be reading it) and
   * gives it back when it ends.
   */
  readonly unitQueries: Float32Array[] = [];
  /** Documents written or deleted since the last snapshot. */
  changedSinceSnapshot = 0;
  /** Labels written while a compaction rebuilds the graph; replayed into the new graph before the swap. */
  touchedDuringCompaction: Set<number> | undefined;
  compaction: Promise<boolean> | undefined;
  /** The graph a compaction is building, until it replaces #hnsw or is dropped. */
  freshGraph: SegmentedGraph | undefined;
  snapshotting: Promise<boolean> | undefined;
  /**
   * Set while backups copy this collection (snapshots.ts `holdSnapshots`):
   * snapshots wait, so no deletion a copied snapshot needs is pruned before
   * the store is copied. `deferred` is the one snapshot asked for meanwhile.
   */
  snapshotHold: SnapshotHold | undefined;
  /** The last write queued: writes run one at a time, in the order they were called. */
  writes: Promise<unknown> = Promise.resolve();

  constructor({ name, uid, options, table, version, persistence, services, memory, assertUsable }: CollectionInit) {
    this.name = name;
    this.uid = uid;
    this.options = options;
    this.table = table;
    this.version = version;
    this.persistence = persistence;
    this.services = services;
    this.memory = memory;
    this.fieldCache = memory.fields.scope();
    this.flat = this.emptyVectors();
    this.cost = options.vectors ? { vectors: this.flat.rowBytes, graph: graphBytesPerNode(options.dimension, options.hnsw.m) } : { vectors: 0, graph: 0 };
    this.hnsw = this.emptyGraph(DEFAULT_INITIAL_CAPACITY);
    this.bm25 = this.emptyKeywordIndex();
    this.assertUsable = assertUsable;
    // Version 0: nothing was ever written, so the index is complete empty and kept from the first write on.
    if (version === 0) this.metadata = new MetadataIndex();
  }

  /** Number of documents. */
  get count(): number {
    return this.labelOf.size;
  }

  /**
   * Every live label, ascending, kept until the next write: sorting them
   * took tens of milliseconds per page at a million documents, so paging
   * through a collection cost the square of its size.
   */
  sortedLabels(): Int32Array {
    if (this.listOrder?.version !== this.version) {
      this.listOrder = { version: this.version, labels: Int32Array.from(this.labelOf.values()).sort() };
    }
    return this.listOrder.labels;
  }

  /** The metadata index a write to `label` must update now, if any (see #metadataLoad). */
  metadataOf(label: number): MetadataIndex | undefined {
    if (this.metadata !== undefined) return this.metadata;
    const load = this.metadataLoad;
    if (load === undefined) return undefined;
    if (load.covers(label)) return load.index;
    load.touched(label);
    return undefined;
  }

  /** The documents `filter` allows, as of now (undefined without a filter: every document). */
  allowedBy(filter: CompiledFilter | undefined): { bitset: Uint32Array; count: number } | undefined {
    return filter ? this.metadataIndex().evaluate(filter) : undefined;
  }

  /** The complete metadata index: what the background load has not read yet is read now. */
  metadataIndex(): MetadataIndex {
    if (this.metadata) return this.metadata;
    const load = this.metadataLoad ?? this.newMetadataLoad();
    this.metadata = load.finish();
    this.metadataLoad = undefined;
    return this.metadata;
  }

  newMetadataLoad(): MetadataLoader {
    return new MetadataLoader((from, limit) => this.table.metadataPage(from, limit));
  }

  unmap(label: number): void {
    const id = this.ids[label];
    if (id !== undefined && this.labelOf.get(id) === label) this.labelOf.delete(id);
    this.ids[label] = undefined;
  }

  map(label: number, id: string): void {
    this.labelOf.set(id, label);
    this.ids[label] = id;
  }

  collectFreeLabels(): void {
    this.freeLabels = [];
    for (let label = this.ids.length - 1; label >= 0; label--) {
      if (this.ids[label] === undefined) this.freeLabels.push(label);
    }
  }

  /**
   * The exact index. Paths that reach it wait for `#rowsLoading` first;
   * one that does not is a bug, reported here rather than answered from
   * half-read rows.
   */
  get vectors(): FlatIndex {
    if (this.rowsLoading !== undefined) throw new Error(`collection '${this.name}': vector rows used while they load`);
    if (this.unavailable !== undefined) throw createError('INDEX_UNAVAILABLE', this.name, this.unavailable);
    return this.flat;
  }

  /** Drops whatever a failed restore left behind. */
  reset(): void {
    this.flat.dispose();
    this.flat = this.emptyVectors();
    this.hnsw.drop();
    this.hnsw = this.emptyGraph(DEFAULT_INITIAL_CAPACITY);
    this.bm25 = this.emptyKeywordIndex();
    this.listOrder = undefined;
    this.metadataSnapshot = undefined;
    this.labelOf.clear();
    this.ids = [];
    this.freeLabels = [];
  }

  emptyVectors(): FlatIndex {
    return new FlatIndex(this.options, this.memory.vectors, this.storedVector);
  }

  /** A label's vector read from the store, as the vector index holds it (normalised for cosine): int8 collections re-rank with it. */
  readonly storedVector = (label: number): Float32Array | undefined => {
    const vector = this.table.vectorOf(label);
    return vector && normalizesAtInsert(this.options.metric) ? normalize(vector) : vector;
  };

  emptyKeywordIndex(): Bm25Index {
    return new Bm25Index({ text: this.options.text, bm25: this.options.bm25 });
  }

  emptyGraph(capacity: number): SegmentedGraph {
    return SegmentedGraph.create(this.graphSpec(), this.services.hosting, this.options.hnsw.segments, capacity, this.onGraphError);
  }

  graphSpec() {
    const { dimension, metric, hnsw } = this.options;
    return { dimension, metric, params: hnsw };
  }

  readonly onGraphError = (error: Error): void => {
    if (this.open) this.services.log.error(`collection '${this.name}': graph update failed: ${error.message}`);
  };

  checkUsable(): void {
    this.assertUsable();
    if (!this.open) throw createError('COLLECTION_NOT_FOUND', this.name);
  }

  /** `#checkUsable`, and the in-memory index must be there: searches and upserts need it. */
  checkIndexed(): void {
    this.checkUsable();
    if (this.unavailable !== undefined) throw createError('INDEX_UNAVAILABLE', this.name, this.unavailable);
  }
}
