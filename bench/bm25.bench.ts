/**
 * Keyword top-10 latency: `npx tsx bench/bm25.bench.ts [--quick] [--docs N] [--minisearch-docs N] [--orama-docs N]`.
 *
 * Data: seeded synthetic documents over a Zipf vocabulary (VOCABULARY
 * terms `t0..`, P(rank r) proportional to r^-ZIPF_S, drawn with Vose's alias
 * method), 20-60 terms per document (40 on average): 1,000,000 documents,
 * 100,000 with --quick. The tokenizer is bypassed: every engine gets the
 * same terms (Quiver as token arrays, the others as space-separated text).
 *
 * Queries (QUERIES_PER_CLASS each, seeded), OR semantics everywhere:
 * - rare: 2 terms of rank 5,000-50,000 (df roughly 10-300 per million);
 * - common: 2 terms of the 20 most frequent (df 20-99% of documents);
 * - top-1: the single most frequent term (in ~99% of documents);
 * - mixed: 1 common term and 2 of rank 100-5,000.
 * Each query runs once per engine after a warm-up pass, interleaved across
 * engines; p50/p95/max are over the queries of a class. A slow engine
 * stops a class after CLASS_BUDGET_MS (having run at least MIN_QUERIES);
 * the `ran` column says how many it ran.
 *
 * Engines, side by side on the same documents:
 * - Quiver Bm25Index (block-max MaxScore, k1 1.2, b 0.75);
 * - SQLite FTS5 (better-sqlite3, in memory, `MATCH 'a OR b' ORDER BY rank
 *   LIMIT 10`; rank is FTS5's bm25());
 * - minisearch (`search(q, { combineWith: 'OR' })`, first 10): it scores
 *   every matching document and keeps every posting in JS Maps, so it runs
 *   on the first `--minisearch-docs` documents (default 250,000; 100,000
 *   with --quick), and Quiver is measured again at that size beside it.
 *
 * - @orama/orama full text (`search({ term, threshold: 1, limit: 10 })`:
 *   threshold 1 returns documents holding any term, i.e. OR): it keeps
 *   about 11 KB of JS heap per document here, so it runs on the first
 *   `--orama-docs` documents (default 100,000; 20,000 with --quick), with
 *   Quiver measured again at that size beside it. If Orama cannot load or
 *   build, the JSON says why (`engines`) and the rest runs.
 *
 * Quiver and FTS5 run first at full size; minisearch and the second Quiver
 * then run alone, so that minisearch's large JS heap (and the collections
 * it costs) does not land on the other engines' timings; Orama last, alone
 * with its own Quiver likewise. --quick also gives each class a 3 s budget
 * (10 queries at least); QUIVER_BENCH_SMOKE=1 uses 5,000 documents.
 *
 * Also measured for Quiver: build time, memory (typed arrays, and heap +
 * array buffers before/after), serialize / deserialize time and size,
 * removing 5% of the documents and the purge after, re-adding them and
 * the merge after. Results: printed tables and bench/results/bm25.json
 * (bm25-quick.json with --quick).
 */
import BetterSqlite3 from 'better-sqlite3';
import MiniSearch from 'minisearch';
import { Bm25Index } from '../src/core/bm25-index.js';
import { rng } from '../test/fixtures/random.js';
import { collectGarbage, createProgress, fmt, machineInfo, printTable, quickMode, SMOKE, writeResults, type Cell } from './report.js';


const VOCABULARY = 50_000;
const ZIPF_S = 1.07;
const MIN_LENGTH = 20;
const MAX_LENGTH = 60;
const quick = quickMode();
const QUERIES_PER_CLASS = SMOKE ? 20 : 200;
/** An engine stops a query class after this long (having run at least MIN_QUERIES): FTS5 and minisearch take ~1 s per common query at 1M. */
const CLASS_BUDGET_MS = SMOKE ? 500 : quick ? 3_000 : 15_000;
const MIN_QUERIES = SMOKE ? 5 : quick ? 10 : 20;
const K = 10;

const DOCS = numberFlag('docs') ?? (SMOKE ? 5_000 : quick ? 100_000 : 1_000_000);
const MINISEARCH_DOCS = Math.min(DOCS, numberFlag('minisearch-docs') ?? (quick ? 100_000 : 250_000));
const ORAMA_DOCS = Math.min(DOCS, numberFlag('orama-docs') ?? (quick ? 20_000 : 100_000));


