/**
 * The in-process peer engines of the benchmarks, installed on demand in
 * bench/peers (`npm run bench:peers`) like LanceDB and Chroma, never
 * dependencies of Quiver: usearch (a native addon; bench:ann times it beside
 * Quiver and raw hnswlib-node), hnswlib-wasm, @orama/orama and vectra
 * (bench/ann/peer-engines.ts), and minisearch and @orama/orama full text
 * (bench:bm25).
 *
 * Each loader imports its package from bench/peers/node_modules (load.ts),
 * once, the same build a bare `import` of the package would give, and throws
 * `PeerUnavailable` ("not installed: run npm run bench:peers ...") when it
 * is not there: the benchmark then records the engine as skipped.
 *
 * The interfaces below declare the part of each package's API the
 * benchmarks call, so that the project type-checks without bench/peers.
 */
import { importPeer, requirePeer } from './load.js';

// ------------------------------------------------------------ usearch

export interface UsearchIndexConfig {
  dimensions: number;
  metric: string;
  quantization: string;
  connectivity: number;
  expansion_add: number;
  expansion_search: number;
  multi: boolean;
}

export interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
  size(): number;
  save(path: string): void;
  load(path: string): void;
}

export interface UsearchModule {
  Index: new (config: UsearchIndexConfig) => UsearchIndex;
  MetricKind: { L2sq: string; Cos: string };
  ScalarKind: { F32: string };
}

let usearchModule: Promise<UsearchModule> | null = null;

/** usearch's ESM build (what `import 'usearch'` resolves to); it loads the native addon from its prebuilds. */
export function loadUsearch(): Promise<UsearchModule> {
  usearchModule ??= importPeer<UsearchModule>('usearch', 'javascript/dist/esm/usearch.js');
  return usearchModule;
}

// ------------------------------------------------------------ hnswlib-wasm

export interface WasmHnsw {
  initIndex(maxElements: number, m: number, efConstruction: number, randomSeed: number): void;
  addPoint(point: Float32Array, label: number, replaceDeleted: boolean): void;
  setEfSearch(ef: number): void;
  searchKnn(query: Float32Array, k: number, filter: undefined): { neighbors: number[]; distances: number[] };
}

export interface WasmLibrary {
  HierarchicalNSW: new (space: string, dim: number, autoSaveFilename: string) => WasmHnsw;
}

/** hnswlib-wasm's module (ESM only): `loadHnswlib()` instantiates the emscripten build (see bench/ann/peer-engines.ts). */
export function importHnswlibWasm(): Promise<{ loadHnswlib(): Promise<WasmLibrary> }> {
  return importPeer('hnswlib-wasm', 'dist/hnswlib.js');
}

// ------------------------------------------------------------ @orama/orama

/** An Orama database (opaque here). */
export interface OramaDb {
  readonly schema: unknown;
}

export interface OramaResults {
  count: number;
  hits: { id: string; score: number }[];
}

export interface OramaModule {
  create(options: { schema: Record<string, string> }): OramaDb;
  insertMultiple(db: OramaDb, docs: Record<string, unknown>[], batchSize?: number): Promise<string[]> | string[];
  search(db: OramaDb, params: Record<string, unknown>): OramaResults | Promise<OramaResults>;
}

/** @orama/orama's ESM build (its `exports` "import" entry). */
export function loadOrama(): Promise<OramaModule> {
  return importPeer<OramaModule>('@orama/orama', 'dist/esm/index.js');
}

// ------------------------------------------------------------ vectra

export interface VectraLocalIndex {
  createIndex(config: { version: number; deleteIfExists: boolean }): Promise<void>;
  beginUpdate(): Promise<void>;
  insertItem(item: { id: string; vector: number[]; metadata: Record<string, unknown> }): Promise<unknown>;
  endUpdate(): Promise<void>;
  queryItems(vector: number[], query: string, topK: number): Promise<{ item: { id: string }; score: number }[]>;
}

export interface VectraModule {
  LocalIndex: new (folder: string) => VectraLocalIndex;
}

/** vectra (CommonJS). */
export async function loadVectra(): Promise<VectraModule> {
  return requirePeer<VectraModule>('vectra');
}

// ------------------------------------------------------------ minisearch

export interface MiniSearchIndex<T> {
  add(document: T): void;
  search(query: string, options?: { combineWith?: 'OR' | 'AND' }): { id: unknown; score: number }[];
}

export type MiniSearchClass = new <T>(options: { fields: string[]; storeFields?: string[] }) => MiniSearchIndex<T>;

/** minisearch's ESM build (its `exports` "import" entry): the class is the default export. */
export async function loadMiniSearch(): Promise<MiniSearchClass> {
  return (await importPeer<{ default: MiniSearchClass }>('minisearch', 'dist/es/index.js')).default;
}
