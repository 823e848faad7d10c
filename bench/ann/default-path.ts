/**
 * The default path (issue 17), a section of bench:ann: what a user who opens
 * a database with the defaults and sends one query after another gets,
 * against raw hnswlib-node on the calling thread.
 *
 * Shape: 20,000 x 128 embedding-like vectors (bench/lib/datasets.ts), l2, m 16,
 * efConstruction 200, ef 64, k 10; documents upserted in batches of 2,000
 * with a small metadata field; queries are rows of one Float32Array, as a
 * pipeline holds them. Configurations, timed with their samples interleaved
 * by wall clock (worker threads do part of the work):
 * - raw hnswlib-node: `searchKnn` on the calling thread (the floor);
 * - Quiver defaults: `openDatabase()` (a worker per core, segments as many),
 *   `search({ vector, k })` with the default include (metadata and text);
 * - Quiver defaults with `include: []`;
 * - Quiver with one segment (`hnsw.segments: 1`, the default workers): the
 *   trade-off the defaults decline (see docs/DESIGN.md), measured beside them;
 * - Quiver `workers: 0`, default include and `include: []`.
 * Each Quiver row also carries how long its collection took to build
 * (batched upserts until `indexed()`), since segments trade build speed
 * against query cost.
 * Each row carries its recall@10 against an exact float64 scan: a query
 * fans out to every segment, and equal ef is not equal accuracy.
 */
import hnswlib from 'hnswlib-node';
import { openDatabase, type Collection, type Database } from '../../src/index.js';
import { embeddingModel } from '../lib/datasets.js';
import { measureInterleaved, type TimingOptions } from '../lib/harness.js';

export interface DefaultPathRow {
  configuration: string;
  qps: number;
  vsRaw: number;
  /** The plan the planner chose (explain), null for raw hnswlib. */
  plan: string | null;
  /** Recall@10 over the query set, against an exact scan. */
  recall: number;
  /** Seconds from the first upsert to `indexed()`, null for raw hnswlib (its build is not comparable: no store). */
  buildSeconds: number | null;
}

export interface DefaultPathResult {
  shape: string;
  rows: DefaultPathRow[];
  /** In bench:ann's target form (the value as text). */
  targets: { name: string; value: string; target: string; met: boolean }[];
}

type Variant = 'defaults' | 'oneSegment' | 'workers0';

const QUERIES = 500;
const K = 10;
const EF = 64;

/** The exact top K of each query (float64 l2), as label sets. */
function groundTruth(base: Float32Array, queries: Float32Array, count: number, DIM: number): Set<number>[] {
  return Array.from({ length: QUERIES }, (_, q) => {
    const best: { label: number; distance: number }[] = [];
    for (let i = 0; i < count; i++) {
      let distance = 0;
      for (let d = 0; d < DIM; d++) {
        const diff = base[i * DIM + d]! - queries[q * DIM + d]!;
        distance += diff * diff;
      }
      if (best.length < K || distance < best[best.length - 1]!.distance) {
        best.push({ label: i, distance });
        best.sort((a, b) => a.distance - b.distance);
        if (best.length > K) best.pop();
      }
    }
    return new Set(best.map((b) => b.label));
  });
}

async function recallOf(search: (q: number) => Promise<number[]> | number[], truth: Set<number>[]): Promise<number> {
  let found = 0;
  for (let q = 0; q < QUERIES; q++) for (const label of await search(q)) if (truth[q]!.has(label)) found++;
  return found / (QUERIES * K);
}

/**
 * One shape of the default path. `targets`: whether this shape carries the
 * issue's targets (the 128-d one it was reported on); the others are the
 * dimensions embedding models give (384, 768, 1536).
 */
