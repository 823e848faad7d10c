/**
 * Cluster mode (issue 20): `npm run bench:cluster`
 * [N=20000 D=384 PAIRS=10000 KILLS=10 PG_STOPS=3 QPS_SECONDS=5 CLIENTS=6 NODE_WORKERS=1
 * LOAD_THREADS=1 SECTIONS=1,2,3,4,5,6,7] (the ingest always runs: the others read its data).
 *
 * PostgreSQL (initdb into a temporary directory) and three `quiver serve`
 * nodes on loopback, each with default settings but one worker thread (three
 * nodes share this machine's cores), driven over REST by the remote client:
 *
 * 1. ingest: N x D documents (SciFact-like text, random vectors) into a
 *    collection of 3 shards and 2 replicas, batches of 500 through the three
 *    nodes in turn; acknowledged docs/s, and the seconds until every replica
 *    applied them; beside it the same documents into one embedded database
 *    (the library, default options) in this process.
 * 2. apply lag: single-document writes through one node, each then searched
 *    for through another with `eventual` reads until it shows: p50/p95/p99.
 * 3. catch-up and replay: a new node (in this process, holding every shard)
 *    replays the whole collection from PostgreSQL; its rows/s against the
 *    embedded ingest rate. Its node snapshot (`backup`) is then the shared
 *    snapshot a new node starts from on an empty directory, timed against a
 *    node reopened on its own data, plus the time to copy the snapshot.
 * 4. coordinator overhead: the same searches through a cluster collection of
 *    one shard and straight on its local replica, interleaved, in process;
 *    then over REST, asked of the node holding the shard and of a node that
 *    calls it on loopback (the hop a coordinator adds when the shard is on
 *    another node), with no fields returned and with the default ones.
 * 5. throughput with 1, 2 and 3 replicas of one shard, CLIENTS clients over
 *    the three nodes (on 2 cores this cannot scale: see bench/README.md).
 * 6. read-your-writes: PAIRS write-then-search pairs through different nodes
 *    during a running ingest (INGEST_RATE docs/s, default 50: what three nodes
 *    sharing 2 cores apply at 384 dimensions with room to spare), with the
 *    write's version as the session token;
 *    violations with it, and the rate with eventual reads.
 * 7. faults: a writer and a reader meanwhile; KILLS SIGKILLs (and restarts)
 *    of the nodes other than the reader's, PG_STOPS immediate stops of
 *    PostgreSQL; acknowledged writes lost, and reads failed.
 *
 * Prints tables with the load average and writes bench/results/cluster.json.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openDatabase, type DocumentInput } from '../src/index.js';
import { QuiverClient, type RemoteCollection } from '../src/client/index.js';
import type { ClusterDatabase } from '../src/cluster/cluster-database.js';
import { startPostgres } from '../test/fixtures/postgres.js';
import { startNode, stopNodes, type QuiverNode } from '../test/fixtures/cluster.js';
import { createProgress, fmt, machineInfo, printTable, writeResults } from './lib/harness.js';
import { percentile } from './lib/stats.js';
import { rng } from '../test/fixtures/random.js';

const N = Number(process.env.N ?? 20_000);
const D = Number(process.env.D ?? 384);
const PAIRS = Number(process.env.PAIRS ?? 10_000);
const KILLS = Number(process.env.KILLS ?? 10);
const PG_STOPS = Number(process.env.PG_STOPS ?? 3);
const QPS_SECONDS = Number(process.env.QPS_SECONDS ?? 5);
const CLIENTS = Number(process.env.CLIENTS ?? 6);
/** Worker threads of each node (three nodes share the machine's cores). */
const NODE_WORKERS = Number(process.env.NODE_WORKERS ?? 1);
/** Threads the throughput clients run on (one client process would cap the QPS of a machine with many cores). */
const LOAD_THREADS = Number(process.env.LOAD_THREADS ?? 1);
const SECTIONS = new Set((process.env.SECTIONS ?? '1,2,3,4,5,6,7').split(',').map(Number));
const BATCH = 500;
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const progress = createProgress();
const results: Record<string, unknown> = { machine: machineInfo(['postgres']), settings: { N, D, PAIRS, KILLS, PG_STOPS, QPS_SECONDS, CLIENTS, NODE_WORKERS, LOAD_THREADS, sections: [...SECTIONS] } };
const load = () => loadavg()[0]!.toFixed(2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rand = rng(7);
const words = ['cell', 'protein', 'vitamin', 'tumor', 'immune', 'gene', 'brain', 'risk', 'dose', 'trial', 'mouse', 'virus', 'insulin', 'blood', 'sleep'];
const vectorOf = (r: () => number) => Float32Array.from({ length: D }, () => r() - 0.5);
const textOf = (r: () => number) => Array.from({ length: 30 }, () => words[Math.floor(r() * words.length)]!).join(' ');
const documents: DocumentInput[] = Array.from({ length: N }, (_, i) => ({ id: `d${i}`, vector: vectorOf(rand), text: textOf(rand), metadata: { n: i, even: i % 2 === 0 } }));
const queries = Array.from({ length: 200 }, () => ({ vector: vectorOf(rand), text: textOf(rand).slice(0, 20) }));

async function eventually<T>(check: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error('timed out');
    await sleep(20);
  }
}