function numberFlag(name: string): number | undefined {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : undefined;
}

/** Vose's alias method over Zipf(s) weights of ranks 1..n: O(1) per draw. */
function zipfSampler(n: number, s: number, next: () => number): () => number {
  const weights = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) total += weights[r] = (r + 1) ** -s;
  const probability = new Float64Array(n);
  const alias = new Int32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  const scaled = Float64Array.from(weights, (w) => (w * n) / total);
  scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
  while (small.length > 0 && large.length > 0) {
    const l = small.pop()!;
    const g = large.pop()!;
    probability[l] = scaled[l]!;
    alias[l] = g;
    scaled[g] = scaled[g]! + scaled[l]! - 1;
    (scaled[g]! < 1 ? small : large).push(g);
  }
  for (const i of [...small, ...large]) probability[i] = 1;
  return () => {
    const i = Math.floor(next() * n);
    return next() < probability[i]! ? i : alias[i]!;
  };
}

interface Corpus {
  /** Term ranks of all documents, back to back. */
  terms: Int32Array;
  /** Document d is terms[offsets[d] .. offsets[d + 1]]. */
  offsets: Int32Array;
  /** Documents holding each term. */
  df: Int32Array;
}

function generate(count: number): Corpus {
  const next = rng(2024);
  const draw = zipfSampler(VOCABULARY, ZIPF_S, next);
  const offsets = new Int32Array(count + 1);
  for (let d = 0; d < count; d++) offsets[d + 1] = offsets[d]! + MIN_LENGTH + Math.floor(next() * (MAX_LENGTH - MIN_LENGTH + 1));
  const terms = new Int32Array(offsets[count]!);
  const df = new Int32Array(VOCABULARY);
  const seen = new Int32Array(VOCABULARY).fill(-1);
  for (let d = 0; d < count; d++) {
    for (let i = offsets[d]!; i < offsets[d + 1]!; i++) {
      const t = draw();
      terms[i] = t;
      if (seen[t] !== d) {
        seen[t] = d;
        df[t]!++;
      }
    }
  }
  return { terms, offsets, df };
}

const TERM = Array.from({ length: VOCABULARY }, (_, t) => `t${t}`);

function tokensOf(corpus: Corpus, d: number): string[] {
  const out: string[] = [];
  for (let i = corpus.offsets[d]!; i < corpus.offsets[d + 1]!; i++) out.push(TERM[corpus.terms[i]!]!);
  return out;
}

type QueryClass = 'rare' | 'common' | 'top-1' | 'mixed';

function makeQueries(): Record<QueryClass, number[][]> {
  const next = rng(77);
  const pick = (from: number, to: number) => from + Math.floor(next() * (to - from));
  const list = (make: () => number[]) => Array.from({ length: QUERIES_PER_CLASS }, make);
  return {
    rare: list(() => [pick(5_000, 50_000), pick(5_000, 50_000)]),
    common: list(() => [pick(0, 20), pick(0, 20)]),
    'top-1': list(() => [0]),
    mixed: list(() => [pick(0, 20), pick(100, 5_000), pick(100, 5_000)]),
  };
}

interface Engine {
  name: string;
  docs: number;
  search(terms: number[]): number;
}

