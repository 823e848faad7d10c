/**
 * A/B of hybrid filtered search (MODE=vector: plain vector search) between
 * two Quiver builds, in one process:
 * the same collection (N x D, seeded text and metadata) built in each, then
 * rounds of the same queries alternating A and B, so the machine's noise falls
 * on both alike. Prints one JSON line: each side's build seconds and queries
 * per second, B's speed over A's, the per-round ratios and the load average.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
 *   npm run build && npx tsx bench/hybrid-ab.bench.ts /tmp/before .   [N=20000 D=384 MODE=hybrid|vector WORKERS=n]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Collection, Database } from '../src/index.js';
import { loadavg } from 'node:os';
const roots = process.argv.slice(2, 4).map((root) => resolve(root));
if (roots.length !== 2) throw new Error('usage: tsx bench/hybrid-ab.bench.ts <root A> <root B> (each with a built dist/)');
const MODE = process.env.MODE ?? 'hybrid';
const N = Number(process.env.N ?? 20_000), D = Number(process.env.D ?? 384), ROUNDS = 10;
/** Queries per round: a vector search is a hundred times shorter than a hybrid filtered one. */
const PER = Number(process.env.PER ?? (MODE === 'vector' ? 2_000 : 100));
const WORKERS = process.env.WORKERS === undefined ? undefined : Number(process.env.WORKERS);
function data() {
  let seed = 42;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const WORDS = Array.from({ length: 2000 }, (_, i) => `w${i.toString(36)}`);
  const text = () => Array.from({ length: 12 }, () => WORDS[Math.floor(rand() ** 2 * WORDS.length)]).join(' ');
  const vec = () => Float32Array.from({ length: D }, () => rand() - 0.5);
  const docs = Array.from({ length: N }, (_, i) => ({ id: `d${i}`, vector: vec(), text: text(), metadata: { group: i % 10, year: 2000 + (i % 25) } }));
  const queries = Array.from({ length: ROUNDS * PER }, (_, i) =>
    MODE === 'vector' ? { vector: vec(), k: 10 } : { vector: vec(), text: text().split(' ').slice(0, 3).join(' '), k: 10, filter: i % 2 ? { group: 3 } : { year: { $gte: 2020 } } });
  return { docs, queries };
}
const { docs, queries } = data();
const sides: { root: string; db: Database; c: Collection; build: number; ms: number }[] = [];
for (const root of roots) {
  const { openDatabase } = (await import(pathToFileURL(`${root}/dist/index.js`).href)) as typeof import('../src/index.js');
  const db = await openDatabase({ logger: { info() {}, warn() {}, error() {} }, ...(WORKERS === undefined ? {} : { workers: WORKERS }) });
  const c = await db.createCollection('h', { dimension: D });
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) await c.upsert(docs.slice(i, i + 1000).map((d) => ({ ...d, vector: Float32Array.from(d.vector) })));
  await c.indexed();
  const build = (performance.now() - t0) / 1000;
  for (let i = 0; i < 100; i++) await c.search(queries[i]!);
  sides.push({ root, db, c, build, ms: 0 });
}
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? [1, 0] : [0, 1];
  const round = [0, 0];
  for (const s of order) {
    const t = performance.now();
    for (let i = r * PER; i < (r + 1) * PER; i++) await sides[s]!.c.search(queries[i]!);
    round[s] = performance.now() - t;
    sides[s]!.ms += round[s]!;
  }
  ratios.push(round[0]! / round[1]!);
}
ratios.sort((a, b) => a - b);
const q = ROUNDS * PER;
console.log(JSON.stringify({
  mode: MODE, workers: WORKERS ?? 'default', n: N, dim: D, queries: q,
  A: { root: sides[0]!.root, build: +sides[0]!.build.toFixed(1), qps: Math.round(q / (sides[0]!.ms / 1000)) },
  B: { root: sides[1]!.root, build: +sides[1]!.build.toFixed(1), qps: Math.round(q / (sides[1]!.ms / 1000)) },
  speedBoverA: +(sides[0]!.ms / sides[1]!.ms).toFixed(3),
  roundRatios: { min: +ratios[0]!.toFixed(3), median: +ratios[ROUNDS >> 1]!.toFixed(3), max: +ratios[ROUNDS - 1]!.toFixed(3) },
  loadavg: loadavg().map((x) => +x.toFixed(2)),
}));
for (const s of sides) await s.db.close();
process.exit(0);