/**
 * Search latencies of CLIENTS clients, each sending one request at a time
 * for QPS_SECONDS, spread over LOAD_THREADS worker threads and over `urls`
 * in turn, each client with a kept-alive connection.
 */
async function loadFor(urls: string[], bodies: string[]): Promise<number[]> {
  const source = `
    const { request, Agent } = require('node:http');
    const { workerData, parentPort } = require('node:worker_threads');
    const { urls, bodies, clients, first, until } = workerData;
    const agent = new Agent({ keepAlive: true, maxSockets: clients });
    const post = (url, body) => new Promise((resolve, reject) => {
      const call = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (reply) => {
        reply.resume();
        reply.on('end', () => (reply.statusCode === 200 ? resolve() : reject(new Error('status ' + reply.statusCode))));
      });
      call.on('error', reject);
      call.end(body);
    });
    (async () => {
      const latencies = [];
      await Promise.all(Array.from({ length: clients }, async (_, c) => {
        for (let i = first + c; Date.now() < until; i += clients) {
          const started = performance.now();
          await post(urls[(first + c) % urls.length], bodies[i % bodies.length]);
          latencies.push(performance.now() - started);
        }
      }));
      parentPort.postMessage(latencies);
    })().catch((error) => { throw error; });
  `;
  const until = Date.now() + QPS_SECONDS * 1000;
  const perThread = Array.from({ length: LOAD_THREADS }, (_, t) => Math.floor(CLIENTS / LOAD_THREADS) + (t < CLIENTS % LOAD_THREADS ? 1 : 0));
  const parts = await Promise.all(perThread.map((clients, t) => new Promise<number[]>((resolve, reject) => {
    const first = perThread.slice(0, t).reduce((a, b) => a + b, 0);
    const worker = new Worker(source, { eval: true, workerData: { urls, bodies, clients, first, until } });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  return parts.flat();
}

const pg = await startPostgres();
const backupDir = mkdtempSync(join(tmpdir(), 'quiver-cluster-backups-'));
const nodes: QuiverNode[] = [];
const startClusterNode = (nodeId: string, dataDir?: string, args: string[] = []) =>
  startNode({ store: pg.url, nodeId, workers: NODE_WORKERS, ...(dataDir === undefined ? {} : { dataDir }), args: ['--backup-dir', backupDir, ...args] });
try {
  for (const nodeId of ['n1', 'n2', 'n3']) nodes.push(await startClusterNode(nodeId));
  let clients = nodes.map((node) => new QuiverClient({ url: node.url, retries: 0, timeoutMs: 60_000 }));
  const docs = (i: number) => clients[i % 3]!.collection('docs');

  // 1. ingest
  progress.log('ingest: cluster');
  await clients[0]!.createCollection('docs', { dimension: D, shards: 3, replicas: 2 });
  await eventually(async () => ((await clients[1]!.hasCollection('docs')) && (await clients[2]!.hasCollection('docs'))) || undefined);
  let version = 0;
  const ingestStart = performance.now();
  for (let from = 0, i = 0; from < N; from += BATCH, i++) {
    version = (await docs(i).upsert(documents.slice(from, from + BATCH))).version;
    if (i % 10 === 9) progress.log(`ingest: cluster ${from + BATCH}/${N}`);
  }
  const acked = (performance.now() - ingestStart) / 1000;
  // Every replica, not one per shard: each node's status. (A session read would wait at most 5 s: a bulk load's replicas take longer.)
  const statusOf = async (node: QuiverNode) => (await (await fetch(`${node.url}/_cluster/status`)).json()) as { replicas: { collection: string; applied: number; state: string; indexingBacklog: number }[] };
  await eventually(async () => {
    const states = await Promise.all(nodes.map(statusOf));
    return states.every((s) => s.replicas.every((r) => r.state === 'ready' && r.applied >= version)) || undefined;
  });
  const applied = (performance.now() - ingestStart) / 1000;
  // Applied is searchable; the graphs finish building on the worker threads after. Idle nodes before the embedded run.
  await eventually(async () => (await Promise.all(nodes.map(statusOf))).every((s) => s.replicas.every((r) => r.indexingBacklog === 0)) || undefined);
  const indexed = (performance.now() - ingestStart) / 1000;
  progress.log('ingest: embedded');
  const embeddedDir = mkdtempSync(join(tmpdir(), 'quiver-embedded-'));
  const embeddedDb = await openDatabase({ path: embeddedDir, logger: silent });
  const embedded = await embeddedDb.createCollection('docs', { dimension: D });
  const embeddedStart = performance.now();
  for (let from = 0; from < N; from += BATCH) await embedded.upsert(documents.slice(from, from + BATCH));
  const embeddedSeconds = (performance.now() - embeddedStart) / 1000;
  await embedded.indexed();
  const embeddedIndexed = (performance.now() - embeddedStart) / 1000;
  // Recall@10 of HNSW with default settings, cluster (3 graphs of a third each) and embedded (one), against exact.
  progress.log('recall');
  let clusterRecall = 0;
  let embeddedRecall = 0;
  for (const q of queries.slice(0, 100)) {
    const truth = new Set((await embedded.search({ vector: q.vector, k: 10, exact: true, include: [] })).map((hit) => hit.id));
    const recall = (hits: { id: string }[]) => hits.filter((hit) => truth.has(hit.id)).length / 10;
    clusterRecall += recall(await docs(0).search({ vector: q.vector, k: 10, exact: false, include: [] }, { minVersion: version })) / 100;
    embeddedRecall += recall(await embedded.search({ vector: q.vector, k: 10, exact: false, include: [] })) / 100;
  }
  await embeddedDb.close();
  rmSync(embeddedDir, { recursive: true, force: true });
  results.recall = { cluster: clusterRecall, embedded: embeddedRecall };
  printTable(`1b. HNSW recall@10, default ef, 100 queries (${N} x ${D}, random vectors)`, ['cluster (3 shards)', 'embedded', 'difference'], [
    [fmt(clusterRecall, 3), fmt(embeddedRecall, 3), fmt(clusterRecall - embeddedRecall, 3)],
  ]);
  results.ingest = { clusterAckedDocsPerSecond: N / acked, clusterAppliedSeconds: applied, clusterIndexedSeconds: indexed, embeddedDocsPerSecond: N / embeddedSeconds, embeddedIndexedSeconds: embeddedIndexed, load: load() };
  printTable(`1. ingest ${N} x ${D} (batches of ${BATCH}; 3 shards x 2 replicas on 3 nodes; load ${load()})`, ['', 'docs/s acknowledged', 'all replicas applied (s)', 'graph built (s)'], [
    ['cluster (3 nodes)', fmt(N / acked), fmt(applied, 1), fmt(indexed, 1)],
    ['embedded library', fmt(N / embeddedSeconds), '', fmt(embeddedIndexed, 1)],
  ]);

  // 2. apply lag
  if (SECTIONS.has(2)) {
    progress.log('apply lag');
    const lags: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = rng(1000 + i);
      const vector = vectorOf(r);
      await docs(0).upsert([{ id: `lag-${i}`, vector, metadata: { lag: i } }]);
      const written = performance.now();
      await eventually(async () => ((await docs(1).search({ vector, k: 1, filter: { lag: i }, include: [] }, { consistency: 'eventual' }))[0]?.id === `lag-${i}` ? true : undefined), 10_000);
      lags.push(performance.now() - written);
    }
    lags.sort((a, b) => a - b);
    results.applyLagMs = { p50: percentile(lags, 0.5), p95: percentile(lags, 0.95), p99: percentile(lags, 0.99), load: load() };
    printTable(`2. apply lag: write on n1 acknowledged -> visible to an eventual search on n2 (200 writes; load ${load()})`, ['p50 ms', 'p95 ms', 'p99 ms'], [
      [fmt(percentile(lags, 0.5), 1), fmt(percentile(lags, 0.95), 1), fmt(percentile(lags, 0.99), 1)],
    ]);
  }

  // 3 and 4 run on an in-process node that replays the whole collection.
  if (SECTIONS.has(3) || SECTIONS.has(4)) {
    // 3. replay from PostgreSQL, in process (a node that sees no other: it holds every shard)
    progress.log('replay');
    const replayDir = mkdtempSync(join(tmpdir(), 'quiver-replay-'));
    const replayStart = performance.now();
    const replaying: ClusterDatabase = await openDatabase({ path: replayDir, logger: silent, cluster: { store: pg.url, nodeId: 'replayer', holdAll: true } });
    await replaying.caughtUp();
    const replaySeconds = (performance.now() - replayStart) / 1000;
    const rowsReplayed = [...replaying.replicas.values()].reduce((sum, replica) => sum + replica.rowsApplied, 0);

    if (SECTIONS.has(4)) {
      // 4. coordinator overhead, on the same in-process node: a one-shard collection against its replica
      progress.log('coordinator overhead');
      const one = await replaying.createCollection('one', { dimension: D, shards: 1, replicas: 1 });
      for (let from = 0; from < Math.min(N, 5000); from += BATCH) await one.upsert(documents.slice(from, from + BATCH));
      await replaying.caughtUp();
      const replica = [...replaying.replicas.values()].find((r) => r.uid === one.uid)!.local;
      const overhead: Record<string, { cluster: number; direct: number }> = {};
      for (const [name, make] of [
        ['vector', (q: (typeof queries)[number]) => ({ vector: q.vector, k: 10 })],
        ['keyword', (q: (typeof queries)[number]) => ({ text: q.text, k: 10 })],
        ['hybrid', (q: (typeof queries)[number]) => ({ vector: q.vector, text: q.text, k: 10 })],
      ] as const) {
        const cluster: number[] = [];
        const direct: number[] = [];
        for (let round = 0; round < 10; round++) {
          for (const [i, q] of queries.entries()) {
            // Alternating which goes first, so neither always meets the other's warm caches.
            const order = (round + i) % 2 === 0 ? ['cluster', 'direct'] : ['direct', 'cluster'];
            for (const which of order) {
              const t = performance.now();
              if (which === 'cluster') await one.search({ ...make(q), include: [] }, { consistency: 'eventual' });
              else await replica.search({ ...make(q), include: [] });
              (which === 'cluster' ? cluster : direct).push(performance.now() - t);
            }
          }
        }
        cluster.sort((a, b) => a - b);
        direct.sort((a, b) => a - b);
        overhead[name] = { cluster: percentile(cluster, 0.5), direct: percentile(direct, 0.5) };
      }
      // The loopback hop: the same searches over REST to the node holding `one`'s only replica, and to a node that must call it.
      progress.log('loopback hop');
      const holder = await eventually(async () => {
        // Ready, with its graph built: a replica still indexing answers slower.
        const found = (await Promise.all(nodes.map(statusOf)))
          .findIndex((status) => status.replicas.some((r) => r.collection === 'one' && r.state === 'ready' && r.indexingBacklog === 0));
        return found >= 0 ? found : undefined;
      });
      const caller = (holder + 1) % 3;
      const variants = [
        ['vector, no fields', (one: RemoteCollection, q: (typeof queries)[number]) => one.search({ vector: q.vector, k: 10, include: [] }, { consistency: 'eventual' })],
        ['vector, default fields', (one: RemoteCollection, q: (typeof queries)[number]) => one.search({ vector: q.vector, k: 10 }, { consistency: 'eventual' })],
        ['keyword, no fields', (one: RemoteCollection, q: (typeof queries)[number]) => one.search({ text: q.text, k: 10, include: [] }, { consistency: 'eventual' })],
        ['hybrid, no fields', (one: RemoteCollection, q: (typeof queries)[number]) => one.search({ vector: q.vector, text: q.text, k: 10, include: [] }, { consistency: 'eventual' })],
        // No search at all: what one call to another node costs here.
        ['count, no search', (one: RemoteCollection) => one.countWhere(undefined, { consistency: 'eventual' })],
      ] as const;
      const timings = variants.map(() => ({ local: [] as number[], remote: [] as number[] }));
      // Every variant in each query's turn, the first one rotating, and holder and other node alternating: none always
      // runs first or last. Rounds 0 and 1 warm both paths up (the other node's calls are compiled then) and are not counted.
      for (let round = 0; round < 5; round++) {
        for (const [i, q] of queries.entries()) {
          for (let v = 0; v < variants.length; v++) {
            const variant = (i + v) % variants.length;
            for (const which of (round + i + v) % 2 === 0 ? ['local', 'remote'] as const : ['remote', 'local'] as const) {
              const t = performance.now();
              await variants[variant]![1](clients[which === 'local' ? holder : caller]!.collection('one'), q);
              if (round > 1) timings[variant]![which].push(performance.now() - t);
            }
          }
        }
      }
      const hops: Record<string, { local: number; remote: number; p99Local: number; p99Remote: number }> = {};
      for (const [v, [name]] of variants.entries()) {
        const { local, remote } = timings[v]!;
        local.sort((a, b) => a - b);
        remote.sort((a, b) => a - b);
        hops[name] = { local: percentile(local, 0.5), remote: percentile(remote, 0.5), p99Local: percentile(local, 0.99), p99Remote: percentile(remote, 0.99) };
      }
      results.loopbackHopMs = hops;
      results.coordinatorOverheadMs = overhead;
      printTable(`4. coordinator overhead, in process, one shard of ${Math.min(N, 5000)} x ${D} (p50 ms; load ${load()})`, ['search', 'cluster', 'replica directly', 'overhead'], Object.entries(overhead).map(([name, o]) => [name, fmt(o.cluster, 3), fmt(o.direct, 3), fmt(o.cluster - o.direct, 3)]));
      printTable(`4b. coordinator overhead on loopback: a REST search of that shard asked of the node holding it, or of a node that calls it (${queries.length * 3} of each after two warm-up rounds, variants and nodes interleaved; ms; load ${load()})`, ['search', 'holder p50', 'other node p50', 'the hop p50', 'holder p99', 'other node p99'], Object.entries(hops).map(([name, h]) => [
        name, fmt(h.local, 3), fmt(h.remote, 3), fmt(h.remote - h.local, 3), fmt(h.p99Local, 2), fmt(h.p99Remote, 2),
      ]));
    }

    if (SECTIONS.has(3)) {
      // The shared snapshot: this node holds every shard (holdAll), as a standby that writes snapshots for new nodes would.
      const backup = await replaying.backup(join(backupDir, 'shared'));
      await replaying.close();
      rmSync(replayDir, { recursive: true, force: true });

      // Snapshot catch-up: a node reopened on its own data, and a new node started from the shared snapshot.
      progress.log('snapshot catch-up');
      const total = N + 200;
      const servesAll = async (client: QuiverClient, node: QuiverNode) => {
        const replicas = (await statusOf(node)).replicas.filter((r) => r.collection === 'docs');
        if (replicas.length < 3 || !replicas.every((r) => r.state === 'ready' && r.applied >= version)) return undefined;
        return (await client.collection('docs').countWhere(undefined, { consistency: 'strong' })) === total ? true : undefined;
      };
      const copyStart = performance.now();
      const copied = mkdtempSync(join(tmpdir(), 'quiver-snapshot-copy-'));
      cpSync(backup.path, copied, { recursive: true });
      const copySeconds = (performance.now() - copyStart) / 1000;
      // A new node holding every shard (as the snapshot's node did) from the snapshot; then the same node reopened on its own data.
      let t = performance.now();
      let fresh = await startClusterNode('n4', undefined, ['--cluster-bootstrap', copied, '--cluster-hold-all', 'true']);
      let freshClient = new QuiverClient({ url: fresh.url, retries: 0, timeoutMs: 60_000 });
      await eventually(() => servesAll(freshClient, fresh));
      const snapshotSeconds = (performance.now() - t) / 1000;
      await fresh.signal('SIGTERM');
      t = performance.now();
      fresh = await startClusterNode('n4', fresh.dataDir, ['--cluster-hold-all', 'true']);
      freshClient = new QuiverClient({ url: fresh.url, retries: 0, timeoutMs: 60_000 });
      await eventually(() => servesAll(freshClient, fresh));
      const reopenSeconds = (performance.now() - t) / 1000;
      await stopNodes([fresh]);
      rmSync(copied, { recursive: true, force: true });
      results.catchUp = { replayRowsPerSecond: rowsReplayed / replaySeconds, rowsReplayed, replaySeconds, embeddedDocsPerSecond: N / embeddedSeconds, reopenSeconds, snapshotSeconds, copySeconds, snapshotBytes: backup.bytes, load: load() };
      printTable(`3. catch-up (load ${load()})`, ['', 'value'], [
        ['replay from PostgreSQL, rows/s (a new node, every shard)', fmt(rowsReplayed / replaySeconds)],
        ['  / embedded ingest docs/s', fmt(rowsReplayed / replaySeconds / (N / embeddedSeconds), 2)],
        ['new node from the shared snapshot -> serving every shard (s)', fmt(snapshotSeconds, 2)],
        ['the same node reopened on its own data -> serving (s)', fmt(reopenSeconds, 2)],
        [`snapshot copy (s, ${fmt(backup.bytes / 2 ** 20)} MiB)`, fmt(copySeconds, 2)],
        ['  snapshot / (reopen + copy)', fmt(snapshotSeconds / (reopenSeconds + copySeconds), 2)],
      ]);
    } else {
      await replaying.close();
      rmSync(replayDir, { recursive: true, force: true });
    }
  }

  // 5. throughput with 1, 2 and 3 replicas of one shard
  if (SECTIONS.has(5)) {
    const qps: [number, number, number, number][] = [];
    for (const replicas of [1, 2, 3]) {
      progress.log(`throughput: ${replicas} replicas`);
      const name = `r${replicas}`;
      await clients[0]!.createCollection(name, { dimension: D, shards: 1, replicas });
      let v = 0;
      for (let from = 0; from < Math.min(N, 5000); from += BATCH) v = (await clients[0]!.collection(name).upsert(documents.slice(from, from + BATCH))).version;
      await eventually(async () => Promise.all([0, 1, 2].map((i) => clients[i]!.collection(name).countWhere(undefined, { minVersion: v }))));
      // Every replica applied and its graph built.
      await eventually(async () => (await Promise.all(nodes.map(statusOf))).every((s) => s.replicas.every((r) => r.state === 'ready' && r.indexingBacklog === 0)) || undefined);
      const bodies = queries.map((q) => JSON.stringify({ vector: Array.from(q.vector), k: 10, include: [], consistency: 'eventual' }));
      const latencies = await loadFor(nodes.map((node) => `${node.url}/collections/${name}/search`), bodies);
      latencies.sort((a, b) => a - b);
      qps.push([replicas, latencies.length / QPS_SECONDS, percentile(latencies, 0.5), percentile(latencies, 0.99)]);
    }
    results.throughput = { rows: qps, load: load() };
    printTable(`5. throughput, one shard of ${Math.min(N, 5000)} x ${D}, ${CLIENTS} clients (${LOAD_THREADS} threads) over 3 nodes of ${NODE_WORKERS} workers, ${QPS_SECONDS} s each (${availableParallelism()} cores${availableParallelism() <= 2 ? ': not a scaling figure' : ''}; load ${load()})`, ['replicas', 'QPS', 'p50 ms', 'p99 ms'], qps.map(([r, q, p50, p99]) => [String(r), fmt(q), fmt(p50, 2), fmt(p99, 2)]));
  }

  // 6. read-your-writes during an ingest
  if (SECTIONS.has(6)) {
    progress.log('read-your-writes');
    let ingesting = true;
    let background = 0;
    // A steady ingest of INGEST_RATE docs/s in batches of 20, as a pipeline feeding the collection would run.
    const INGEST_RATE = Number(process.env.INGEST_RATE ?? 50);
    const ingestStarted = performance.now();
    const ingest = (async () => {
      for (let round = 0; ingesting; round++) {
        const r = rng(50_000 + round);
        await docs(round).upsert(Array.from({ length: 20 }, (_, i) => ({ id: `bg-${round}-${i}`, vector: vectorOf(r), text: textOf(r) })));
        background += 20;
        const ahead = (background / INGEST_RATE) * 1000 - (performance.now() - ingestStarted);
        if (ahead > 0) await sleep(ahead);
      }
    })();
    // Awaited after the pairs; a failure meanwhile is reported then, not as an unhandled rejection.
    ingest.catch(() => {});
    let violations = 0;
    let eventualMisses = 0;
    let sessionErrors = 0;
    const sessionWaits: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const vector = vectorOf(rng(200_000 + i));
      const { version: token } = await docs(i).upsert([{ id: `ryw-${i}`, vector, metadata: { ryw: i } }]);
      const reader = docs(i + 1);
      if ((await reader.search({ vector, k: 1, filter: { ryw: i }, include: [] }, { consistency: 'eventual' }))[0]?.id !== `ryw-${i}`) eventualMisses++;
      const started = performance.now();
      try {
        if ((await reader.search({ vector, k: 1, filter: { ryw: i }, include: [] }, { minVersion: token }))[0]?.id !== `ryw-${i}`) violations++;
        sessionWaits.push(performance.now() - started);
      } catch {
        // CLUSTER_UNAVAILABLE: the replica did not reach the version in time. No stale answer, but no answer: counted apart.
        sessionErrors++;
      }
      if (i % 1000 === 0) progress.log(`read-your-writes ${i}/${PAIRS}`);
    }
    ingesting = false;
    await ingest;
    sessionWaits.sort((a, b) => a - b);
    results.readYourWrites = {
      pairs: PAIRS, sessionViolations: violations, sessionErrors, sessionSearchMs: { p50: percentile(sessionWaits, 0.5), p99: percentile(sessionWaits, 0.99) },
      eventualMisses, eventualMissRate: eventualMisses / PAIRS, backgroundDocs: background, ingestRate: INGEST_RATE, load: load(),
    };
    printTable(`6. read-your-writes: ${PAIRS} pairs (write on one node, search on the next) during an ingest of ${background} docs at ${INGEST_RATE}/s (load ${load()})`, ['consistency', 'violations', 'rate', 'failed (503)', 'search p50 / p99 ms'], [
      ['session (the write\'s version)', String(violations), fmt(violations / PAIRS, 4), String(sessionErrors), `${fmt(percentile(sessionWaits, 0.5), 2)} / ${fmt(percentile(sessionWaits, 0.99), 2)}`],
      ['eventual', String(eventualMisses), fmt(eventualMisses / PAIRS, 4), '', ''],
    ]);
  }

  // 7. faults
  if (SECTIONS.has(7)) {
    progress.log('faults');
    const acknowledged: string[] = [];
    let writeErrors = 0;
    let readsFailed = 0;
    let reads = 0;
    let running = true;
    let lastVersion = 0;
    const writer = (async () => {
      for (let i = 0; running; i++) {
        const ids = Array.from({ length: 20 }, (_, j) => `fault-${i}-${j}`);
        const r = rng(300_000 + i);
        try {
          lastVersion = (await docs(i).upsert(ids.map((id) => ({ id, vector: vectorOf(r) })))).version;
          acknowledged.push(...ids);
        } catch {
          writeErrors++;
        }
        // 20 documents every 100 ms at most (200/s): faster than the replicas apply here only makes the check after wait.
        await sleep(100);
      }
    })();
    const reader = (async () => {
      while (running) {
        try {
          await clients[0]!.collection('docs').search({ vector: queries[reads % queries.length]!.vector, k: 10, include: [] }, { consistency: 'eventual' });
          reads++;
        } catch {
          readsFailed++;
        }
      }
    })();
    let kills = 0;
    let stops = 0;
    for (let step = 0; kills < KILLS || stops < PG_STOPS; step++) {
      await sleep(1500);
      if (stops < PG_STOPS && step % 4 === 3) {
        await pg.stopImmediate();
        await sleep(1000);
        await pg.start();
        stops++;
      } else if (kills < KILLS) {
        const victim = 1 + (kills % 2);
        const old = nodes[victim]!;
        await old.signal('SIGKILL');
        await sleep(500);
        nodes[victim] = await startClusterNode(old.nodeId, old.dataDir);
        clients[victim] = new QuiverClient({ url: nodes[victim].url, retries: 0, timeoutMs: 60_000 });
        kills++;
      }
      progress.log(`faults: ${kills} kills, ${stops} PostgreSQL stops`);
    }
    running = false;
    await Promise.all([writer, reader]);
    let lost = 0;
    for (let from = 0; from < acknowledged.length; from += 1000) {
      const ids = acknowledged.slice(from, from + 1000);
      // PostgreSQL may still be recovering from the last stop, and restarted replicas catching up: retried until they answer.
      const found = await eventually(() => clients[0]!.collection('docs').getMany(ids, { include: [] }, { consistency: 'strong' }), 600_000);
      lost += found.filter((document) => document === null).length;
    }
    results.faults = { kills, postgresStops: stops, acknowledgedWrites: acknowledged.length, lost, writeErrors, reads, readsFailed, lastVersion, load: load() };
    printTable(`7. faults: ${kills} node kills (SIGKILL, restart), ${stops} immediate PostgreSQL stops, a writer and a reader on n1 meanwhile (load ${load()})`, ['acknowledged writes', 'lost', 'writes refused (503, retried)', 'reads', 'reads failed'], [
      [acknowledged.length, lost, writeErrors, reads, readsFailed].map(String),
    ]);
  }
  clients = [];
} catch (error) {
  for (const node of nodes) {
    const ended = node.process.exitCode !== null || node.process.signalCode !== null;
    const status = ended ? 'ended' : await fetch(`${node.url}/_cluster/status`).then((reply) => reply.text(), (e: Error) => e.message);
    console.error(`node ${node.nodeId} (${status}):\n${node.stderr().slice(-3000)}`);
  }
  throw error;
} finally {
  await stopNodes(nodes);
  await pg.stop();
  rmSync(backupDir, { recursive: true, force: true });
}
console.log(`results: ${writeResults('cluster.json', results)}`);
