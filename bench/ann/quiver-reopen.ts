/**
 * Quiver's "reopen to first answer" for bench:ann, measured as the peers'
 * is (bench/peers/vector-peers.ts): a database on disk with the defaults
 * (`openDatabase({ path })`: a worker per core, segments as many), written
 * and closed (which saves a snapshot), then opened in a fresh Node process
 * that answers one query and then one filtered to a bucket, as a user's
 * restarted server would. Timed from `openDatabase` (the module import
 * excluded, as LanceDB's is) to the first answer, and the filtered query
 * on its own. Runs the compiled build when there is one (`npm run build`),
 * so worker threads start as a user's would, else the TypeScript sources
 * through tsx (slower worker start: the report says which).
 * The child is a plain JavaScript module (`node --input-type=module -e`),
 * so no TypeScript loader runs in it or in its worker threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from '../lib/stats.js';
import { FILTER_BUCKET, FILTER_BUCKETS } from '../peers/lancedb.js';
import type { Reopened } from '../peers/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPILED = join(ROOT, 'dist', 'index.js');
/** Fresh processes per measurement; the median is reported. */
const RUNS = 3;
const BATCH = 2_000;

interface ChildResult {
  seconds: number;
  filteredSeconds: number;
  ids: string[];
}

/**
 * Writes `base` (row i has id String(i) and metadata { bucket: i %
 * FILTER_BUCKETS }) into a new database with the defaults in `path`, closes
 * it, and times RUNS fresh-process reopens.
 */
export async function quiverReopen(options: {
  path: string;
  base: Float32Array;
  dim: number;
  metric: 'l2' | 'cosine';
  hnsw: { m: number; efConstruction: number };
  query: Float32Array;
  k: number;
  log(message: string): void;
}): Promise<Reopened> {
  const { path, base, dim, metric, hnsw, query, k, log } = options;
  const compiled = existsSync(COMPILED);
  const entry = compiled ? pathToFileURL(COMPILED).href : pathToFileURL(join(ROOT, 'src', 'index.ts')).href;
  const { openDatabase } = (await import(entry)) as typeof import('../../src/index.js');
  const count = base.length / dim;
  const name = 'reopen';
  const db = await openDatabase({ path });
  let inProcess: string[];
  try {
    const collection = await db.createCollection(name, { dimension: dim, metric, hnsw: { m: hnsw.m, efConstruction: hnsw.efConstruction } });
    for (let from = 0; from < count; from += BATCH) {
      const to = Math.min(count, from + BATCH);
      await collection.upsert(Array.from({ length: to - from }, (_, j) => ({
        id: String(from + j), vector: base.subarray((from + j) * dim, (from + j + 1) * dim), metadata: { bucket: (from + j) % FILTER_BUCKETS },
      })));
    }
    await collection.indexed();
    inProcess = (await collection.search({ vector: query, k, include: [] })).map((hit) => hit.id);
  } finally {
    await db.close();
  }
  const script = childScript(entry, path, name, query, k);
  const runs: ChildResult[] = [];
  let processSeconds = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const loader = compiled ? [] : ['--import', 'tsx'];
    const result = spawnSync(process.execPath, [...loader, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT });
    processSeconds = (performance.now() - started) / 1000;
    if (result.status !== 0) throw new Error(`Quiver fresh-process reopen failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    runs.push(JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ChildResult);
    log(`Quiver reopen ${run + 1}/${RUNS}: first answer ${runs.at(-1)!.seconds.toFixed(3)} s, first filtered query ${runs.at(-1)!.filteredSeconds.toFixed(3)} s`);
  }
  const same = runs.every((r) => r.ids.join() === inProcess.join());
  return {
    seconds: median(runs.map((r) => r.seconds)),
    firstFilteredSeconds: median(runs.map((r) => r.filteredSeconds)),
    what: `fresh Node process, openDatabase({ path }) with the defaults (${compiled ? 'compiled build' : 'TypeScript sources through tsx: worker threads start slower than a user\'s'}) + first query; ` +
      `median of ${RUNS}; ${processSeconds.toFixed(2)} s from spawning the last one (Node start and module import included); same answer as before close: ${same ? 'yes' : 'NO'}`,
  };
}

/** The fresh process: open, one query, one filtered query; prints a ChildResult line. */
function childScript(entry: string, path: string, name: string, query: Float32Array, k: number): string {
  return `
    const { openDatabase } = await import(${JSON.stringify(entry)});
    const query = Float32Array.from(${JSON.stringify(Array.from(query))});
    const started = performance.now();
    const db = await openDatabase({ path: ${JSON.stringify(path)} });
    const collection = db.collection(${JSON.stringify(name)});
    const hits = await collection.search({ vector: query, k: ${k}, include: [] });
    const seconds = (performance.now() - started) / 1000;
    const filteredStarted = performance.now();
    await collection.search({ vector: query, k: ${k}, include: [], filter: { bucket: ${FILTER_BUCKET} } });
    const filteredSeconds = (performance.now() - filteredStarted) / 1000;
    await db.close();
    process.stdout.write(JSON.stringify({ seconds, filteredSeconds, ids: hits.map((hit) => hit.id) }) + '\\n');
  `;
}
