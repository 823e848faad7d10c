/**
 * Partial updates against upserts (issue 19): `npm run bench:update`
 * [N=100000 D=384 SHARE=0.1 ROUNDS=3 BATCH=1000 DIR=/path].
 *
 * One collection of N x D documents with default settings (workers, cosine,
 * a data directory on disk, durability as default), then rounds that
 * alternate, on the same SHARE of the documents (in BATCH-sized calls):
 *
 * - `update` by id, setting one metadata field (a status, as an ACL or a
 *   tag would be);
 * - `updateWhere` with a filter matching the same documents, as one call;
 * - `upsert` of the same documents with the changed field and their
 *   vectors unchanged (the graph keeps its nodes);
 * - `upsert` with new vectors (a re-embedding), timed until it resolves
 *   and again until the graph has caught up (`indexed()`), since an
 *   upsert's graph inserts run after it resolves.
 *
 * Graph work is counted by wrapping SegmentedGraph's add and remove (every
 * graph insert and delete of a collection goes through them): the updates
 * must make none. Prints a table with the load average, and writes
 * bench/results/update.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentedGraph } from '../src/core/graph/segmented-graph.js';
import { openDatabase, type Collection, type DocumentInput } from '../src/index.js';
import { createProgress, fmt, machineInfo, printTable, writeResults } from './lib/harness.js';

const N = Number(process.env.N ?? 100_000);
const D = Number(process.env.D ?? 384);
const SHARE = Number(process.env.SHARE ?? 0.1);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCH = Number(process.env.BATCH ?? 1_000);

let graphCalls = 0;
for (const name of ['add', 'remove'] as const) {
  const original = SegmentedGraph.prototype[name] as (...args: unknown[]) => unknown;
  (SegmentedGraph.prototype as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    graphCalls++;
    return original.apply(this, args);
  };
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const rand = seeded(7);
const vectors = Array.from({ length: N }, () => Float32Array.from({ length: D }, () => rand() - 0.5));
/** Each document's vector as stored now: the same-vector upsert sends these. */
const stored = [...vectors];
const doc = (i: number, status: string, vector = stored[i]!): DocumentInput => ({
  id: `d${i}`, vector, text: `document ${i} about topic ${i % 97}`, metadata: { group: i % 10, status },
});
/** Document i's vector moved a little, differently each round: what re-embedding with a new model version does. */
const moved = (i: number, round: number) => Float32Array.from(vectors[i]!, (x, j) => x + 0.05 * Math.sin(i + j + round));
/** The documents updated each round: every 1/SHARE-th one, so the filter `group: 0` matches exactly them at SHARE 0.1. */
const chosen = Array.from({ length: N }, (_, i) => i).filter((i) => i % Math.round(1 / SHARE) === 0);

const dir = process.env.DIR ?? mkdtempSync(join(tmpdir(), 'quiver-update-bench-'));
const db = await openDatabase({ path: dir, logger: { info() {}, warn() {}, error() {} } });
const progress = createProgress();
const machine = machineInfo();
console.log(`Partial updates against upserts: ${N.toLocaleString()} x ${D}, ${chosen.length.toLocaleString()} documents a round (${SHARE * 100}%), batches of ${BATCH}; ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);

const docs: Collection = await db.createCollection('docs', { dimension: D });
const built = performance.now();
for (let start = 0; start < N; start += BATCH) {
  await docs.upsert(Array.from({ length: Math.min(BATCH, N - start) }, (_, j) => doc(start + j, 'new')));
  if ((start / BATCH) % 10 === 9) progress.log(`build: ${fmt(((start + BATCH) / N) * 100)}% (${(start + BATCH).toLocaleString()} / ${N.toLocaleString()})`);
}
await docs.indexed();
progress.log(`build: ${N.toLocaleString()} documents in ${fmt((performance.now() - built) / 1000, 1)} s`);

const KINDS = ['update by id', 'updateWhere', 'upsert, same vectors', 'upsert, new vectors (resolved)', 'upsert, new vectors (indexed)'] as const;
type Kind = (typeof KINDS)[number];
const runs = Object.fromEntries(KINDS.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
const graph = Object.fromEntries(KINDS.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
const loads: number[] = [];

for (let round = 0; round < ROUNDS; round++) {
  const status = `round-${round}`;
  loads.push(loadavg()[0]!);

  let calls = graphCalls;
  let started = performance.now();
  for (let start = 0; start < chosen.length; start += BATCH) {
    await docs.update(chosen.slice(start, start + BATCH).map((i) => ({ id: `d${i}`, set: { status: `${status}-id` } })));
  }
  runs['update by id'].push(performance.now() - started);
  graph['update by id'].push(graphCalls - calls);

  calls = graphCalls;
  started = performance.now();
  const { updated } = await docs.updateWhere({ group: 0 }, { set: { status: `${status}-where` } });
  runs.updateWhere.push(performance.now() - started);
  graph.updateWhere.push(graphCalls - calls);
  if (updated !== chosen.length) throw new Error(`updateWhere updated ${updated}, expected ${chosen.length}`);

  calls = graphCalls;
  started = performance.now();
  for (let start = 0; start < chosen.length; start += BATCH) {
    await docs.upsert(chosen.slice(start, start + BATCH).map((i) => doc(i, `${status}-same`)));
  }
  await docs.indexed();
  runs['upsert, same vectors'].push(performance.now() - started);
  graph['upsert, same vectors'].push(graphCalls - calls);

  calls = graphCalls;
  started = performance.now();
  for (let start = 0; start < chosen.length; start += BATCH) {
    await docs.upsert(chosen.slice(start, start + BATCH).map((i) => doc(i, `${status}-new`, (stored[i] = moved(i, round)))));
  }
  runs['upsert, new vectors (resolved)'].push(performance.now() - started);
  graph['upsert, new vectors (resolved)'].push(graphCalls - calls);
  await docs.indexed();
  runs['upsert, new vectors (indexed)'].push(performance.now() - started);
  graph['upsert, new vectors (indexed)'].push(graphCalls - calls);
  const last = (kind: Kind) => fmt(runs[kind].at(-1)!);
  progress.log(`round ${round + 1}/${ROUNDS}: update ${last('update by id')} ms, updateWhere ${last('updateWhere')} ms, ` +
    `upsert same vectors ${last('upsert, same vectors')} ms, new vectors ${last('upsert, new vectors (indexed)')} ms (load ${loads.at(-1)!.toFixed(2)})`);
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const upsertMs = median(runs['upsert, new vectors (indexed)']);
const rows = KINDS.map((kind) => {
  const ms = median(runs[kind]);
  return [kind, fmt(ms), fmt(Math.min(...runs[kind])), fmt(Math.max(...runs[kind])), fmt((chosen.length / ms) * 1000), `${fmt(upsertMs / ms, 1)}x`, graph[kind].join(' / ')];
});
printTable(
  `${chosen.length.toLocaleString()} of ${N.toLocaleString()} x ${D} documents, ${ROUNDS} interleaved rounds, load ${loads.map((l) => l.toFixed(2)).join(' / ')}`,
  ['write', 'median ms', 'min ms', 'max ms', 'documents/s', 'faster than upsert, new vectors (indexed)', 'graph calls per round'],
  rows,
);
writeResults('update.json', { n: N, dimension: D, documents: chosen.length, batch: BATCH, runs, graph, loads, machine });
await db.close();
if (process.env.DIR === undefined) rmSync(dir, { recursive: true, force: true });
