/**
 * The vector peers installed on demand in bench/peers (`npm run
 * bench:peers`), in bench:ann's `Peer` shape (bench/peers/types.ts;
 * bench/ann/peer-engines.ts registers them in PEERS):
 *
 * - LanceDB, IVF_HNSW_SQ (bench/peers/lancedb.ts): numPartitions 1, the same
 *   m and efConstruction as the other HNSW engines, 8-bit SQ; swept across
 *   the same ef values. Two engines: without refine (ranks by the quantized
 *   vectors) and "refine 2" (`refineFactor(2)`: 2k candidates re-ranked with
 *   the float32 vectors). Both search one table and index, built once (the
 *   build row is the first engine's). With refine r LanceDB needs ef >= r k,
 *   so "refine 2" has no point below ef 20. In process (Rust through napi);
 *   its QPS is by this process's CPU time like the others (LanceDB's own
 *   threads included).
 * - Chroma (bench/peers/chroma.ts): its Rust server from the chromadb npm
 *   package, in a child process on 127.0.0.1, HNSW (hnswlib inside) with
 *   space l2/cosine, max_neighbors = M, ef_construction, ef_search = ef;
 *   rows added with explicit embeddings in batches of 1,000. ef_search only
 *   takes effect after a server restart: each ef sets it with
 *   collection.modify and restarts the server (same data folder) before
 *   timing. Its work happens in the server process, so its QPS is by wall
 *   clock (one client, one request at a time, over loopback HTTP: that cost
 *   is part of using Chroma from Node).
 *
 * Each engine also reports "reopen to first answer": LanceDB opens the table
 * from disk in a fresh Node process and answers one query; Chroma restarts
 * its server on the same data and answers one query.
 */
import { join } from 'node:path';
import { CHROMA_PACKAGES, ChromaServer, chromaSearch, createVectorCollection, getCollection, type ChromaCollection } from './chroma.js';
import { buildVectorTable, FILTER_BUCKET, FILTER_BUCKETS, folderBytes, LANCEDB_PACKAGES, reopenInFreshProcess, vectorSearch, type LanceTable } from './lancedb.js';
import { missingPeers, peerVersion } from './load.js';
import type { Peer, PeerDataset, PeerIndex } from './types.js';

// ------------------------------------------------------------ LanceDB

interface LanceBuild {
  table: LanceTable;
  uri: string;
  name: string;
  sizeMiB: number;
  loadSeconds: number;
  indexSeconds: number;
  indexType: string;
}

/** One table and index per data set, shared by both LanceDB engines. */
const lanceBuilds = new Map<string, LanceBuild>();

async function lanceBuild(ds: PeerDataset, tmp: string, m: number, efConstruction: number, log: (message: string) => void): Promise<{ build: LanceBuild; shared: boolean }> {
  const cached = lanceBuilds.get(ds.name);
  if (cached) return { build: cached, shared: true };
  const uri = join(tmp, `lancedb-${ds.name.replace(/[^A-Za-z0-9]/g, '_')}`);
  const name = 'vectors';
  const built = await buildVectorTable(uri, name, ds.base, ds.dim, ds.metric, { m, efConstruction });
  log(`${ds.name}: LanceDB table written in ${built.loadSeconds.toFixed(1)} s, ${built.indexType} built in ${built.indexSeconds.toFixed(1)} s`);
  const build: LanceBuild = {
    table: built.table, uri, name, sizeMiB: folderBytes(uri) / 2 ** 20,
    loadSeconds: built.loadSeconds, indexSeconds: built.indexSeconds, indexType: built.indexType,
  };
  lanceBuilds.set(ds.name, build);
  return { build, shared: false };
}

