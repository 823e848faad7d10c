/**
 * Peer vector engines for bench:ann (bench/ann/), beside the built-in Quiver /
 * raw hnswlib-node / usearch comparison: hnswlib-wasm (HNSW compiled with
 * emscripten for browsers), @orama/orama (vector property, brute force) and
 * vectra (LocalIndex, file-backed brute force). Each is loaded from
 * bench/peers (bench/peers/js-peers.ts) when it is built, so one that cannot
 * load or build is reported as failed, with the reason, instead of stopping
 * the benchmark.
 *
 * Engines users pick most, defined in bench/peers/vector-peers.ts: LanceDB
 * (IVF_HNSW_SQ, with and without refine) and Chroma (its server in a child
 * process).
 *
 * All of them are installed on demand into bench/peers (`npm run
 * bench:peers`; never dependencies of Quiver). When bench/peers lacks one it
 * is reported as skipped ("not installed: run npm run bench:peers"), never
 * as a failure.
 *
 * A peer gets the same rows (labels 0..N-1) and queries as the other
 * engines; `search(q)` returns the top-k labels of query q. Queries are
 * converted to the form each engine takes once, outside every timed loop.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { importHnswlibWasm, loadOrama, loadVectra, type WasmLibrary } from '../peers/js-peers.js';
import { missingPeers, PeerUnavailable, peerVersion } from '../peers/load.js';
import type { Peer, PeerDataset } from '../peers/types.js';
import { VECTOR_PEERS } from '../peers/vector-peers.js';

/** Why a peer runs on a data set with a metric it does not have, or null. */
export function metricNote(peer: Peer, ds: PeerDataset): string | null {
  if (peer.metrics.includes(ds.metric)) return null;
  return `${peer.engine} has no ${ds.metric} metric: it ranks by ${peer.metrics.join('/')} here, and its recall is against the ${ds.metric} ground truth`;
}