function memoryNow(): number {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function buildQuiver(corpus: Corpus, count: number): { index: Bm25Index; buildMs: number; heapBytes: number } {
  const before = memoryNow();
  const started = performance.now();
  const index = new Bm25Index({ text: { stemming: false, stopwords: false } });
  for (let d = 0; d < count; d++) index.addTokens(d, tokensOf(corpus, d));
  index.compact();
  const buildMs = performance.now() - started;
  return { index, buildMs, heapBytes: memoryNow() - before };
}

type Row = { engine: string; docs: number; run: string; queries: QueryClass; ran: number; dfPercent: number; p50: number; p95: number; p99: number; max: number };

/** Runs every query class over `engines`, interleaved query by query (see the file comment). */
function measureLatency(run: string, engines: Engine[], queries: Record<QueryClass, number[][]>, df: Int32Array, docs: number, log: (message: string) => void): Row[] {
  const rows: Row[] = [];
  for (const queryClass of Object.keys(queries) as QueryClass[]) {
    const list = queries[queryClass];
    const times = engines.map(() => [] as number[]);
    for (const engine of engines) for (const terms of list.slice(0, 5)) engine.search(terms);
    const spent = engines.map(() => 0);
    for (const terms of list) {
      engines.forEach((engine, e) => {
        if (spent[e]! > CLASS_BUDGET_MS && times[e]!.length >= MIN_QUERIES) return;
        const t0 = performance.now();
        engine.search(terms);
        const ms = performance.now() - t0;
        times[e]!.push(ms);
        spent[e]! += ms;
      });
    }
    const shares = list.flat().map((t) => df[t]! / docs);
    const dfPercent = (shares.reduce((a, b) => a + b, 0) / shares.length) * 100;
    engines.forEach((engine, e) => {
      const sorted = times[e]!.sort((a, b) => a - b);
      rows.push({ engine: engine.name, docs: engine.docs, run, queries: queryClass, ran: sorted.length, dfPercent, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1]! });
    });
    log(`${engines.map((e) => e.name).join(' / ')}: ${queryClass} queries done`);
  }
  return rows;
}

const quiverSearch = (index: Bm25Index) => (terms: number[]) => index.searchTokens(terms.map((t) => TERM[t]!), K).labels.length;