export async function defaultPathSection(options: { count: number; dim: number; targets: boolean; timing: TimingOptions; log(message: string): void }): Promise<DefaultPathResult> {
  const { count, dim: DIM, timing, log } = options;
  const shape = `${count.toLocaleString()} x ${DIM}, l2, m 16, efConstruction 200, ef ${EF}, k ${K}, sequential queries`;
  log(`default path: ${shape}: building raw hnswlib and three Quiver databases`);
  const model = embeddingModel({ dim: DIM, seed: 1 });
  const base = model.sample(count, 2);
  const queries = model.sample(QUERIES, 3);
  const query = (i: number) => queries.subarray((i % QUERIES) * DIM, ((i % QUERIES) + 1) * DIM);
  const queryArrays = Array.from({ length: QUERIES }, (_, i) => Array.from(query(i)));

  const raw = new hnswlib.HierarchicalNSW('l2', DIM);
  raw.initIndex(count, 16, 200, 100);
  for (let i = 0; i < count; i++) raw.addPoint(Array.from(base.subarray(i * DIM, (i + 1) * DIM)), i);
  raw.setEf(EF);
  log('default path: exact ground truth');
  const truth = groundTruth(base, queries, count, DIM);

  const open: Database[] = [];
  const collections: Record<Variant, Collection> = {} as never;
  const buildSeconds: Record<Variant, number> = {} as never;
  const variants = [['defaults', {}, {}], ['oneSegment', {}, { segments: 1 }], ['workers0', { workers: 0 }, {}]] as const;
  for (const [name, settings, hnsw] of variants) {
    const db = await openDatabase(settings);
    open.push(db);
    const collection = await db.createCollection('default-path', { dimension: DIM, metric: 'l2', hnsw });
    const started = performance.now();
    for (let start = 0; start < count; start += 2000) {
      await collection.upsert(Array.from({ length: Math.min(2000, count - start) }, (_, j) => ({
        id: `d${start + j}`, vector: base.subarray((start + j) * DIM, (start + j + 1) * DIM), metadata: { group: (start + j) % 10 },
      })));
    }
    await collection.indexed();
    buildSeconds[name] = (performance.now() - started) / 1000;
    collections[name] = collection;
  }
  try {
    const labelsOf = async (collection: Collection, q: number) =>
      (await collection.search({ vector: query(q), k: K, include: [] })).map((hit) => Number(hit.id.slice(1)));
    const configurations: Record<string, (i: number) => unknown> = {
      'raw hnswlib-node': (i: number) => raw.searchKnn(queryArrays[i % QUERIES]!, K),
      'Quiver defaults': (i: number) => collections.defaults.search({ vector: query(i), k: K }),
      'Quiver defaults, include []': (i: number) => collections.defaults.search({ vector: query(i), k: K, include: [] }),
      'Quiver one segment': (i: number) => collections.oneSegment.search({ vector: query(i), k: K }),
      'Quiver one segment, include []': (i: number) => collections.oneSegment.search({ vector: query(i), k: K, include: [] }),
      'Quiver workers 0': (i: number) => collections.workers0.search({ vector: query(i), k: K }),
      'Quiver workers 0, include []': (i: number) => collections.workers0.search({ vector: query(i), k: K, include: [] }),
    };
    const recalls: Record<string, number> = {
      'raw hnswlib-node': await recallOf((q) => raw.searchKnn(queryArrays[q]!, K).neighbors, truth),
      'Quiver defaults': await recallOf((q) => labelsOf(collections.defaults, q), truth),
      'Quiver one segment': await recallOf((q) => labelsOf(collections.oneSegment, q), truth),
      'Quiver workers 0': await recallOf((q) => labelsOf(collections.workers0, q), truth),
    };
    recalls['Quiver defaults, include []'] = recalls['Quiver defaults']!;
    recalls['Quiver one segment, include []'] = recalls['Quiver one segment']!;
    recalls['Quiver workers 0, include []'] = recalls['Quiver workers 0']!;
    log('default path: timing sequential queries (samples interleaved)');
    const timings = await measureInterleaved(configurations, timing);
    const rawQps = 1e9 / timings['raw hnswlib-node']!.medianNs;
    const planOf = async (collection: Collection) => (await collection.search({ vector: query(0), k: K, explain: true })).explain?.plan ?? null;
    const plans: Record<string, string | null> = {
      'Quiver defaults': await planOf(collections.defaults),
      'Quiver defaults, include []': await planOf(collections.defaults),
      'Quiver one segment': await planOf(collections.oneSegment),
      'Quiver one segment, include []': await planOf(collections.oneSegment),
      'Quiver workers 0': await planOf(collections.workers0),
      'Quiver workers 0, include []': await planOf(collections.workers0),
    };
    const variantOf = (configuration: string): Variant | undefined =>
      configuration.startsWith('Quiver defaults') ? 'defaults' : configuration.startsWith('Quiver one segment') ? 'oneSegment' : configuration.startsWith('Quiver workers 0') ? 'workers0' : undefined;
    const rows = Object.keys(configurations).map((configuration) => {
      const qps = 1e9 / timings[configuration]!.medianNs;
      const variant = variantOf(configuration);
      return {
        configuration, qps, vsRaw: qps / rawQps, plan: plans[configuration] ?? null, recall: recalls[configuration]!,
        buildSeconds: variant === undefined ? null : buildSeconds[variant],
      };
    });
    const ratio = (name: string) => rows.find((r) => r.configuration === name)!.vsRaw;
    const targets = !options.targets ? [] : [
      { name: `default path (${count.toLocaleString()} x ${DIM}): Quiver defaults / raw hnswlib-node, sequential`, value: `${ratio('Quiver defaults').toFixed(2)}x`, target: '>= 0.8x', met: ratio('Quiver defaults') >= 0.8 },
      { name: `default path (${count.toLocaleString()} x ${DIM}): Quiver defaults, include [] / raw hnswlib-node`, value: `${ratio('Quiver defaults, include []').toFixed(2)}x`, target: '>= 0.9x', met: ratio('Quiver defaults, include []') >= 0.9 },
    ];
    for (const row of rows) {
      const build = row.buildSeconds === null ? '' : `, built in ${row.buildSeconds.toFixed(1)} s`;
      log(`default path: ${row.configuration}: ${Math.round(row.qps)} QPS, ${row.vsRaw.toFixed(2)}x raw, recall@10 ${row.recall.toFixed(3)}${build}${row.plan ? ` (plan ${row.plan})` : ''}`);
    }
    return { shape, rows, targets };
  } finally {
    for (const db of open) await db.close();
  }
}
