/**
 * LanceDB (@lancedb/lancedb, in process: Rust through napi) for the
 * benchmarks, loaded from bench/peers/node_modules (bench/peers/load.ts).
 *
 * - Vector: a table of (id int32, vector fixed_size_list<float32>[dim])
 *   built from Arrow data made here with apache-arrow's CommonJS build (the
 *   instance LanceDB itself requires; with the ESM build the tables came out
 *   empty), then an IVF_HNSW_SQ index: numPartitions 1 (one HNSW graph over
 *   all rows, as LanceDB recommends for HNSW and as every other HNSW engine
 *   here has), m and efConstruction as the other engines, 8-bit scalar
 *   quantization (SQ). Searched with `ef` (the sweep's breadth; nprobes is
 *   moot with one partition), optionally `refineFactor(r)`: r * k candidates
 *   re-ranked with the full-precision vectors. LanceDB requires ef >= the
 *   candidates it collects (k, or r * k with refine).
 * - Full text: `Index.fts(...)` on a string column (LanceDB's inverted index,
 *   BM25 scoring), queried with `fullTextSearch(text)` (a match query, terms
 *   combined with OR).
 *
 * `LANCEDB_LOG=error` keeps its Rust warnings (deprecations, "no existing
 * dataset") off the benchmark's output.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { missingPeers, PEERS_DIR, PeerUnavailable, requirePeer } from './load.js';

export const LANCEDB_PACKAGES = ['@lancedb/lancedb', 'apache-arrow'] as const;

// ------------------------------------------------------------ the parts of the APIs used here

export interface ArrowModule {
  Field: new (name: string, type: unknown, nullable?: boolean) => unknown;
  Float32: new () => unknown;
  Int32: new () => unknown;
  Utf8: new () => unknown;
  FixedSizeList: new (size: number, child: unknown) => unknown;
  Struct: new (children: unknown[]) => unknown;
  Schema: new (fields: unknown[]) => { fields: unknown[] };
  RecordBatch: new (schema: unknown, data: unknown) => unknown;
  Table: new (batches: unknown[]) => { numRows: number };
  makeData(props: Record<string, unknown>): unknown;
  vectorFromArray(values: unknown[], type?: unknown): { data: unknown[] };
}

export interface LanceQuery {
  limit(n: number): LanceQuery;
  select(columns: string[]): LanceQuery;
  ef(ef: number): LanceQuery;
  nprobes(n: number): LanceQuery;
  refineFactor(r: number): LanceQuery;
  nearestTo(vector: Float32Array | number[]): LanceQuery;
  fullTextSearch(text: string, options?: { columns?: string | string[] }): LanceQuery;
  toArray(): Promise<Record<string, unknown>[]>;
  toArrow(): Promise<{ numRows: number; getChild(name: string): { toArray(): ArrayLike<number> } | null }>;
}

export interface LanceTable {
  countRows(): Promise<number>;
  createIndex(column: string, options: { config: unknown; replace?: boolean }): Promise<void>;
  listIndices(): Promise<{ name: string; indexType: string; columns: string[] }[]>;
  query(): LanceQuery;
  close(): void;
}

export interface LanceConnection {
  createTable(name: string, data: unknown, options?: { mode?: 'create' | 'overwrite' }): Promise<LanceTable>;
  openTable(name: string): Promise<LanceTable>;
  close(): void;
}

interface HnswSqOptions {
  distanceType: 'l2' | 'cosine' | 'dot';
  numPartitions: number;
  m: number;
  efConstruction: number;
}

export interface FtsOptions {
  withPosition: boolean;
  baseTokenizer: 'simple' | 'whitespace' | 'raw' | 'ngram';
  language: string;
  maxTokenLength: number;
  lowercase: boolean;
  stem: boolean;
  removeStopWords: boolean;
  asciiFolding: boolean;
}

export interface LanceModule {
  connect(uri: string): Promise<LanceConnection>;
  Index: { hnswSq(options: Partial<HnswSqOptions>): unknown; fts(options: Partial<FtsOptions>): unknown };
}

let loaded: { lancedb: LanceModule; arrow: ArrowModule } | null = null;

/** LanceDB and apache-arrow (both CommonJS, the same arrow instance LanceDB uses); throws PeerUnavailable when not installed. */
export function loadLance(): { lancedb: LanceModule; arrow: ArrowModule } {
  if (loaded) return loaded;
  const missing = missingPeers(LANCEDB_PACKAGES);
  if (missing) throw new PeerUnavailable(missing);
  process.env.LANCEDB_LOG ??= 'error';
  loaded = { lancedb: requirePeer<LanceModule>('@lancedb/lancedb'), arrow: requirePeer<ArrowModule>('apache-arrow') };
  return loaded;
}

/** Bytes under a folder (the table's files on disk). */
export function folderBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return total;
}

// ------------------------------------------------------------ vector tables

/** Every vector row carries bucket = row % FILTER_BUCKETS; the first filtered query after a reopen asks for one bucket. */
export const FILTER_BUCKETS = 10;
export const FILTER_BUCKET = 3;