async function main(): Promise<void> {
  const progress = createProgress();
  progress.log(`generating ${DOCS.toLocaleString()} documents (Zipf s=${ZIPF_S}, ${VOCABULARY.toLocaleString()} terms)`);
  const corpus = generate(DOCS);
  const queries = makeQueries();
  progress.log(`${corpus.terms.length.toLocaleString()} tokens; df of t0 ${(corpus.df[0]! / DOCS * 100).toFixed(1)}%, t19 ${(corpus.df[19]! / DOCS * 100).toFixed(1)}%`);
  const builds: { engine: string; docs: number; buildS: number; memoryMB: number; note: string }[] = [];

  // Phase 1: Quiver and SQLite FTS5 at full size.
  const quiver = buildQuiver(corpus, DOCS);
  builds.push({ engine: 'Quiver', docs: DOCS, buildS: quiver.buildMs / 1000, memoryMB: quiver.heapBytes / 2 ** 20, note: `heap + array buffers; typed arrays ${fmt(quiver.index.memoryBytes / 2 ** 20)} MB` });
  progress.log(`Quiver built in ${(quiver.buildMs / 1000).toFixed(1)} s`);
  const builtBytesPerDoc = quiver.index.memoryBytes / DOCS;
  const db = new BetterSqlite3(':memory:');
  db.pragma('journal_mode = OFF');
  db.exec("CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = 'unicode61')");
  let started = performance.now();
  const insert = db.prepare('INSERT INTO docs(rowid, body) VALUES (?, ?)');
  db.transaction(() => {
    for (let d = 0; d < DOCS; d++) insert.run(d, tokensOf(corpus, d).join(' '));
  })();
  db.exec("INSERT INTO docs(docs) VALUES('optimize')");
  const ftsBuildMs = performance.now() - started;
  const pages = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  builds.push({ engine: 'SQLite FTS5', docs: DOCS, buildS: ftsBuildMs / 1000, memoryMB: pages / 2 ** 20, note: 'database pages (text + index), optimized' });
  progress.log(`FTS5 built in ${(ftsBuildMs / 1000).toFixed(1)} s`);
  const ftsQuery = db.prepare('SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10');
  const rows = measureLatency('with FTS5', [
    { name: 'Quiver', docs: DOCS, search: quiverSearch(quiver.index) },
    { name: 'SQLite FTS5', docs: DOCS, search: (terms) => ftsQuery.all(terms.map((t) => TERM[t]!).join(' OR ')).length },
  ], queries, corpus.df, DOCS, progress.log);
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();

  // Quiver maintenance at full size.
  let t0 = performance.now();
  const bytes = quiver.index.serialize();
  const serializeMs = performance.now() - t0;
  t0 = performance.now();
  const loaded = Bm25Index.deserialize(bytes, { text: { stemming: false, stopwords: false } });
  const deserializeMs = performance.now() - t0;
  const sameResults = queries.mixed.slice(0, 20).every((terms) => {
    const tokens = terms.map((t) => TERM[t]!);
    const a = quiver.index.searchTokens(tokens, K);
    const b = loaded.searchTokens(tokens, K);
    return a.labels.join() === b.labels.join() && a.scores.join() === b.scores.join();
  });
  const removeCount = Math.floor(DOCS * 0.05);
  t0 = performance.now();
  for (let d = 0; d < removeCount; d++) quiver.index.remove(d * 20);
  const removeMs = performance.now() - t0;
  t0 = performance.now();
  quiver.index.compact();
  const purgeMs = performance.now() - t0;
  t0 = performance.now();
  for (let d = 0; d < removeCount; d++) quiver.index.addTokens(d * 20, tokensOf(corpus, d * 20));
  const readdUs = ((performance.now() - t0) * 1000) / removeCount;
  t0 = performance.now();
  quiver.index.compact();
  const mergeMs = performance.now() - t0;
  const maintenance = {
    serializeMs, deserializeMs, snapshotMB: bytes.byteLength / 2 ** 20, roundTripSameResults: sameResults,
    removeUsPerDoc: (removeMs * 1000) / removeCount, purgeMs, purgedDocs: removeCount,
    addUsPerDoc: readdUs, mergeMs, mergedDocs: removeCount,
    typedArrayBytesPerDocAfterBuild: builtBytesPerDoc,
    typedArrayBytesPerDocNow: quiver.index.memoryBytes / quiver.index.size,
  };
  progress.log('maintenance measured');

  // Phase 2: minisearch, with Quiver again at its size (the 1M engines are gone, so neither pays for their memory).
  if (MINISEARCH_DOCS > 0) {
    const miniBefore = memoryNow();
    started = performance.now();
    const mini = new MiniSearch<{ id: number; body: string }>({ fields: ['body'], storeFields: [] });
    for (let d = 0; d < MINISEARCH_DOCS; d++) mini.add({ id: d, body: tokensOf(corpus, d).join(' ') });
    const miniBuildMs = performance.now() - started;
    builds.push({ engine: 'minisearch', docs: MINISEARCH_DOCS, buildS: miniBuildMs / 1000, memoryMB: (memoryNow() - miniBefore) / 2 ** 20, note: 'heap + array buffers' });
    progress.log(`minisearch built in ${(miniBuildMs / 1000).toFixed(1)} s`);
    const small = buildQuiver(corpus, MINISEARCH_DOCS);
    builds.push({ engine: 'Quiver', docs: MINISEARCH_DOCS, buildS: small.buildMs / 1000, memoryMB: small.heapBytes / 2 ** 20, note: `heap + array buffers; typed arrays ${fmt(small.index.memoryBytes / 2 ** 20)} MB` });
    rows.push(...measureLatency('with minisearch', [
      { name: 'Quiver', docs: MINISEARCH_DOCS, search: quiverSearch(small.index) },
      { name: 'minisearch', docs: MINISEARCH_DOCS, search: (terms) => mini.search(terms.map((t) => TERM[t]!).join(' '), { combineWith: 'OR' }).slice(0, K).length },
    ], queries, corpus.df, DOCS, progress.log));
  }

  // Phase 3: Orama full text, alone with its own Quiver (as minisearch).
  const engines: { engine: string; status: 'ok' | 'failed'; reason: string | null; docs: number }[] = [
    { engine: 'Quiver', status: 'ok', reason: null, docs: DOCS },
    { engine: 'SQLite FTS5', status: 'ok', reason: null, docs: DOCS },
    { engine: 'minisearch', status: 'ok', reason: null, docs: MINISEARCH_DOCS },
  ];
  if (ORAMA_DOCS > 0) {
    try {
      const { create, insertMultiple, search } = await import('@orama/orama');
      const oramaBefore = memoryNow();
      started = performance.now();
      const orama = create({ schema: { body: 'string' } as const });
      const batch = 1000;
      for (let s = 0; s < ORAMA_DOCS; s += batch) {
        const docs = [];
        for (let d = s; d < Math.min(ORAMA_DOCS, s + batch); d++) docs.push({ id: String(d), body: tokensOf(corpus, d).join(' ') });
        await insertMultiple(orama, docs, batch);
      }
      const oramaBuildMs = performance.now() - started;
      builds.push({ engine: 'orama', docs: ORAMA_DOCS, buildS: oramaBuildMs / 1000, memoryMB: (memoryNow() - oramaBefore) / 2 ** 20, note: 'heap + array buffers' });
      progress.log(`orama built in ${(oramaBuildMs / 1000).toFixed(1)} s`);
      const small = buildQuiver(corpus, ORAMA_DOCS);
      builds.push({ engine: 'Quiver', docs: ORAMA_DOCS, buildS: small.buildMs / 1000, memoryMB: small.heapBytes / 2 ** 20, note: `heap + array buffers; typed arrays ${fmt(small.index.memoryBytes / 2 ** 20)} MB` });
      // Orama's search is synchronous without async hooks, but typed as possibly a promise: this benchmark times it synchronously.
      const oramaSearch = (terms: number[]) => {
        const result = search(orama, { term: terms.map((t) => TERM[t]!).join(' '), threshold: 1, limit: K });
        if (result instanceof Promise) throw new Error('orama search returned a promise');
        return result.hits.length;
      };
      oramaSearch([0]);
      rows.push(...measureLatency('with orama', [
        { name: 'Quiver', docs: ORAMA_DOCS, search: quiverSearch(small.index) },
        { name: 'orama', docs: ORAMA_DOCS, search: oramaSearch },
      ], queries, corpus.df, DOCS, progress.log));
      engines.push({ engine: 'orama', status: 'ok', reason: null, docs: ORAMA_DOCS });
    } catch (error) {
      const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!;
      engines.push({ engine: 'orama', status: 'failed', reason, docs: ORAMA_DOCS });
      progress.log(`orama FAILED: ${reason}`);
    }
  }

  rows.sort((a, b) => a.queries.localeCompare(b.queries) || a.run.localeCompare(b.run) || a.engine.localeCompare(b.engine));
  printTable(
    `Keyword top-${K} latency, ms (${QUERIES_PER_CLASS} queries per class, OR semantics)`,
    ['queries', 'run', 'engine', 'docs', 'ran', 'mean df %', 'p50', 'p95', 'max'],
    rows.map((r): Cell[] => [r.queries, r.run, r.engine, r.docs.toLocaleString(), String(r.ran), r.dfPercent, r.p50, r.p95, r.max]),
  );
  printTable('Build and memory', ['engine', 'docs', 'build s', 'memory MB', 'what memory counts'], builds.map((b) => [b.engine, b.docs.toLocaleString(), b.buildS, b.memoryMB, b.note]));
  printTable(`Quiver maintenance at ${DOCS.toLocaleString()} docs`, ['measure', 'value'], Object.entries(maintenance).map(([key, value]) => [key, typeof value === 'number' ? fmt(value) : String(value)]));
  const common = rows.find((r) => r.engine === 'Quiver' && r.run === 'with FTS5' && r.queries === 'common')!;
  const top1 = rows.find((r) => r.engine === 'Quiver' && r.run === 'with FTS5' && r.queries === 'top-1')!;
  const targets = [
    { target: `Quiver common-term top-10 p95 <= 10 ms at ${DOCS.toLocaleString()} docs`, value: common.p95, met: common.p95 <= 10 },
    { target: `Quiver top-1-term top-10 p95 <= 10 ms at ${DOCS.toLocaleString()} docs`, value: top1.p95, met: top1.p95 <= 10 },
  ];
  printTable('Targets', ['target', 'p95 ms', 'met'], targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO']));
  const path = writeResults(quick ? 'bm25-quick.json' : 'bm25.json', {
    benchmark: 'bm25',
    machine: machineInfo(['better-sqlite3', 'minisearch', '@orama/orama']),
    config: { quick, smoke: SMOKE, queriesPerClass: QUERIES_PER_CLASS, classBudgetMs: CLASS_BUDGET_MS, minQueries: MIN_QUERIES, k: K },
    runtimeSeconds: progress.elapsedMs() / 1000,
    sqlite,
    data: { docs: DOCS, minisearchDocs: MINISEARCH_DOCS, oramaDocs: ORAMA_DOCS, vocabulary: VOCABULARY, zipfS: ZIPF_S, lengths: [MIN_LENGTH, MAX_LENGTH], tokens: corpus.terms.length },
    engines,
    latency: rows,
    builds,
    maintenance,
    targets,
  });
  progress.log(`wrote ${path}`);
}

await main();