function tenthsLogger(count: number, what: string, log: (message: string) => void): (done: number) => void {
  const started = performance.now();
  let last = 0;
  return (done) => {
    const tenth = Math.floor((done / count) * 10);
    if (tenth > last) {
      last = tenth;
      log(`${what}: ${tenth * 10}% (${done.toLocaleString()} / ${count.toLocaleString()}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
}

/** Runs `fn` with console output captured (emscripten prints through console.*). */
async function quietly<T>(fn: () => Promise<T>): Promise<{ result: T; printed: string[] }> {
  const printed: string[] = [];
  const saved = { log: console.log, warn: console.warn, error: console.error };
  const capture = (...args: unknown[]) => printed.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ').trim());
  console.log = capture;
  console.warn = capture;
  console.error = capture;
  try {
    return { result: await fn(), printed: printed.filter((line) => line !== '' && !/^-+$/.test(line)) };
  } finally {
    Object.assign(console, saved);
  }
}

// ------------------------------------------------------------ hnswlib-wasm

let wasmLibrary: { library: WasmLibrary; printed: string[] } | null = null;

/**
 * hnswlib-wasm 0.8 is an emscripten build for the web (its loader throws
 * "not compiled for this environment" in Node) whose wasm is inlined, so it
 * runs in Node once `window` exists. `loadHnswlib()` also mounts IDBFS,
 * which needs IndexedDB: that fails (printed, not thrown), leaving
 * writeIndex/readIndex without persistence; building and searching in
 * memory are unaffected.
 */
async function loadWasmHnswlib(): Promise<{ library: WasmLibrary; printed: string[] }> {
  if (wasmLibrary) return wasmLibrary;
  const g = globalThis as { window?: unknown };
  g.window ??= globalThis;
  const { result, printed } = await quietly(async () => {
    const module = await importHnswlibWasm();
    return module.loadHnswlib();
  });
  wasmLibrary = { library: result, printed };
  return wasmLibrary;
}

const hnswlibWasm: Peer = {
  engine: 'hnswlib-wasm',
  package: 'hnswlib-wasm',
  kind: 'hnsw',
  index: 'HNSW (hnswlib C++ compiled to WebAssembly by emscripten), same M / efConstruction / seed',
  metrics: ['l2', 'cosine'],
  unavailable: () => missingPeers(['hnswlib-wasm']),
  version: () => peerVersion('hnswlib-wasm'),
  async build(ds, options) {
    const { library, printed } = await loadWasmHnswlib();
    const index = new library.HierarchicalNSW(ds.metric === 'l2' ? 'l2' : 'cosine', ds.dim, '');
    index.initIndex(ds.count, options.m, options.efConstruction, options.seed);
    const progress = tenthsLogger(ds.count, `${ds.name}: hnswlib-wasm build`, options.log);
    for (let i = 0; i < ds.count; i++) {
      index.addPoint(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim), i, false);
      if ((i + 1) % 1000 === 0 || i + 1 === ds.count) progress(i + 1);
    }
    const notes = [
      'in Node only with a `window` global set before loading (the build targets web/worker); ' +
        'Float32Array rows and queries are passed straight to the embind bindings',
    ];
    if (printed.length > 0) notes.push(`printed while loading (IndexedDB persistence unavailable in Node; in-memory use unaffected): ${printed.slice(0, 2).join(' | ')}`);
    return {
      search: (q) => index.searchKnn(ds.queries[q]!, options.k, undefined).neighbors,
      setEf: (ef) => index.setEfSearch(ef),
      sizeMiB: null,
      sizeWhat: 'none (saving needs IndexedDB)',
      notes,
    };
  },
};

// ------------------------------------------------------------ @orama/orama

const orama: Peer = {
  engine: 'orama',
  package: '@orama/orama',
  kind: 'exact',
  index: 'brute force: cosine against every stored vector (VectorIndex.find), then a sort of all those above the similarity threshold',
  metrics: ['cosine'],
  unavailable: () => missingPeers(['@orama/orama']),
  version: () => peerVersion('@orama/orama'),
  async build(ds, options) {
    const { create, insertMultiple, search } = await loadOrama();
    const db = create({ schema: { v: `vector[${ds.dim}]` } });
    const progress = tenthsLogger(ds.count, `${ds.name}: orama insert`, options.log);
    const batch = 1000;
    for (let s = 0; s < ds.count; s += batch) {
      const e = Math.min(ds.count, s + batch);
      const docs = [];
      for (let i = s; i < e; i++) docs.push({ id: String(i), v: Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)) });
      await insertMultiple(db, docs, batch);
      progress(e);
    }
    return {
      // similarity -1 lets every document through: the default threshold (0.8) drops true neighbours with a lower cosine.
      search: async (q) => {
        const result = await search(db, {
          mode: 'vector', vector: { value: ds.queryArrays[q]!, property: 'v' }, similarity: -1, limit: options.k, includeVectors: false,
        });
        return result.hits.map((hit) => Number(hit.id));
      },
      sizeMiB: null,
      sizeWhat: 'none (in-memory only)',
      notes: ['search({ mode: "vector", similarity: -1, limit: 10 }): with its default similarity threshold 0.8 it would return fewer than 10 hits for some queries'],
    };
  },
};

// ------------------------------------------------------------ vectra

const vectra: Peer = {
  engine: 'vectra',
  package: 'vectra',
  kind: 'exact',
  index: 'brute force: cosine over every item (number[] vectors held in memory after loading index.json), then a sort of all N',
  metrics: ['cosine'],
  unavailable: () => missingPeers(['vectra']),
  version: () => peerVersion('vectra'),
  async build(ds, options) {
    const { LocalIndex } = await loadVectra();
    const folder = join(options.tmp, `vectra-${ds.name}`);
    const index = new LocalIndex(folder);
    await index.createIndex({ version: 1, deleteIfExists: true });
    const progress = tenthsLogger(ds.count, `${ds.name}: vectra insert`, options.log);
    await index.beginUpdate();
    for (let i = 0; i < ds.count; i++) {
      await index.insertItem({ id: String(i), vector: Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)), metadata: {} });
      if ((i + 1) % 1000 === 0 || i + 1 === ds.count) progress(i + 1);
    }
    await index.endUpdate();
    return {
      search: async (q) => (await index.queryItems(ds.queryArrays[q]!, '', options.k)).map((hit) => Number(hit.item.id)),
      sizeMiB: statSync(join(folder, 'index.json')).size / 2 ** 20,
      sizeWhat: 'index.json (vectors as JSON text)',
      notes: [`LocalIndex in a temporary folder; one beginUpdate/endUpdate around all inserts writes index.json once`],
    };
  },
};

/** The peers in the order they are built and plotted (all from bench/peers). */
export const PEERS: readonly Peer[] = [hnswlibWasm, orama, vectra, ...VECTOR_PEERS];

/** Whether an error means "cannot run here" (skipped) rather than "failed". */
export function isUnavailable(error: unknown): boolean {
  return error instanceof PeerUnavailable;
}

/** The message of anything thrown, on one line. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0]!.slice(0, 400);
}
