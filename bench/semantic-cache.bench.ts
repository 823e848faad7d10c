/**
 * Semantic cache lookups at scale (issue 21): `npm run bench:semantic-cache`
 * [N=100000 D=384 LOOKUPS=2000].
 *
 * N cached entries (random unit question vectors, each with a model and a
 * tenant, the cache's own fields) in a collection with default settings, in
 * process; then lookups, one at a time, interleaved: a near repeat of a
 * cached question (the stored vector plus noise, similarity about 0.98: a
 * hit at the default threshold 0.95), a new question (a miss), and a near
 * repeat filtered by tenant. Prints p50/p99 latency, the hit rate of the
 * near repeats (what the approximate search found) and the load average;
 * writes bench/results/semantic-cache.json.
 */
import { loadavg } from 'node:os';
import { openDatabase, SemanticCache } from '../src/index.js';
import { createProgress, fmt, machineInfo, printTable, writeResults } from './lib/harness.js';
import { percentile } from './lib/stats.js';
import { rng } from '../test/fixtures/random.js';

const N = Number(process.env.N ?? 100_000);
const D = Number(process.env.D ?? 384);
const LOOKUPS = Number(process.env.LOOKUPS ?? 2000);
const BATCH = 1000;
const progress = createProgress();
const random = rng(21);

function unit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  return vector.map((x) => x / norm);
}
const question = () => unit(Float32Array.from({ length: D }, () => random() - 0.5));
/** A question close to `stored`: noise of a fifth of its length, so similarity is about 0.98. */
const nearRepeat = (stored: Float32Array) => unit(stored.map((x) => x + ((random() - 0.5) * 2 * 0.2 * Math.sqrt(3)) / Math.sqrt(D)));

const db = await openDatabase();
const collection = await db.createCollection('answers', { dimension: D, metric: 'cosine' });
const cache = new SemanticCache({ collection });
const stored: Float32Array[] = [];
const started = performance.now();
const now = Date.now();
for (let from = 0; from < N; from += BATCH) {
  // The entries the cache's store() writes, a batch at a time (store() writes one).
  const batch = Array.from({ length: Math.min(BATCH, N - from) }, (_, i) => {
    const vector = question();
    stored.push(vector);
    const n = from + i;
    return { id: `e${n}`, vector, metadata: { model: `m${n % 3}`, tenant: `t${n % 50}`, answer: `answer ${n}: ${'x'.repeat(200)}`, storedAt: now, expiresAt: now + 86_400_000 } };
  });
  await collection.upsert(batch);
  if ((from / BATCH) % 10 === 9) progress.log(`filled ${from + BATCH}/${N}`);
}
await collection.indexed();
const fillSeconds = (performance.now() - started) / 1000;
progress.log('lookups');

const times = { near: [] as number[], miss: [] as number[], filtered: [] as number[] };
let nearHits = 0;
let filteredHits = 0;
let falseHits = 0;
for (let i = 0; i < LOOKUPS; i++) {
  for (const kind of (['near', 'miss', 'filtered'] as const).map((_, j, all) => all[(i + j) % 3]!)) {
    const target = Math.floor(random() * N);
    const t = performance.now();
    if (kind === 'near') nearHits += (await cache.lookup(nearRepeat(stored[target]!)))?.id === `e${target}` ? 1 : 0;
    else if (kind === 'miss') falseHits += (await cache.lookup(question())) === null ? 0 : 1;
    else filteredHits += (await cache.lookup(nearRepeat(stored[target]!), { tenant: `t${target % 50}` }))?.id === `e${target}` ? 1 : 0;
    times[kind].push(performance.now() - t);
  }
}
for (const list of Object.values(times)) list.sort((a, b) => a - b);
const load = loadavg()[0]!.toFixed(2);
const rows = [
  ['near repeat (a hit)', fmt(percentile(times.near, 0.5), 3), fmt(percentile(times.near, 0.99), 3), `${fmt((100 * nearHits) / LOOKUPS, 1)}% found`],
  ['new question (a miss)', fmt(percentile(times.miss, 0.5), 3), fmt(percentile(times.miss, 0.99), 3), `${falseHits} false hits`],
  ['near repeat, filtered by tenant (1 in 50)', fmt(percentile(times.filtered, 0.5), 3), fmt(percentile(times.filtered, 0.99), 3), `${fmt((100 * filteredHits) / LOOKUPS, 1)}% found`],
];
printTable(`semantic cache lookups, ${N} entries x ${D}, default settings, in process, ${LOOKUPS} of each interleaved (ms; filled in ${fmt(fillSeconds, 1)} s; load ${load})`, ['lookup', 'p50', 'p99', 'result'], rows);
console.log(`results: ${writeResults('semantic-cache.json', {
  machine: machineInfo(), settings: { N, D, LOOKUPS }, fillSeconds, load,
  lookupsMs: Object.fromEntries(Object.entries(times).map(([kind, list]) => [kind, { p50: percentile(list, 0.5), p99: percentile(list, 0.99) }])),
  nearHitRate: nearHits / LOOKUPS, filteredHitRate: filteredHits / LOOKUPS, falseHits, stats: cache.stats(),
})}`);
await db.close();