/**
 * An Arrow table (id int32 = row number, bucket int32 = row % FILTER_BUCKETS,
 * vector fixed_size_list<float32>) over rows [from, to) of `base`, without
 * copying the floats.
 */
export function vectorTable(arrow: ArrowModule, base: Float32Array, dim: number, from = 0, to = base.length / dim): unknown {
  const count = to - from;
  const item = new arrow.Field('item', new arrow.Float32(), true);
  const listType = new arrow.FixedSizeList(dim, item);
  const child = arrow.makeData({ type: new arrow.Float32(), length: count * dim, data: base.subarray(from * dim, to * dim) });
  const vectors = arrow.makeData({ type: listType, length: count, nullCount: 0, child });
  const ids = arrow.makeData({ type: new arrow.Int32(), length: count, data: Int32Array.from({ length: count }, (_, i) => from + i) });
  const buckets = arrow.makeData({ type: new arrow.Int32(), length: count, data: Int32Array.from({ length: count }, (_, i) => (from + i) % FILTER_BUCKETS) });
  const fields = [new arrow.Field('id', new arrow.Int32(), false), new arrow.Field('bucket', new arrow.Int32(), false), new arrow.Field('vector', listType, false)];
  const schema = new arrow.Schema(fields);
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: count, nullCount: 0, children: [ids, buckets, vectors] }));
  return new arrow.Table([batch]);
}

/** Creates `name` in `uri` from `base` and builds IVF_HNSW_SQ on it; returns the open table. */
export async function buildVectorTable(
  uri: string, name: string, base: Float32Array, dim: number, metric: 'l2' | 'cosine', hnsw: { m: number; efConstruction: number },
): Promise<{ db: LanceConnection; table: LanceTable; loadSeconds: number; indexSeconds: number; indexType: string }> {
  const { lancedb, arrow } = loadLance();
  const db = await lancedb.connect(uri);
  let started = performance.now();
  const data = vectorTable(arrow, base, dim);
  const table = await db.createTable(name, data, { mode: 'overwrite' });
  const rows = await table.countRows();
  const count = base.length / dim;
  if (rows !== count) throw new Error(`LanceDB table holds ${rows} rows, expected ${count} (Arrow data not recognised?)`);
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await table.createIndex('vector', {
    config: lancedb.Index.hnswSq({ distanceType: metric, numPartitions: 1, m: hnsw.m, efConstruction: hnsw.efConstruction }),
  });
  const indexSeconds = (performance.now() - started) / 1000;
  const indices = await table.listIndices();
  const indexType = indices.find((i) => i.columns.includes('vector'))?.indexType ?? 'none';
  if (indexType === 'none') throw new Error('LanceDB: no index on the vector column after createIndex');
  return { db, table, loadSeconds, indexSeconds, indexType };
}

/** Top-k ids of a vector query. */
export async function vectorSearch(table: LanceTable, query: Float32Array, k: number, ef: number, refineFactor: number | null): Promise<number[]> {
  let q = table.query().nearestTo(query).limit(k).ef(ef).select(['id', '_distance']);
  if (refineFactor !== null) q = q.refineFactor(refineFactor);
  const result = await q.toArrow();
  return Array.from(result.getChild('id')!.toArray() as Int32Array);
}

/**
 * Opens the table from disk in a fresh Node process and runs one query, then
 * one filtered by `bucket = FILTER_BUCKET`: seconds from `connect` to the
 * first answer inside that process, and from spawning it (Node start and
 * loading LanceDB's native module included); seconds the filtered query took.
 */
export function reopenInFreshProcess(uri: string, name: string, query: Float32Array, k: number, ef: number): { seconds: number; processSeconds: number; ids: number[]; filteredSeconds: number } {
  const script = `
    const { createRequire } = require('node:module');
    const req = createRequire(${JSON.stringify(join(PEERS_DIR, 'package.json'))});
    process.env.LANCEDB_LOG = 'error';
    const lancedb = req('@lancedb/lancedb');
    (async () => {
      const t0 = performance.now();
      const db = await lancedb.connect(${JSON.stringify(uri)});
      const table = await db.openTable(${JSON.stringify(name)});
      const rows = await table.query().nearestTo(${JSON.stringify(Array.from(query))}).limit(${k}).ef(${ef}).select(['id', '_distance']).toArray();
      const seconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      await table.query().nearestTo(${JSON.stringify(Array.from(query))}).where('bucket = ${FILTER_BUCKET}').limit(${k}).ef(${ef}).select(['id', '_distance']).toArray();
      const filteredSeconds = (performance.now() - t1) / 1000;
      process.stdout.write(JSON.stringify({ seconds, ids: rows.map((r) => r.id), filteredSeconds }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, LANCEDB_LOG: 'error' } });
  const processSeconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`fresh-process reopen failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const parsed = JSON.parse(result.stdout) as { seconds: number; ids: number[]; filteredSeconds: number };
  return { seconds: parsed.seconds, processSeconds, ids: parsed.ids, filteredSeconds: parsed.filteredSeconds };
}

// ------------------------------------------------------------ full text