function lancePeer(engine: string, refineFactor: number | null): Peer {
  return {
    engine,
    package: '@lancedb/lancedb',
    kind: 'hnsw',
    index: `IVF_HNSW_SQ, numPartitions 1, same M / efConstruction, 8-bit SQ${refineFactor === null ? ', no refine' : `, refineFactor ${refineFactor} (re-rank ${refineFactor}k candidates in float32)`}`,
    metrics: ['l2', 'cosine'],
    unavailable: () => missingPeers(LANCEDB_PACKAGES),
    version: () => peerVersion('@lancedb/lancedb'),
    async build(ds, options) {
      const { build, shared } = await lanceBuild(ds, options.tmp, options.m, options.efConstruction, options.log);
      const { k } = options;
      let ef = 64;
      const minEf = refineFactor === null ? k : refineFactor * k;
      const notes = [
        `LanceDB ${peerVersion('@lancedb/lancedb') ?? '?'} (apache-arrow ${peerVersion('apache-arrow') ?? '?'}, CommonJS build): ` +
          `table (id int32, bucket int32 = row % ${FILTER_BUCKETS}, vector fixed_size_list<float32>[${ds.dim}]) written in ${build.loadSeconds.toFixed(2)} s, ` +
          `createIndex('vector', Index.hnswSq({ distanceType: '${ds.metric}', numPartitions: 1, m: ${options.m}, efConstruction: ${options.efConstruction} })) in ${build.indexSeconds.toFixed(2)} s; ` +
          `query().nearestTo(Float32Array).limit(${k}).ef(ef)${refineFactor === null ? '' : `.refineFactor(${refineFactor})`}.select(['id', '_distance']).toArrow(); ` +
          'nprobes is moot with one partition; default thread pools; QPS by this process\'s CPU time (LanceDB\'s threads included)',
      ];
      if (refineFactor !== null) notes.push(`LanceDB requires ef >= refineFactor x k = ${minEf}: no point below that ef`);
      if (shared) notes.push('searches the same table and index as LanceDB without refine (its build row counts for both)');
      const index: PeerIndex = {
        search: (q) => vectorSearch(build.table, ds.queries[q]!, k, ef, refineFactor),
        setEf: (value) => {
          ef = value;
        },
        efUnsupported: (value) => (value < minEf ? `LanceDB requires ef >= ${refineFactor === null ? 'k' : 'refineFactor x k'} = ${minEf}` : null),
        sizeMiB: build.sizeMiB,
        sizeWhat: 'table folder on disk (float32 vectors + IVF_HNSW_SQ index)',
        notes,
        ...(shared ? { sharesBuildOf: 'LanceDB' } : {}),
        reopen: async () => {
          const probeEf = Math.max(64, minEf);
          const inProcess = await vectorSearch(build.table, ds.queries[0]!, k, probeEf, null);
          const fresh = reopenInFreshProcess(build.uri, build.name, ds.queries[0]!, k, probeEf);
          const same = fresh.ids.join() === inProcess.join();
          return {
            seconds: fresh.seconds,
            firstFilteredSeconds: fresh.filteredSeconds,
            what: `fresh Node process: connect + openTable + first query (ef ${probeEf}) ${fresh.seconds.toFixed(3)} s; ` +
              `${fresh.processSeconds.toFixed(2)} s from spawning it (Node start and loading the native module included); same answer as in process: ${same ? 'yes' : 'NO'}`,
          };
        },
      };
      return index;
    },
  };
}

// ------------------------------------------------------------ Chroma

