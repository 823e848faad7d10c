/**
 * The shape of a vector peer engine in bench:ann: what a peer is given (a
 * data set, build options) and what it hands back (an index to search,
 * tune, reopen and close). bench/ann/peer-engines.ts registers the peers
 * in this shape (hnswlib-wasm, orama and vectra there; LanceDB and Chroma in
 * bench/peers/vector-peers.ts); bench/ann/ builds, times and closes them.
 */

/** The part of a data set a peer needs (bench/ann/ground-truth.ts `Dataset`). */
export interface PeerDataset {
  name: string;
  metric: 'l2' | 'cosine';
  dim: number;
  count: number;
  base: Float32Array;
  queries: Float32Array[];
  queryArrays: number[][];
}

export interface PeerBuildOptions {
  k: number;
  m: number;
  efConstruction: number;
  seed: number;
  /** A fresh temporary folder the engine may write to. */
  tmp: string;
  log(message: string): void;
}

export interface Reopened {
  seconds: number;
  what: string;
  firstFilteredSeconds: number | null;
}

export interface PeerIndex {
  /** Top-k labels of query `q` (an index into the data set's queries). */
  search(q: number): ArrayLike<number> | Promise<ArrayLike<number>>;
  /** HNSW engines: the search-time ef (may restart a server: awaited, outside timing). */
  setEf?(ef: number): void | Promise<void>;
  /** Why the engine cannot search at this ef (it then has no point there), or null. */
  efUnsupported?(ef: number): string | null;
  /**
   * 'wall': the search runs in another process (a server), whose CPU time
   * this process cannot see, so its QPS is by wall clock. Default 'cpu'.
   */
  qpsClock?: 'cpu' | 'wall';
  /** Set when this index is another peer's build (that peer's build row counts; none of its own). */
  sharesBuildOf?: string;
  /**
   * Opens the index again from disk and answers one query (a fresh process
   * where cheap): seconds, and what was timed; then the seconds of a first
   * query filtered to one bucket of ten (row % 10 = 3), where it can.
   */
  reopen?(): Promise<Reopened>;
  /** Releases what the engine holds (a server process, files). */
  close?(): Promise<void>;
  /** The engine's own size figure, if it has one (MiB), and what it counts. */
  sizeMiB: number | null;
  sizeWhat: string;
  /** Anything the engine printed or did on the way that a reader should know. */
  notes: string[];
}

export interface Peer {
  engine: string;
  /** The npm package, whose installed version goes into the JSON. */
  package: string;
  /** What kind of search it does: an approximate index with an ef, or an exact scan. */
  kind: 'hnsw' | 'exact';
  index: string;
  /** Metrics it has; on any other data set it ranks by its own metric (see `metricNote`). */
  metrics: readonly ('l2' | 'cosine')[];
  /** Why the engine cannot run here (e.g. bench/peers not installed), or null: it is then skipped with that reason. */
  unavailable?(): string | null;
  /** Its package's version (read from bench/peers/node_modules). */
  version?(): string | null;
  build(ds: PeerDataset, options: PeerBuildOptions): Promise<PeerIndex>;
}