/** Creates a table (id int32, body utf8) from `texts` and builds an FTS index on body. */
export async function buildTextTable(
  uri: string, name: string, count: number, textOf: (i: number) => string, fts: Partial<FtsOptions>, batchRows = 50_000,
): Promise<{ db: LanceConnection; table: LanceTable; loadSeconds: number; indexSeconds: number }> {
  const { lancedb, arrow } = loadLance();
  const db = await lancedb.connect(uri);
  let started = performance.now();
  const batches: unknown[] = [];
  const fields = [new arrow.Field('id', new arrow.Int32(), false), new arrow.Field('body', new arrow.Utf8(), false)];
  const schema = new arrow.Schema(fields);
  for (let from = 0; from < count; from += batchRows) {
    const to = Math.min(count, from + batchRows);
    const ids = arrow.makeData({ type: new arrow.Int32(), length: to - from, data: Int32Array.from({ length: to - from }, (_, i) => from + i) });
    const texts: string[] = [];
    for (let i = from; i < to; i++) texts.push(textOf(i));
    const body = arrow.vectorFromArray(texts, new arrow.Utf8()).data[0];
    batches.push(new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: to - from, nullCount: 0, children: [ids, body] })));
  }
  const table = await db.createTable(name, new arrow.Table(batches), { mode: 'overwrite' });
  const rows = await table.countRows();
  if (rows !== count) throw new Error(`LanceDB table holds ${rows} rows, expected ${count} (Arrow data not recognised?)`);
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await table.createIndex('body', { config: lancedb.Index.fts(fts) });
  const indexSeconds = (performance.now() - started) / 1000;
  return { db, table, loadSeconds, indexSeconds };
}

/**
 * Like buildTextTable, but the table and its FTS index are written by a
 * fresh Node process (the texts handed over in a temporary JSON-lines file),
 * then opened here. bench/bm25.bench.ts uses it: inside that benchmark's
 * process (a large corpus and several engines already loaded) LanceDB's FTS
 * createIndex never finished at 100,000 documents (no CPU used, the index
 * folder empty), while the same build in a fresh process takes about a
 * second. Querying the opened table in process works.
 */
export async function buildTextTableInChild(
  uri: string, name: string, count: number, textOf: (i: number) => string, fts: Partial<FtsOptions>, timeoutMs = 600_000,
): Promise<{ db: LanceConnection; table: LanceTable; loadSeconds: number; indexSeconds: number }> {
  const { lancedb } = loadLance();
  const { mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  mkdirSync(uri, { recursive: true });
  const input = join(uri, '..', `${name}-texts-${process.pid}.jsonl`);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify(textOf(i)));
  writeFileSync(input, lines.join('\n'));
  const script = `
    const { createRequire } = require('node:module');
    const { readFileSync } = require('node:fs');
    const req = createRequire(${JSON.stringify(join(PEERS_DIR, 'package.json'))});
    process.env.LANCEDB_LOG = 'error';
    const lancedb = req('@lancedb/lancedb');
    const arrow = req('apache-arrow');
    (async () => {
      let t0 = performance.now();
      const texts = readFileSync(${JSON.stringify(input)}, 'utf8').split('\\n').map((l) => JSON.parse(l));
      const ids = Int32Array.from({ length: texts.length }, (_, i) => i);
      const table = new arrow.Table({ id: arrow.vectorFromArray(ids, new arrow.Int32()), body: arrow.vectorFromArray(texts, new arrow.Utf8()) });
      const db = await lancedb.connect(${JSON.stringify(uri)});
      const t = await db.createTable(${JSON.stringify(name)}, table, { mode: 'overwrite' });
      const rows = await t.countRows();
      const loadSeconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      await t.createIndex('body', { config: lancedb.Index.fts(${JSON.stringify(fts)}) });
      const indexSeconds = (performance.now() - t0) / 1000;
      process.stdout.write(JSON.stringify({ rows, loadSeconds, indexSeconds }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  try {
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, LANCEDB_LOG: 'error' }, timeout: timeoutMs, maxBuffer: 2 ** 24 });
    if (result.status !== 0) throw new Error(`LanceDB build process failed (${result.signal ?? result.status}): ${(result.stderr || result.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
    const built = JSON.parse(result.stdout) as { rows: number; loadSeconds: number; indexSeconds: number };
    if (built.rows !== count) throw new Error(`LanceDB table holds ${built.rows} rows, expected ${count}`);
    const db = await lancedb.connect(uri);
    const table = await db.openTable(name);
    return { db, table, loadSeconds: built.loadSeconds, indexSeconds: built.indexSeconds };
  } finally {
    rmSync(input, { force: true });
  }
}

/** Top-k ids of a full-text query (BM25, terms OR'ed). */
export async function textSearch(table: LanceTable, text: string, k: number): Promise<number[]> {
  const result = await table.query().fullTextSearch(text, { columns: 'body' }).limit(k).select(['id', '_score']).toArrow();
  return result.numRows === 0 ? [] : Array.from(result.getChild('id')!.toArray() as Int32Array);
}