const chroma: Peer = {
  engine: 'Chroma',
  package: 'chromadb',
  kind: 'hnsw',
  index: 'HNSW (hnswlib in the Rust server), max_neighbors = M, same ef_construction; server in a child process, HTTP on 127.0.0.1',
  metrics: ['l2', 'cosine'],
  unavailable: () => missingPeers(CHROMA_PACKAGES),
  version: () => peerVersion('chromadb'),
  async build(ds, options) {
    const { k, log } = options;
    const server = await ChromaServer.start(log);
    try {
      const name = `ann-${ds.name.replace(/[^A-Za-z0-9]/g, '-')}`;
      let collection: ChromaCollection = await createVectorCollection(server, name, ds.metric, { m: options.m, efConstruction: options.efConstruction, ef: 64 });
      const batch = 1000;
      const started = performance.now();
      for (let s = 0; s < ds.count; s += batch) {
        const e = Math.min(ds.count, s + batch);
        const ids: string[] = [];
        const embeddings: number[][] = [];
        const metadatas: Record<string, number>[] = [];
        for (let i = s; i < e; i++) {
          ids.push(String(i));
          embeddings.push(Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)));
          metadatas.push({ bucket: i % FILTER_BUCKETS });
        }
        await collection.add({ ids, embeddings, metadatas });
        if (Math.floor((e / ds.count) * 10) > Math.floor((s / ds.count) * 10)) {
          log(`${ds.name}: Chroma add ${Math.round((e / ds.count) * 100)}% (${e.toLocaleString()} / ${ds.count.toLocaleString()}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
        }
      }
      const count = await collection.count();
      if (count !== ds.count) throw new Error(`Chroma collection holds ${count} rows, expected ${ds.count}`);
      let ef = 64;
      let restarts = 0;
      const dataMiB = () => {
        try {
          return folderBytes(server.dir) / 2 ** 20;
        } catch {
          return null;
        }
      };
      const index: PeerIndex = {
        search: (q) => chromaSearch(collection, ds.queryArrays[q]!, k),
        setEf: async (value) => {
          if (value === ef && restarts > 0) return;
          ef = value;
          await collection.modify({ configuration: { hnsw: { ef_search: value } } });
          await server.restart();
          restarts++;
          collection = await getCollection(server, name);
          const got = collection.configuration.hnsw?.ef_search;
          if (got !== value) throw new Error(`Chroma kept ef_search ${String(got)} after modify + restart (wanted ${value})`);
          await chromaSearch(collection, ds.queryArrays[0]!, k);
        },
        qpsClock: 'wall',
        sizeMiB: dataMiB(),
        sizeWhat: 'server data folder (SQLite + HNSW segment files)',
        notes: [
          `chromadb ${peerVersion('chromadb') ?? '?'} with chromadb-js-bindings-linux-x64-gnu ${peerVersion('chromadb-js-bindings-linux-x64-gnu') ?? '?'}: ` +
            `\`chroma run --path <temp dir> --host 127.0.0.1 --port <free port>\` as a child process; ` +
            `createCollection({ configuration: { hnsw: { space: '${ds.metric}', max_neighbors: ${options.m}, ef_construction: ${options.efConstruction}, ef_search } }, embeddingFunction: none }); ` +
            `add({ ids, embeddings, metadatas: [{ bucket: row % ${FILTER_BUCKETS} }] }) in batches of 1,000; query({ queryEmbeddings: [number[]], nResults: ${k}, include: ['distances'] })`,
          'ef_search takes effect only when the server loads the collection: for each ef, collection.modify({ configuration: { hnsw: { ef_search } } }), then a server restart on the same data, ' +
            'a check that the configuration reads back the new ef_search, and one query, all before timing',
          'QPS by wall clock (the search runs in the server process, whose CPU time this process\'s clock does not see): one request at a time over loopback HTTP, JSON encoding included',
        ],
        reopen: async () => {
          await server.stopProcess();
          const started = performance.now();
          await server.restart();
          collection = await getCollection(server, name);
          await chromaSearch(collection, ds.queryArrays[0]!, k);
          restarts++;
          const seconds = (performance.now() - started) / 1000;
          const filteredStarted = performance.now();
          await chromaSearch(collection, ds.queryArrays[0]!, k, { bucket: FILTER_BUCKET });
          return { seconds, firstFilteredSeconds: (performance.now() - filteredStarted) / 1000, what: `server restarted on its data folder (a fresh process) + getCollection + first query; the server answered its first heartbeat ${server.lastStartSeconds.toFixed(2)} s after spawning` };
        },
        close: () => server.stop(),
      };
      return index;
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};

export const VECTOR_PEERS: readonly Peer[] = [lancePeer('LanceDB', null), lancePeer('LanceDB (refine 2)', 2), chroma];
