/**
 * Keyword top-10 latency: `npx tsx bench/bm25.bench.ts [--quick] [--docs N] [--minisearch-docs N] [--orama-docs N] [--peers-docs N]`.
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
 *   minisearch and Orama are installed in bench/peers with the engines
 *   below (`npm run bench:peers`); without them they are skipped with the
 *   reason.
 *
 * - LanceDB full text and PostgreSQL full text (bench/peers, installed on
 *   demand with `npm run bench:peers`; skipped with the reason when not
 *   installed, or when no PostgreSQL server binaries are found), at
 *   `--peers-docs` documents (default: all), beside the full-size Quiver:
 *   . LanceDB (@lancedb/lancedb, in process): a table (id, body) and
 *     `Index.fts({ baseTokenizer: 'simple', lowercase: false, stem: false,
 *     removeStopWords: false, asciiFolding: false, withPosition: false })`
 *     (the tokens are already terms; no positions as no phrase queries run);
 *     `query().fullTextSearch('a b').limit(10)`: a match query, OR, BM25.
 *   . PostgreSQL (a throwaway cluster started by the benchmark: initdb into
 *     a temp folder, pg_ctl on 127.0.0.1 only, stopped and deleted at the
 *     end; the `pg` client, one connection, prepared statement):
 *     `docs(id, body, tsv tsvector)` with tsv = to_tsvector('simple', body)
 *     (no stemming or stop words, like the other engines here), a GIN index,
 *     jit off (see bench/peers/postgres.ts),
 *     and `WHERE tsv @@ to_tsquery('simple', 'a | b') ORDER BY
 *     ts_rank(tsv, q, 1) DESC LIMIT 10` (PG_RANK in bench/peers/postgres.ts:
 *     the ranking chosen on SciFact's train queries by quality.bench.ts).
 *     PostgreSQL has no top-k pruning: it ranks every matching row, so
 *     common terms cost in proportion to their document frequency.
 *   Both are timed by wall clock per query like every engine here (the
 *   PostgreSQL figure includes the loopback round trip).
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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bm25Index } from '../src/core/keyword/bm25-index.js';
import { buildTextTableInChild, folderBytes, LANCEDB_PACKAGES, textSearch } from './peers/lancedb.js';
import { loadMiniSearch, loadOrama } from './peers/js-peers.js';
import { isPeerUnavailable, missingPeers, peerVersion } from './peers/load.js';
import { lexemeSearchSql, loadTextTable, PG_RANK, postgresUnavailable, searchIds, startPostgres, type Postgres } from './peers/postgres.js';
import { rng } from '../test/fixtures/random.js';
import { collectGarbage, createProgress, fmt, machineInfo, printTable, quickMode, SMOKE, writeResults, type Cell } from './lib/harness.js';
import { percentile } from './lib/stats.js';


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
const PEERS_DOCS = Math.min(DOCS, numberFlag('peers-docs') ?? DOCS);
/**
 * LanceDB 0.31's FTS createIndex never finished on this corpus at 100,000 documents (no CPU
 * used, index folder empty; 5,000 documents build in well under a second): the build runs in a
 * child process, given up after this long and reported as failed with the reason.
 */
const LANCE_BUILD_TIMEOUT_MS = SMOKE ? 60_000 : 90_000;


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
  /** Hits returned; engines behind a client (LanceDB, PostgreSQL) answer with a promise, awaited inside the timing. */
  search(terms: number[]): number | Promise<number>;
}

function memoryNow(): number {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
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
async function measureLatency(run: string, engines: Engine[], queries: Record<QueryClass, number[][]>, df: Int32Array, docs: number, log: (message: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const queryClass of Object.keys(queries) as QueryClass[]) {
    const list = queries[queryClass];
    const times = engines.map(() => [] as number[]);
    for (const engine of engines) {
      for (const terms of list.slice(0, 5)) {
        const result = engine.search(terms);
        if (result instanceof Promise) await result;
      }
    }
    const spent = engines.map(() => 0);
    for (const terms of list) {
      for (let e = 0; e < engines.length; e++) {
        const engine = engines[e]!;
        if (spent[e]! > CLASS_BUDGET_MS && times[e]!.length >= MIN_QUERIES) continue;
        const t0 = performance.now();
        const result = engine.search(terms);
        if (result instanceof Promise) await result;
        const ms = performance.now() - t0;
        times[e]!.push(ms);
        spent[e]! += ms;
      }
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
  const rows = await measureLatency('with FTS5', [
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

  // Engines that did not run say why (JSON `engines`).
  const engines: { engine: string; status: 'ok' | 'failed' | 'skipped'; reason: string | null; docs: number; version?: string | null }[] = [
    { engine: 'Quiver', status: 'ok', reason: null, docs: DOCS },
    { engine: 'SQLite FTS5', status: 'ok', reason: null, docs: DOCS },
  ];
  // A peer bench/peers lacks reads "not installed: run npm run bench:peers (...)", as LanceDB's and PostgreSQL's below.
  const offReason = (error: unknown) =>
    (isPeerUnavailable(error) ? (error as Error).message : error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!;

  // Phase 2: minisearch, with Quiver again at its size (the 1M engines are gone, so neither pays for their memory).
  const miniStatus: (typeof engines)[number] = { engine: 'minisearch', status: 'ok', reason: null, docs: MINISEARCH_DOCS };
  engines.push(miniStatus);
  let MiniSearch: Awaited<ReturnType<typeof loadMiniSearch>> | null = null;
  if (MINISEARCH_DOCS > 0) {
    try {
      MiniSearch = await loadMiniSearch();
    } catch (error) {
      Object.assign(miniStatus, { status: isPeerUnavailable(error) ? 'skipped' : 'failed', reason: offReason(error) });
      progress.log(`minisearch ${miniStatus.status === 'skipped' ? 'skipped' : 'FAILED'}: ${miniStatus.reason}`);
    }
  }
  if (MiniSearch) {
    const miniBefore = memoryNow();
    started = performance.now();
    const mini = new MiniSearch<{ id: number; body: string }>({ fields: ['body'], storeFields: [] });
    for (let d = 0; d < MINISEARCH_DOCS; d++) mini.add({ id: d, body: tokensOf(corpus, d).join(' ') });
    const miniBuildMs = performance.now() - started;
    builds.push({ engine: 'minisearch', docs: MINISEARCH_DOCS, buildS: miniBuildMs / 1000, memoryMB: (memoryNow() - miniBefore) / 2 ** 20, note: 'heap + array buffers' });
    progress.log(`minisearch built in ${(miniBuildMs / 1000).toFixed(1)} s`);
    const small = buildQuiver(corpus, MINISEARCH_DOCS);
    builds.push({ engine: 'Quiver', docs: MINISEARCH_DOCS, buildS: small.buildMs / 1000, memoryMB: small.heapBytes / 2 ** 20, note: `heap + array buffers; typed arrays ${fmt(small.index.memoryBytes / 2 ** 20)} MB` });
    rows.push(...await measureLatency('with minisearch', [
      { name: 'Quiver', docs: MINISEARCH_DOCS, search: quiverSearch(small.index) },
      { name: 'minisearch', docs: MINISEARCH_DOCS, search: (terms) => mini.search(terms.map((t) => TERM[t]!).join(' '), { combineWith: 'OR' }).slice(0, K).length },
    ], queries, corpus.df, DOCS, progress.log));
  }

  // Phase 3: Orama full text, alone with its own Quiver (as minisearch).
  if (ORAMA_DOCS > 0) {
    try {
      const { create, insertMultiple, search } = await loadOrama();
      const oramaBefore = memoryNow();
      started = performance.now();
      const orama = create({ schema: { body: 'string' } });
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
      rows.push(...await measureLatency('with orama', [
        { name: 'Quiver', docs: ORAMA_DOCS, search: quiverSearch(small.index) },
        { name: 'orama', docs: ORAMA_DOCS, search: oramaSearch },
      ], queries, corpus.df, DOCS, progress.log));
      engines.push({ engine: 'orama', status: 'ok', reason: null, docs: ORAMA_DOCS });
    } catch (error) {
      const status = isPeerUnavailable(error) ? 'skipped' : 'failed';
      engines.push({ engine: 'orama', status, reason: offReason(error), docs: ORAMA_DOCS });
      progress.log(`orama ${status === 'skipped' ? 'skipped' : 'FAILED'}: ${offReason(error)}`);
    }
  }

  // Phase 4: LanceDB and PostgreSQL full text (bench/peers), beside the full-size Quiver (its index after the maintenance
  // above holds the same documents). Each is built, timed with Quiver query by query, and released before the next.
  const peerNotes: string[] = [];
  if (PEERS_DOCS > 0) {
    const textOf = (d: number) => tokensOf(corpus, d).join(' ');
    const quiverEngine: Engine = { name: 'Quiver', docs: DOCS, search: quiverSearch(quiver.index) };
    if (PEERS_DOCS !== DOCS) {
      const small = buildQuiver(corpus, PEERS_DOCS);
      quiverEngine.docs = PEERS_DOCS;
      quiverEngine.search = quiverSearch(small.index);
    }
    // LanceDB
    const lanceMissing = missingPeers(LANCEDB_PACKAGES);
    if (lanceMissing) {
      engines.push({ engine: 'LanceDB FTS', status: 'skipped', reason: lanceMissing, docs: PEERS_DOCS, version: null });
      progress.log(`LanceDB FTS skipped: ${lanceMissing}`);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'quiver-bm25-lance-'));
      try {
        const fts = { baseTokenizer: 'simple', lowercase: false, stem: false, removeStopWords: false, asciiFolding: false, withPosition: false } as const;
        // Built by a fresh Node process, then opened here (see buildTextTableInChild: in this process the FTS build never finished).
        const built = await buildTextTableInChild(join(dir, 'db'), 'docs', PEERS_DOCS, textOf, fts, LANCE_BUILD_TIMEOUT_MS);
        const bytes = folderBytes(dir);
        builds.push({ engine: 'LanceDB FTS', docs: PEERS_DOCS, buildS: built.loadSeconds + built.indexSeconds, memoryMB: bytes / 2 ** 20, note: `table folder on disk (text + FTS index); write ${fmt(built.loadSeconds)} s + index ${fmt(built.indexSeconds)} s, in a fresh Node process` });
        progress.log(`LanceDB FTS built in ${(built.loadSeconds + built.indexSeconds).toFixed(1)} s`);
        peerNotes.push(`LanceDB ${peerVersion('@lancedb/lancedb') ?? '?'}: createIndex('body', { config: Index.fts(${JSON.stringify(fts)}) }); query().fullTextSearch('a b', { columns: 'body' }).limit(${K}).select(['id', '_score']).toArrow() (match query, OR, BM25)`);
        rows.push(...await measureLatency('with LanceDB', [
          quiverEngine,
          { name: 'LanceDB FTS', docs: PEERS_DOCS, search: async (terms) => (await textSearch(built.table, terms.map((t) => TERM[t]!).join(' '), K)).length },
        ], queries, corpus.df, DOCS, progress.log));
        engines.push({ engine: 'LanceDB FTS', status: 'ok', reason: null, docs: PEERS_DOCS, version: peerVersion('@lancedb/lancedb') });
      } catch (error) {
        const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!;
        engines.push({ engine: 'LanceDB FTS', status: isPeerUnavailable(error) ? 'skipped' : 'failed', reason, docs: PEERS_DOCS, version: peerVersion('@lancedb/lancedb') });
        progress.log(`LanceDB FTS FAILED: ${reason}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // PostgreSQL
    const pgMissing = postgresUnavailable();
    if (pgMissing) {
      engines.push({ engine: 'PostgreSQL FTS', status: 'skipped', reason: pgMissing, docs: PEERS_DOCS, version: null });
      progress.log(`PostgreSQL FTS skipped: ${pgMissing}`);
    } else {
      let pg: Postgres | null = null;
      try {
        pg = await startPostgres(progress.log);
        const loaded = await loadTextTable(pg.client, PEERS_DOCS, textOf, 'simple');
        builds.push({ engine: 'PostgreSQL FTS', docs: PEERS_DOCS, buildS: loaded.loadSeconds + loaded.indexSeconds, memoryMB: loaded.bytes / 2 ** 20, note: `pg_total_relation_size (text, tsvector, GIN index); load ${fmt(loaded.loadSeconds)} s + GIN and ANALYZE ${fmt(loaded.indexSeconds)} s` });
        progress.log(`PostgreSQL FTS built in ${(loaded.loadSeconds + loaded.indexSeconds).toFixed(1)} s`);
        const sql = lexemeSearchSql(PG_RANK);
        const client = pg.client;
        peerNotes.push(
          `PostgreSQL ${pg.version} (throwaway cluster on 127.0.0.1, fsync off, shared_buffers 256MB, jit off; pg ${peerVersion('pg') ?? '?'} client, one connection, named prepared statement): ` +
            `tsv = to_tsvector('simple', body), GIN index; ${sql.replace(/\s+/g, ' ')} with $1 = 'a | b'`,
        );
        rows.push(...await measureLatency('with PostgreSQL', [
          quiverEngine,
          { name: 'PostgreSQL FTS', docs: PEERS_DOCS, search: async (terms) => (await searchIds(client, sql, 'bm25_or', terms.map((t) => TERM[t]!).join(' | '), K)).length },
        ], queries, corpus.df, DOCS, progress.log));
        engines.push({ engine: 'PostgreSQL FTS', status: 'ok', reason: null, docs: PEERS_DOCS, version: pg.version });
      } catch (error) {
        const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!;
        engines.push({ engine: 'PostgreSQL FTS', status: isPeerUnavailable(error) ? 'skipped' : 'failed', reason, docs: PEERS_DOCS, version: pg?.version ?? null });
        progress.log(`PostgreSQL FTS FAILED: ${reason}`);
      } finally {
        await pg?.stop();
      }
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
  printTable('Engines', ['engine', 'status', 'docs', 'reason'], engines.map((e) => [e.engine, e.status, e.docs.toLocaleString(), e.reason ?? '']));
  if (peerNotes.length > 0) console.log('\nPeers:\n' + peerNotes.map((n) => `- ${n}`).join('\n'));
  const path = writeResults(quick ? 'bm25-quick.json' : 'bm25.json', {
    benchmark: 'bm25',
    machine: machineInfo(['better-sqlite3', 'minisearch', '@orama/orama']),
    config: { quick, smoke: SMOKE, queriesPerClass: QUERIES_PER_CLASS, classBudgetMs: CLASS_BUDGET_MS, minQueries: MIN_QUERIES, k: K },
    runtimeSeconds: progress.elapsedMs() / 1000,
    sqlite,
    data: { docs: DOCS, minisearchDocs: MINISEARCH_DOCS, oramaDocs: ORAMA_DOCS, peersDocs: PEERS_DOCS, vocabulary: VOCABULARY, zipfS: ZIPF_S, lengths: [MIN_LENGTH, MAX_LENGTH], tokens: corpus.terms.length },
    engines,
    latency: rows,
    builds,
    maintenance,
    targets,
    notes: [
      'Latency: wall clock per query, each engine in turn query by query (engines behind a client are awaited inside the timing: the PostgreSQL figure includes the loopback round trip and the pg client).',
      ...peerNotes,
    ],
  });
  progress.log(`wrote ${path}`);
}

await main();
