/**
 * Keyword relevance on public sets (../shared/data, see its README):
 * - BEIR SciFact: 5,183 abstracts (title + text), the 300 test queries and
 *   their qrels; nDCG@10 and recall@100;
 * - XQuAD zh and en (240 paragraphs, 1,190 questions each; one gold
 *   paragraph per question) and CMRC 2018 dev (848 paragraphs, 3,219
 *   questions; zh): nDCG@10 and recall@100 with the same definitions;
 * - CMRC titles: the 847 distinct CMRC paragraph titles as short keyword
 *   queries against the paragraphs' text (see `titleQueries`).
 *
 * nDCG@10 (binary relevance, as BEIR/pytrec_eval): DCG = sum over ranks
 * i = 1..10 of rel_i / log2(i + 1); the ideal DCG puts all R relevant
 * documents first (min(R, 10) ones); a query's nDCG is DCG / ideal, and
 * the set's is the mean over every query with judgments (a query that finds
 * nothing scores 0). Recall@100 is |relevant in top 100| / R, averaged.
 *
 * The first table is Quiver's defaults; the second the variants measured
 * to choose them (tokenizer switches, k1/b, title handling); the third a
 * k1/b grid read on SciFact's train queries, so that the defaults are not
 * fitted to the test queries (train nDCG@10 stays within 0.690-0.699 over
 * the grid, and 1.2/0.75 is within 0.001 of the best: the usual defaults
 * stay). Published references for SciFact: BEIR paper BM25 0.665;
 * Anserini flat 0.6789 (R@100 0.9253).
 *
 * Tokens are computed once per (set, text options, title handling) and
 * reused, so `index ms` includes tokenizing only on a variant that needed
 * new tokens; `ms/query` is BM25 top-100 without tokenizing.
 *
 * Hybrid (last table): SciFact with a dense representation computed from
 * the corpus itself, LSA. Each document's title + text is tokenized with
 * Quiver's default tokenizer; terms in fewer than 2 documents are dropped;
 * weights are sublinear tf (1 + ln tf) times smoothed idf
 * (ln((1 + N) / (1 + df)) + 1), rows L2-normalised. A truncated SVD of that
 * sparse docs x terms matrix A comes from a randomized range finder (Halko,
 * Martinsson, Tropp 2011): Y = A * Omega with HYBRID_MAX_RANK + 10 seeded
 * Gaussian columns, 2 power iterations through sparse products, each step
 * orthonormalised (modified Gram-Schmidt), then the eigendecomposition of
 * the small B B^T (B = Q^T A) with ml-matrix. One decomposition serves every
 * rank in HYBRID_RANKS (its leading r triplets; a lower rank only gets more
 * oversampling). Documents are U_r S_r, queries their TF-IDF vector folded
 * in through V_r; both go into an in-memory Quiver collection (cosine, text
 * = title + ' ' + text), and each test query is run keyword only, dense
 * only, hybrid rrf and hybrid relativeScore over several alphas, with
 * `exact: true` so only fusion is measured, k = 100 (nDCG@10 from the first
 * 10). alpha 0 and 1 are checks: they must reproduce keyword only and dense
 * only, and the keyword-only row must equal the BM25 default row above.
 * `better/worse` counts queries whose nDCG@10 beats / trails keyword only;
 * `p` is a two-sided paired randomisation test of that difference.
 *
 * Measured (2-core VM, SVD about 19 s, whole section about 35 s): keyword
 * only 0.6826; LSA dense only 0.377 / 0.496 / 0.543 at r = 100 / 200 / 300;
 * rrf 0.54-0.62 (below keyword: equal weight for a much weaker side);
 * relativeScore helps only with a small alpha: 0.1-0.3 gives +0.009 to
 * +0.015 (0.698 at r 300, alpha 0.3, p 0.02), the default 0.5 loses 0.013-
 * 0.026, and 0.7-0.9 loses far more. The trailing singular triplets are
 * only roughly converged (residual about 0.2 at #300), but 4 power
 * iterations or 60 oversampling columns move every figure by under 0.01.
 *
 * Peers (`peers` in the JSON; bench/peers, installed on demand with `npm
 * run bench:peers`, else skipped with the reason): the same SciFact (test
 * and train queries) and XQuAD en documents (title + ' ' + text) and query
 * texts, top 100, the same nDCG@10 / recall@100 / MRR@10, each engine with
 * its own analyzer:
 * - LanceDB full text (`Index.fts`, BM25; `fullTextSearch(query text)`, a
 *   match query, terms OR'ed): its defaults, and English stemming + stop
 *   words + lowercase + ASCII folding;
 * - PostgreSQL full text (a throwaway cluster started by the benchmark on
 *   127.0.0.1; tsv = to_tsvector('english', title || ' ' || text), GIN
 *   index): plainto_tsquery('english', text) with its & turned into | (OR,
 *   as BM25 engines match), ranked by ts_rank or ts_rank_cd with
 *   normalization 0 (none), 1 (1 + log length) or 2 (length).
 * Each engine's headline setting (marked in the JSON and the report) is the
 * best on SciFact's train queries, as Quiver's k1/b were chosen; the test
 * queries are only read. --skip-peers leaves them out.
 *
 * Run: npx tsx bench/quality.bench.ts [--quick] [--defaults-only] [--skip-hybrid] [--skip-peers]
 * --quick: the defaults and hybrid at rank 100 only (no variants, no k1/b
 * grid); QUIVER_BENCH_SMOKE=1: the defaults only.
 * Writes bench/results/quality.json.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { openDatabase } from '../src/index.js';
import { Bm25Index, resolveBm25Options, type Bm25Options } from '../src/core/keyword/bm25-index.js';
import { createTokenizer, resolveTextOptions, type TextOptions } from '../src/core/keyword/tokenizer.js';
import { sharedData } from '../test/fixtures/shared-data.js';
import { gaussian } from './lib/datasets.js';
import { createProgress, hasFlag, machineInfo, printTable, quickMode, SMOKE, writeResults } from './lib/harness.js';
import { buildTextTable, LANCEDB_PACKAGES, textSearch, type FtsOptions } from './peers/lancedb.js';
import { isPeerUnavailable, missingPeers, peerVersion } from './peers/load.js';
import { loadTextTable, PG_RANKS, postgresUnavailable, searchIds, startPostgres, textSearchSql, type PgRank, type Postgres } from './peers/postgres.js';

const QUICK = quickMode();

interface Doc {
  id: string;
  title: string;
  text: string;
}

interface Dataset {
  name: string;
  corpus: Doc[];
  /** Only queries with judgments. */
  queries: { id: string; text: string }[];
  qrels: Map<string, Set<string>>;
}

/** How a document's title takes part: in one field with the text, left out, or counted twice. */
type TitleMode = 'title+text' | 'text' | '2*title+text';

interface Variant {
  dataset: string;
  name: string;
  text?: TextOptions;
  bm25?: Bm25Options;
  title?: TitleMode;
}

interface Scores {
  ndcg10: number;
  recall100: number;
  mrr10: number;
  queries: number;
  indexMs: number;
  queryMsMean: number;
}

const DEPTH = 100;

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as T);
}

function readQrels(path: string): Map<string, Set<string>> {
  const qrels = new Map<string, Set<string>>();
  const lines = readFileSync(path, 'utf8').split('\n').slice(1);
  for (const line of lines) {
    if (line.trim() === '') continue;
    const [query, doc, score] = line.split('\t');
    if (query === undefined || doc === undefined || Number(score) <= 0) continue;
    let relevant = qrels.get(query);
    if (relevant === undefined) qrels.set(query, (relevant = new Set()));
    relevant.add(doc);
  }
  return qrels;
}

function loadDataset(name: string, corpusFile: string, queriesFile: string, qrelsFile: string): Dataset {
  const corpus = readJsonl<{ _id: string; title?: string; text: string }>(sharedData(corpusFile)).map((doc) => ({
    id: doc._id,
    title: doc.title ?? '',
    text: doc.text,
  }));
  const qrels = readQrels(sharedData(qrelsFile));
  const queries = readJsonl<{ _id: string; text: string }>(sharedData(queriesFile))
    .filter((query) => qrels.has(query._id))
    .map((query) => ({ id: query._id, text: query.text }));
  return { name, corpus, queries, qrels };
}

/**
 * Keyword-style queries: each distinct title of `source` is a query whose
 * relevant documents are the paragraphs under it, indexed without titles.
 * Short queries are where a segmenter's dictionary and the document's
 * context can split the same words differently.
 */
function titleQueries(source: Dataset, name: string): Dataset {
  const qrels = new Map<string, Set<string>>();
  for (const doc of source.corpus) {
    let relevant = qrels.get(doc.title);
    if (relevant === undefined) qrels.set(doc.title, (relevant = new Set()));
    relevant.add(doc.id);
  }
  return {
    name,
    corpus: source.corpus.map((doc) => ({ ...doc, title: '' })),
    queries: [...qrels.keys()].map((title) => ({ id: title, text: title })),
    qrels,
  };
}

function documentText(doc: Doc, mode: TitleMode): string {
  if (mode === 'text' || doc.title === '') return doc.text;
  if (mode === '2*title+text') return `${doc.title} ${doc.title} ${doc.text}`;
  return `${doc.title} ${doc.text}`;
}

/** Binary-relevance nDCG@10 of one ranking. */
export function ndcgAt10(ranking: readonly string[], relevant: ReadonlySet<string>): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(10, ranking.length); i++) {
    if (relevant.has(ranking[i]!)) dcg += 1 / Math.log2(i + 2);
  }
  let ideal = 0;
  for (let i = 0; i < Math.min(10, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

function recallAt(ranking: readonly string[], relevant: ReadonlySet<string>, depth: number): number {
  let hits = 0;
  for (let i = 0; i < Math.min(depth, ranking.length); i++) if (relevant.has(ranking[i]!)) hits++;
  return relevant.size === 0 ? 0 : hits / relevant.size;
}

function mrrAt10(ranking: readonly string[], relevant: ReadonlySet<string>): number {
  for (let i = 0; i < Math.min(10, ranking.length); i++) if (relevant.has(ranking[i]!)) return 1 / (i + 1);
  return 0;
}

/** Tokens of every document and query, cached per (dataset, text options, title mode): k1/b variants reuse them. */
const tokenCache = new Map<string, { docs: string[][]; queries: string[][] }>();

function tokensFor(dataset: Dataset, text: TextOptions, title: TitleMode): { docs: string[][]; queries: string[][]; ms: number } {
  const resolved = resolveTextOptions(text);
  const key = `${dataset.name}|${JSON.stringify(resolved)}|${title}`;
  const cached = tokenCache.get(key);
  if (cached) return { ...cached, ms: Number.NaN };
  const tokenize = createTokenizer(resolved);
  const started = performance.now();
  const docs = dataset.corpus.map((doc) => tokenize(documentText(doc, title)));
  const ms = performance.now() - started;
  const queries = dataset.queries.map((query) => tokenize(query.text));
  tokenCache.set(key, { docs, queries });
  return { docs, queries, ms };
}

function evaluate(dataset: Dataset, variant: Variant): Scores {
  const title = variant.title ?? 'title+text';
  const text = variant.text ?? {};
  const tokens = tokensFor(dataset, text, title);
  const index = new Bm25Index({ text, bm25: resolveBm25Options(variant.bm25 ?? {}) });
  const started = performance.now();
  tokens.docs.forEach((terms, label) => index.addTokens(label, terms));
  const indexMs = performance.now() - started + (Number.isNaN(tokens.ms) ? 0 : tokens.ms);
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  const queryStarted = performance.now();
  dataset.queries.forEach((query, q) => {
    const hits = index.searchTokens(tokens.queries[q]!, DEPTH);
    const ranking = Array.from(hits.labels, (label) => dataset.corpus[label]!.id);
    const relevant = dataset.qrels.get(query.id)!;
    ndcg += ndcgAt10(ranking, relevant);
    recall += recallAt(ranking, relevant, DEPTH);
    mrr += mrrAt10(ranking, relevant);
  });
  const queryMs = performance.now() - queryStarted;
  const n = dataset.queries.length;
  return { ndcg10: ndcg / n, recall100: recall / n, mrr10: mrr / n, queries: n, indexMs, queryMsMean: queryMs / n };
}

function describe(variant: Variant): string {
  const text = resolveTextOptions(variant.text ?? {});
  const bm25 = resolveBm25Options(variant.bm25 ?? {});
  return `${text.language} stem=${text.stemming ? 'on' : 'off'} stop=${text.stopwords ? 'on' : 'off'} cjk=${text.cjk} k1=${bm25.k1} b=${bm25.b} ${variant.title ?? 'title+text'}`;
}

// ---------------------------------------------------------------- hybrid (LSA dense side)

/** Ranks of the LSA representation measured; the SVD is computed once, at the largest. */
const HYBRID_RANKS = QUICK ? [100] : [100, 200, 300];
/** Extra Gaussian columns of the range finder (Halko et al. suggest 5-10). */
const SVD_OVERSAMPLE = 10;
/** Power iterations of the range finder. */
const SVD_POWER_ITERATIONS = 2;
/** Terms in fewer documents than this are left out of the TF-IDF matrix. */
const LSA_MIN_DF = 2;
const HYBRID_ALPHAS = [0.1, 0.3, 0.5, 0.7, 0.9];

/** Compressed sparse rows; `val` parallel to `idx`. */
interface Csr {
  rows: number;
  cols: number;
  ptr: Int32Array;
  idx: Int32Array;
  val: Float64Array;
}

interface TfIdf {
  terms: Map<string, number>;
  idf: Float64Array;
  matrix: Csr;
}

/** Sparse TF-IDF row of one token list: sublinear tf, idf, L2-normalised; terms outside the vocabulary are dropped. */
function tfidfRow(tokens: readonly string[], terms: ReadonlyMap<string, number>, idf: Float64Array): { idx: Int32Array; val: Float64Array } {
  const counts = new Map<number, number>();
  for (const token of tokens) {
    const t = terms.get(token);
    if (t !== undefined) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const idx = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
  const val = Float64Array.from(idx, (t) => (1 + Math.log(counts.get(t)!)) * idf[t]!);
  let norm = 0;
  for (const v of val) norm += v * v;
  if (norm > 0) for (let i = 0; i < val.length; i++) val[i]! /= Math.sqrt(norm);
  return { idx, val };
}

function buildTfIdf(docs: readonly (readonly string[])[]): TfIdf {
  const df = new Map<string, number>();
  for (const tokens of docs) for (const term of new Set(tokens)) df.set(term, (df.get(term) ?? 0) + 1);
  const kept = [...df].filter(([, count]) => count >= LSA_MIN_DF).map(([term]) => term).sort();
  const terms = new Map(kept.map((term, i) => [term, i]));
  const n = docs.length;
  const idf = Float64Array.from(kept, (term) => Math.log((1 + n) / (1 + df.get(term)!)) + 1);
  const rows = docs.map((tokens) => tfidfRow(tokens, terms, idf));
  const ptr = new Int32Array(n + 1);
  rows.forEach((row, i) => (ptr[i + 1] = ptr[i]! + row.idx.length));
  const idx = new Int32Array(ptr[n]!);
  const val = new Float64Array(ptr[n]!);
  rows.forEach((row, i) => {
    idx.set(row.idx, ptr[i]!);
    val.set(row.val, ptr[i]!);
  });
  return { terms, idf, matrix: { rows: n, cols: kept.length, ptr, idx, val } };
}

/** A * X for row-major X (a.cols x width); the result is row-major (a.rows x width). */
function mulSparse(a: Csr, x: Float64Array, width: number): Float64Array {
  const out = new Float64Array(a.rows * width);
  for (let i = 0; i < a.rows; i++) {
    const o = i * width;
    for (let p = a.ptr[i]!; p < a.ptr[i + 1]!; p++) {
      const v = a.val[p]!;
      const xo = a.idx[p]! * width;
      for (let c = 0; c < width; c++) out[o + c]! += v * x[xo + c]!;
    }
  }
  return out;
}

/** A^T * Y for row-major Y (a.rows x width); the result is row-major (a.cols x width). */
function mulSparseTransposed(a: Csr, y: Float64Array, width: number): Float64Array {
  const out = new Float64Array(a.cols * width);
  for (let i = 0; i < a.rows; i++) {
    const yo = i * width;
    for (let p = a.ptr[i]!; p < a.ptr[i + 1]!; p++) {
      const v = a.val[p]!;
      const o = a.idx[p]! * width;
      for (let c = 0; c < width; c++) out[o + c]! += v * y[yo + c]!;
    }
  }
  return out;
}

/**
 * An orthonormal basis of the columns of row-major `y` (rows x width), by
 * modified Gram-Schmidt on a column-major copy; returned row-major.
 */
function orthonormalize(y: Float64Array, rows: number, width: number): Float64Array {
  const cols = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) for (let c = 0; c < width; c++) cols[c * rows + i] = y[i * width + c]!;
  for (let c = 0; c < width; c++) {
    const col = cols.subarray(c * rows, (c + 1) * rows);
    for (let p = 0; p < c; p++) {
      const prev = cols.subarray(p * rows, (p + 1) * rows);
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += prev[i]! * col[i]!;
      for (let i = 0; i < rows; i++) col[i]! -= dot * prev[i]!;
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += col[i]! * col[i]!;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new Error(`orthonormalize: column ${c} is (numerically) dependent on the previous ones`);
    for (let i = 0; i < rows; i++) col[i]! /= norm;
  }
  const out = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) for (let c = 0; c < width; c++) out[i * width + c] = cols[c * rows + i]!;
  return out;
}

interface TruncatedSvd {
  rank: number;
  /** Singular values, largest first. */
  s: Float64Array;
  /** Row-major a.rows x rank. */
  u: Float64Array;
  /** Row-major a.cols x rank. */
  v: Float64Array;
  ms: number;
  /** ||A v_i - s_i u_i|| / s_i at a few i: how well the leading triplets converged. */
  residuals: { i: number; residual: number }[];
  /** sum of s_i^2 over ||A||_F^2: the share of the matrix the rank keeps. */
  energy: number;
}

/** Randomized truncated SVD (Halko, Martinsson, Tropp 2011, algorithms 4.4 and 5.1). */
function randomizedSvd(a: Csr, rank: number, log: (message: string) => void): TruncatedSvd {
  const started = performance.now();
  const width = Math.min(rank + SVD_OVERSAMPLE, a.rows, a.cols);
  const step = (message: string) => log(`  SVD: ${message} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const random = gaussian(0x5eed);
  const omega = Float64Array.from({ length: a.cols * width }, random);
  let q = orthonormalize(mulSparse(a, omega, width), a.rows, width);
  step(`range of A * Omega, ${a.rows} x ${width}`);
  for (let iteration = 1; iteration <= SVD_POWER_ITERATIONS; iteration++) {
    const z = orthonormalize(mulSparseTransposed(a, q, width), a.cols, width);
    q = orthonormalize(mulSparse(a, z, width), a.rows, width);
    step(`power iteration ${iteration}/${SVD_POWER_ITERATIONS}`);
  }
  // B = Q^T A (width x cols); C = B^T = A^T Q. B B^T = C^T C = W diag(s^2) W^T.
  const c = mulSparseTransposed(a, q, width);
  const gram = Matrix.zeros(width, width);
  const g = new Float64Array(width * width);
  for (let j = 0; j < a.cols; j++) {
    const o = j * width;
    for (let x = 0; x < width; x++) {
      const cx = c[o + x]!;
      if (cx === 0) continue;
      for (let y = x; y < width; y++) g[x * width + y]! += cx * c[o + y]!;
    }
  }
  for (let x = 0; x < width; x++) for (let y = x; y < width; y++) gram.set(x, y, g[x * width + y]!).set(y, x, g[x * width + y]!);
  const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((value, i) => ({ value, i })).sort((p, r) => r.value - p.value).slice(0, rank);
  const w = evd.eigenvectorMatrix;
  step(`eigendecomposition of B B^T, ${width} x ${width}`);
  const s = Float64Array.from(order, (e) => Math.sqrt(Math.max(e.value, 0)));
  // U = Q W_r (rows x rank); V = C W_r / s (cols x rank).
  const wr = new Float64Array(width * rank);
  order.forEach((e, k) => {
    for (let x = 0; x < width; x++) wr[x * rank + k] = w.get(x, e.i);
  });
  const dense = (left: Float64Array, rows: number, scale?: Float64Array) => {
    const out = new Float64Array(rows * rank);
    for (let i = 0; i < rows; i++) {
      for (let x = 0; x < width; x++) {
        const value = left[i * width + x]!;
        if (value === 0) continue;
        const wo = x * rank;
        const o = i * rank;
        for (let k = 0; k < rank; k++) out[o + k]! += value * wr[wo + k]!;
      }
      if (scale) for (let k = 0; k < rank; k++) out[i * rank + k]! /= scale[k]!;
    }
    return out;
  };
  const u = dense(q, a.rows);
  const v = dense(c, a.cols, s);
  const residuals = [0, (rank >> 1) - 1, rank - 1].map((i) => {
    const vi = Float64Array.from({ length: a.cols }, (_, j) => v[j * rank + i]!);
    const avi = mulSparse(a, vi, 1);
    let sum = 0;
    for (let r = 0; r < a.rows; r++) sum += (avi[r]! - s[i]! * u[r * rank + i]!) ** 2;
    return { i: i + 1, residual: Math.sqrt(sum) / s[i]! };
  });
  let frobenius = 0;
  for (const value of a.val) frobenius += value * value;
  let kept = 0;
  for (const value of s) kept += value * value;
  const ms = performance.now() - started;
  step(`U and V, rank ${rank}`);
  return { rank, s, u, v, ms, residuals, energy: kept / frobenius };
}

/** Document vectors U_r S_r (the first `rank` columns), as Float32Array. */
function lsaDocVectors(svd: TruncatedSvd, rank: number, rows: number): Float32Array[] {
  return Array.from({ length: rows }, (_, i) => Float32Array.from({ length: rank }, (_, k) => svd.u[i * svd.rank + k]! * svd.s[k]!));
}

/** A query's TF-IDF row folded in through V_r, L2-normalised; null when it holds no vocabulary term (or folds to zero). */
function lsaQueryVector(tokens: readonly string[], tfidf: TfIdf, svd: TruncatedSvd, rank: number): Float32Array | null {
  const row = tfidfRow(tokens, tfidf.terms, tfidf.idf);
  const out = new Float64Array(rank);
  row.idx.forEach((t, p) => {
    const value = row.val[p]!;
    for (let k = 0; k < rank; k++) out[k]! += value * svd.v[t * svd.rank + k]!;
  });
  let norm = 0;
  for (const value of out) norm += value * value;
  if (!(norm > 0)) return null;
  return Float32Array.from(out, (value) => value / Math.sqrt(norm));
}

interface HybridRow {
  rank: number;
  mode: string;
  fusion: 'none' | 'rrf' | 'relativeScore';
  alpha: number | null;
  ndcg10: number;
  recall100: number;
  mrr10: number;
  queries: number;
  /** Queries whose nDCG@10 is higher / lower than keyword only's (same rank). */
  betterThanKeyword: number;
  worseThanKeyword: number;
  /** Two-sided paired randomisation test of the nDCG@10 difference to keyword only (sign flips, RANDOMIZATION_ROUNDS). */
  pVsKeyword: number;
  queryMsMean: number;
}

const RANDOMIZATION_ROUNDS = 10_000;

/** Two-sided p-value of mean(differences) != 0 by random sign flips (seeded). */
function pairedRandomization(differences: readonly number[]): number {
  const observed = Math.abs(differences.reduce((sum, d) => sum + d, 0));
  if (observed === 0) return 1;
  const random = gaussian(0xab5);
  let extreme = 0;
  for (let round = 0; round < RANDOMIZATION_ROUNDS; round++) {
    let sum = 0;
    for (const d of differences) sum += random() < 0 ? -d : d;
    if (Math.abs(sum) >= observed - 1e-12) extreme++;
  }
  return (extreme + 1) / (RANDOMIZATION_ROUNDS + 1);
}

interface HybridMode {
  mode: string;
  fusion: HybridRow['fusion'];
  alpha: number | null;
  side: 'keyword' | 'dense' | 'hybrid';
  check?: boolean;
}

const HYBRID_MODES: HybridMode[] = [
  { mode: 'keyword only', fusion: 'none', alpha: null, side: 'keyword' },
  { mode: 'dense only', fusion: 'none', alpha: null, side: 'dense' },
  { mode: 'rrf (k 60)', fusion: 'rrf', alpha: null, side: 'hybrid' },
  ...HYBRID_ALPHAS.map((alpha): HybridMode => ({ mode: `relativeScore a=${alpha}`, fusion: 'relativeScore', alpha, side: 'hybrid' })),
  { mode: 'relativeScore a=0 (check)', fusion: 'relativeScore', alpha: 0, side: 'hybrid', check: true },
  { mode: 'relativeScore a=1 (check)', fusion: 'relativeScore', alpha: 1, side: 'hybrid', check: true },
];

interface HybridResult {
  method: Record<string, unknown>;
  tfidf: { docs: number; terms: number; nonZeros: number; ms: number };
  svd: { computedRank: number; width: number; ms: number; residuals: TruncatedSvd['residuals']; energyByRank: Record<string, number>; topSingularValues: number[] };
  rows: HybridRow[];
  checks: Record<string, unknown>[];
  /** Test queries with no vocabulary term: their dense side is empty (dense only scores 0, hybrid runs keyword only). */
  queriesWithoutDenseVector: number;
  ms: number;
}

async function hybridQuality(dataset: Dataset, progress: ReturnType<typeof createProgress>): Promise<HybridResult> {
  const started = performance.now();
  const tokens = tokensFor(dataset, {}, 'title+text');
  const tfidfStarted = performance.now();
  const tfidf = buildTfIdf(tokens.docs);
  const tfidfMs = performance.now() - tfidfStarted;
  const a = tfidf.matrix;
  progress.log(`hybrid: TF-IDF ${a.rows} docs x ${a.cols} terms (df >= ${LSA_MIN_DF}), ${a.ptr[a.rows]} non-zeros, ${tfidfMs.toFixed(0)} ms`);
  const maxRank = Math.max(...HYBRID_RANKS);
  const svd = randomizedSvd(a, maxRank, (message) => progress.log(message));
  progress.log(
    `hybrid: rank-${maxRank} SVD in ${(svd.ms / 1000).toFixed(1)} s; s_1 ${svd.s[0]!.toFixed(3)}, s_${maxRank} ${svd.s[maxRank - 1]!.toFixed(3)}; ` +
      `residuals ${svd.residuals.map((r) => `#${r.i} ${r.residual.toExponential(1)}`).join(', ')}`,
  );
  const energyByRank: Record<string, number> = {};
  for (const rank of HYBRID_RANKS) {
    let kept = 0;
    for (let k = 0; k < rank; k++) kept += svd.s[k]! ** 2;
    energyByRank[rank] = kept / a.rows;
  }

  const rows: HybridRow[] = [];
  const checks: Record<string, unknown>[] = [];
  let withoutVector = 0;
  for (const rank of HYBRID_RANKS) {
    const rankStarted = performance.now();
    const docVectors = lsaDocVectors(svd, rank, a.rows);
    const queryVectors = tokens.queries.map((terms) => lsaQueryVector(terms, tfidf, svd, rank));
    withoutVector = queryVectors.filter((vector) => vector === null).length;
    const db = await openDatabase();
    try {
      // exact: true on every search, so the graph is never read: a cheap one keeps loading fast.
      const collection = await db.createCollection(`scifact-lsa-${rank}`, { dimension: rank, metric: 'cosine', hnsw: { m: 4, efConstruction: 8 } });
      await collection.upsert(dataset.corpus.map((doc, i) => ({ id: doc.id, vector: docVectors[i]!, text: documentText(doc, 'title+text') })));
      progress.log(`hybrid r=${rank}: ${collection.count} documents loaded in ${((performance.now() - rankStarted) / 1000).toFixed(1)} s`);
      const rankings = new Map<string, string[][]>();
      const perQueryNdcg = new Map<string, number[]>();
      const rankRows: Omit<HybridRow, 'betterThanKeyword' | 'worseThanKeyword' | 'pVsKeyword'>[] = [];
      for (const mode of HYBRID_MODES) {
        let ndcg = 0;
        let recall = 0;
        let mrr = 0;
        const perQuery: string[][] = [];
        const ndcgs: number[] = [];
        const queryStarted = performance.now();
        for (let q = 0; q < dataset.queries.length; q++) {
          const query = dataset.queries[q]!;
          const vector = queryVectors[q] ?? undefined;
          let ranking: string[] = [];
          const base = { k: DEPTH, exact: true, include: [] as const };
          if (mode.side === 'keyword' || (mode.side === 'hybrid' && vector === undefined)) {
            ranking = (await collection.search({ ...base, text: query.text })).map((hit) => hit.id);
          } else if (mode.side === 'dense') {
            if (vector !== undefined) ranking = (await collection.search({ ...base, vector })).map((hit) => hit.id);
          } else {
            const fusion = mode.fusion === 'rrf' ? { fusion: 'rrf' as const } : { fusion: 'relativeScore' as const, alpha: mode.alpha! };
            ranking = (await collection.search({ ...base, vector, text: query.text, ...fusion })).map((hit) => hit.id);
          }
          perQuery.push(ranking);
          const relevant = dataset.qrels.get(query.id)!;
          ndcgs.push(ndcgAt10(ranking, relevant));
          ndcg += ndcgs[q]!;
          recall += recallAt(ranking, relevant, DEPTH);
          mrr += mrrAt10(ranking, relevant);
        }
        const n = dataset.queries.length;
        rankings.set(mode.mode, perQuery);
        perQueryNdcg.set(mode.mode, ndcgs);
        rankRows.push({
          rank, mode: mode.mode, fusion: mode.fusion, alpha: mode.alpha,
          ndcg10: ndcg / n, recall100: recall / n, mrr10: mrr / n, queries: n,
          queryMsMean: (performance.now() - queryStarted) / n,
        });
      }
      const keywordNdcg = perQueryNdcg.get('keyword only')!;
      for (const row of rankRows) {
        const differences = perQueryNdcg.get(row.mode)!.map((value, q) => value - keywordNdcg[q]!);
        rows.push({
          ...row,
          betterThanKeyword: differences.filter((d) => d > 1e-12).length,
          worseThanKeyword: differences.filter((d) => d < -1e-12).length,
          pVsKeyword: pairedRandomization(differences),
        });
      }
      // alpha 0 / 1 against keyword only / dense only. A query with fewer than k keyword hits gets its
      // fused tail from vector-only candidates (keyword score 0, all tied at fused score 0, so in label
      // order): alpha 0 must hold the reference ranking as its prefix, not equal it.
      const compare = (name: string, reference: string) => {
        const got = rankings.get(name)!;
        const want = rankings.get(reference)!;
        let top10 = 0;
        let prefix = 0;
        let equal = 0;
        let padded = 0;
        got.forEach((ranking, q) => {
          const expected = want[q]!;
          if (ranking.slice(0, 10).join() === expected.slice(0, 10).join()) top10++;
          if (ranking.slice(0, expected.length).join() === expected.join()) prefix++;
          if (ranking.join() === expected.join()) equal++;
          if (expected.length < ranking.length) padded++;
        });
        checks.push({ rank, mode: name, reference, queries: got.length, sameTop10: top10, referenceIsPrefix: prefix, identical: equal, referenceShorter: padded });
      };
      compare('relativeScore a=0 (check)', 'keyword only');
      compare('relativeScore a=1 (check)', 'dense only');
    } finally {
      await db.close();
    }
    progress.log(`hybrid r=${rank}: done in ${((performance.now() - rankStarted) / 1000).toFixed(1)} s`);
  }
  return {
    method: {
      tokenizer: 'Quiver default (en, stemming, stopwords), title + text',
      weights: 'sublinear tf (1 + ln tf) x smoothed idf (ln((1 + N) / (1 + df)) + 1), rows L2-normalised',
      minDf: LSA_MIN_DF,
      svd: `randomized range finder (Halko et al. 2011), ${SVD_OVERSAMPLE} oversampling columns, ${SVD_POWER_ITERATIONS} power iterations, MGS between steps, ml-matrix EVD of B B^T; ranks below ${maxRank} take the leading triplets of the rank-${maxRank} decomposition`,
      documents: 'U_r S_r',
      queries: 'TF-IDF row x V_r (fold-in), L2-normalised',
      collection: 'in-memory, cosine, text = title + " " + text, default text and BM25 options',
      search: `k ${DEPTH}, exact: true, include: []; hybrid depth per side ${DEPTH}`,
    },
    tfidf: { docs: a.rows, terms: a.cols, nonZeros: a.ptr[a.rows]!, ms: tfidfMs },
    svd: {
      computedRank: maxRank, width: Math.min(maxRank + SVD_OVERSAMPLE, a.rows, a.cols), ms: svd.ms,
      residuals: svd.residuals, energyByRank, topSingularValues: Array.from(svd.s.subarray(0, 10)),
    },
    rows,
    checks,
    queriesWithoutDenseVector: withoutVector,
    ms: performance.now() - started,
  };
}

// ---------------------------------------------------------------- peers (LanceDB FTS, PostgreSQL FTS)

interface PeerRow {
  dataset: string;
  engine: string;
  settings: string;
  ndcg10: number;
  recall100: number;
  mrr10: number;
  queries: number;
  queryMsMean: number;
  /** The engine's setting chosen on SciFact train (headline). */
  headline: boolean;
}

interface PeerEngine {
  engine: string;
  status: 'ok' | 'failed' | 'skipped';
  reason: string | null;
  version: string | null;
}

/** Scores one engine's rankings of `dataset`'s queries (ids are corpus positions). */
async function scorePeer(dataset: Dataset, search: (text: string) => Promise<number[]>): Promise<Omit<PeerRow, 'dataset' | 'engine' | 'settings' | 'headline'>> {
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  const started = performance.now();
  // A smoke run (QUIVER_BENCH_SMOKE=1) only proves the peers answer: its first 30 queries.
  const queries = SMOKE ? dataset.queries.slice(0, 30) : dataset.queries;
  for (const query of queries) {
    const ranking = (await search(query.text)).map((label) => dataset.corpus[label]!.id);
    const relevant = dataset.qrels.get(query.id)!;
    ndcg += ndcgAt10(ranking, relevant);
    recall += recallAt(ranking, relevant, DEPTH);
    mrr += mrrAt10(ranking, relevant);
  }
  const n = queries.length;
  return { ndcg10: ndcg / n, recall100: recall / n, mrr10: mrr / n, queries: n, queryMsMean: (performance.now() - started) / n };
}

const LANCE_FTS: { name: string; options: Partial<FtsOptions> }[] = [
  { name: 'Index.fts() defaults', options: {} },
  { name: 'English stem + stop words', options: { baseTokenizer: 'simple', language: 'English', stem: true, removeStopWords: true, lowercase: true, asciiFolding: true, withPosition: false } },
  { name: 'no stemming, no stop words', options: { baseTokenizer: 'simple', language: 'English', stem: false, removeStopWords: false, lowercase: true, asciiFolding: true, withPosition: false } },
];

/**
 * PostgreSQL ranks every matching row (no top-k pruning), and SciFact's long
 * queries OR'ed match most documents: tens of ms a query. --quick compares
 * three rankings instead of six.
 */
const PG_RANKS_RUN: readonly PgRank[] = QUICK
  ? PG_RANKS.filter((r) => (r.fn === 'ts_rank' && r.normalization <= 1) || (r.fn === 'ts_rank_cd' && r.normalization === 1))
  : PG_RANKS;

/**
 * LanceDB and PostgreSQL full text on SciFact (train, then test) and XQuAD
 * en; each setting is scored on every set, the headline is the best on train.
 */
async function peerQuality(datasets: Map<string, Dataset>, log: (message: string) => void): Promise<{ engines: PeerEngine[]; rows: PeerRow[]; notes: string[] }> {
  const sets = ['SciFact train', 'SciFact', 'XQuAD en'].map((name) => datasets.get(name)!);
  const engines: PeerEngine[] = [];
  const rows: PeerRow[] = [];
  const notes: string[] = [];
  const pickHeadline = (engine: string) => {
    const train = rows.filter((r) => r.engine === engine && r.dataset === 'SciFact train');
    if (train.length === 0) return;
    const best = train.reduce((a, b) => (b.ndcg10 > a.ndcg10 ? b : a));
    for (const r of rows) if (r.engine === engine && r.settings === best.settings) r.headline = true;
  };
  const failure = (engine: string, error: unknown, version: string | null) => {
    const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!;
    engines.push({ engine, status: isPeerUnavailable(error) ? 'skipped' : 'failed', reason, version });
    log(`${engine} ${isPeerUnavailable(error) ? 'skipped' : 'FAILED'}: ${reason}`);
  };

  // LanceDB: one table per corpus (SciFact train and test share it), an FTS index per setting (replaced).
  const lanceMissing = missingPeers(LANCEDB_PACKAGES);
  if (lanceMissing) {
    engines.push({ engine: 'LanceDB FTS', status: 'skipped', reason: lanceMissing, version: null });
    log(`LanceDB FTS skipped: ${lanceMissing}`);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-quality-lance-'));
    try {
      for (const setting of LANCE_FTS) {
        const tables = new Map<Doc[], Awaited<ReturnType<typeof buildTextTable>>>();
        for (const dataset of sets) {
          let built = tables.get(dataset.corpus);
          if (!built) {
            built = await buildTextTable(join(dir, `${tables.size}-${slugOf(setting.name)}`), 'docs', dataset.corpus.length, (i) => documentText(dataset.corpus[i]!, 'title+text'), setting.options);
            tables.set(dataset.corpus, built);
          }
          const table = built.table;
          const scores = await scorePeer(dataset, (text) => textSearch(table, text, DEPTH));
          rows.push({ dataset: dataset.name, engine: 'LanceDB FTS', settings: `${setting.name} ${JSON.stringify(setting.options)}`, ...scores, headline: false });
          log(`LanceDB FTS ${setting.name} on ${dataset.name}: nDCG@10 ${scores.ndcg10.toFixed(4)}`);
        }
      }
      pickHeadline('LanceDB FTS');
      engines.push({ engine: 'LanceDB FTS', status: 'ok', reason: null, version: peerVersion('@lancedb/lancedb') });
      notes.push(`LanceDB ${peerVersion('@lancedb/lancedb') ?? '?'}: table (id, body = title + ' ' + text), createIndex('body', { config: Index.fts(options) }), query().fullTextSearch(query text, { columns: 'body' }).limit(${DEPTH}) (match query, OR, BM25)`);
    } catch (error) {
      failure('LanceDB FTS', error, peerVersion('@lancedb/lancedb'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // PostgreSQL: one throwaway cluster; the table reloaded per corpus.
  const pgMissing = postgresUnavailable();
  if (pgMissing) {
    engines.push({ engine: 'PostgreSQL FTS', status: 'skipped', reason: pgMissing, version: null });
    log(`PostgreSQL FTS skipped: ${pgMissing}`);
  } else {
    let pg: Postgres | null = null;
    try {
      pg = await startPostgres(log);
      const client = pg.client;
      let loadedCorpus: Doc[] | null = null;
      const describeRank = (rank: PgRank) => `to_tsvector('english'), plainto_tsquery('english') with | (OR), ${rank.fn}(tsv, q, ${rank.normalization})`;
      for (const dataset of sets) {
        if (loadedCorpus !== dataset.corpus) {
          await loadTextTable(client, dataset.corpus.length, (i) => documentText(dataset.corpus[i]!, 'title+text'), 'english');
          loadedCorpus = dataset.corpus;
        }
        for (const [r, rank] of PG_RANKS_RUN.entries()) {
          const sql = textSearchSql('english', rank);
          const scores = await scorePeer(dataset, (text) => searchIds(client, sql, `quality_${r}`, text, DEPTH));
          rows.push({ dataset: dataset.name, engine: 'PostgreSQL FTS', settings: describeRank(rank), ...scores, headline: false });
          log(`PostgreSQL FTS ${rank.fn} norm ${rank.normalization} on ${dataset.name}: nDCG@10 ${scores.ndcg10.toFixed(4)}`);
        }
      }
      pickHeadline('PostgreSQL FTS');
      engines.push({ engine: 'PostgreSQL FTS', status: 'ok', reason: null, version: pg.version });
      notes.push(
        `PostgreSQL ${pg.version} (throwaway cluster on 127.0.0.1, shared_buffers 256MB, jit off; pg ${peerVersion('pg') ?? '?'} client): docs(id, body, tsv = to_tsvector('english', body)), GIN index; ` +
          `${textSearchSql('english', { fn: 'ts_rank', normalization: 1 }).replace(/\s+/g, ' ')} (and the other rank functions / normalizations)`,
      );
    } catch (error) {
      failure('PostgreSQL FTS', error, pg?.version ?? null);
    } finally {
      await pg?.stop();
    }
  }
  return { engines, rows, notes };
}

function slugOf(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

async function main(): Promise<void> {
  const progress = createProgress();
  const datasets = new Map<string, Dataset>([
    ['SciFact', loadDataset('SciFact', 'scifact/corpus.jsonl', 'scifact/queries.jsonl', 'scifact/qrels/test.tsv')],
    ['SciFact train', loadDataset('SciFact train', 'scifact/corpus.jsonl', 'scifact/queries.jsonl', 'scifact/qrels/train.tsv')],
    ['XQuAD zh', loadDataset('XQuAD zh', 'xquad/DERIVED_zh_corpus.jsonl', 'xquad/DERIVED_zh_queries.jsonl', 'xquad/DERIVED_zh_qrels.tsv')],
    ['XQuAD en', loadDataset('XQuAD en', 'xquad/DERIVED_en_corpus.jsonl', 'xquad/DERIVED_en_queries.jsonl', 'xquad/DERIVED_en_qrels.tsv')],
    ['CMRC dev', loadDataset('CMRC dev', 'cmrc2018/DERIVED_dev_corpus.jsonl', 'cmrc2018/DERIVED_dev_queries.jsonl', 'cmrc2018/DERIVED_dev_qrels.tsv')],
  ]);
  datasets.set('CMRC titles', titleQueries(datasets.get('CMRC dev')!, 'CMRC titles'));
  for (const [name, dataset] of datasets) progress.log(`${name}: ${dataset.corpus.length} docs, ${dataset.queries.length} judged queries`);

  const defaults: Variant[] = [
    { dataset: 'SciFact', name: 'default' },
    { dataset: 'XQuAD zh', name: 'default', text: { language: 'zh' } },
    { dataset: 'XQuAD en', name: 'default' },
    { dataset: 'CMRC dev', name: 'default', text: { language: 'zh' } },
  ];
  const variants: Variant[] = hasFlag('defaults-only') || QUICK ? [] : [
    { dataset: 'SciFact', name: 'no stemming', text: { stemming: false } },
    { dataset: 'SciFact', name: 'no stopwords', text: { stopwords: false } },
    { dataset: 'SciFact', name: 'neither', text: { stemming: false, stopwords: false } },
    { dataset: 'SciFact', name: 'Anserini k1/b', bm25: { k1: 0.9, b: 0.4 } },
    { dataset: 'SciFact', name: 'Anserini k1/b, no stopwords', text: { stopwords: false }, bm25: { k1: 0.9, b: 0.4 } },
    { dataset: 'SciFact', name: 'k1 1.5', bm25: { k1: 1.5 } },
    { dataset: 'SciFact', name: 'k1 0.9', bm25: { k1: 0.9 } },
    { dataset: 'SciFact', name: 'b 0.5', bm25: { b: 0.5 } },
    { dataset: 'SciFact', name: 'b 0.9', bm25: { b: 0.9 } },
    { dataset: 'SciFact', name: 'text only', title: 'text' },
    { dataset: 'SciFact', name: 'title twice', title: '2*title+text' },
    { dataset: 'XQuAD zh', name: 'cjk words', text: { language: 'zh', cjk: 'words' } },
    { dataset: 'XQuAD zh', name: 'cjk bigrams', text: { language: 'zh', cjk: 'bigrams' } },
    { dataset: 'XQuAD zh', name: 'stopwords', text: { language: 'zh', stopwords: true } },
    { dataset: 'XQuAD zh', name: 'words + stopwords', text: { language: 'zh', cjk: 'words', stopwords: true } },
    { dataset: 'XQuAD zh', name: 'text only', text: { language: 'zh' }, title: 'text' },
    { dataset: 'XQuAD zh', name: 'language en', text: { language: 'en' } },
    { dataset: 'XQuAD en', name: 'no stemming', text: { stemming: false } },
    { dataset: 'XQuAD en', name: 'no stopwords', text: { stopwords: false } },
    { dataset: 'XQuAD en', name: 'text only', title: 'text' },
    { dataset: 'CMRC dev', name: 'cjk words', text: { language: 'zh', cjk: 'words' } },
    { dataset: 'CMRC dev', name: 'cjk bigrams', text: { language: 'zh', cjk: 'bigrams' } },
    { dataset: 'CMRC dev', name: 'stopwords', text: { language: 'zh', stopwords: true } },
    { dataset: 'CMRC dev', name: 'text only', text: { language: 'zh' }, title: 'text' },
    { dataset: 'CMRC titles', name: 'default', text: { language: 'zh' }, title: 'text' },
    { dataset: 'CMRC titles', name: 'cjk words', text: { language: 'zh', cjk: 'words' }, title: 'text' },
    { dataset: 'CMRC titles', name: 'cjk bigrams', text: { language: 'zh', cjk: 'bigrams' }, title: 'text' },
  ];

  const run = (list: Variant[]) =>
    list.map((variant) => {
      const scores = evaluate(datasets.get(variant.dataset)!, variant);
      progress.log(`${variant.dataset} ${variant.name}: nDCG@10 ${scores.ndcg10.toFixed(4)}`);
      return { ...variant, settings: describe(variant), ...scores };
    });
  const defaultRows = run(defaults);
  const variantRows = run(variants);

  // k1/b chosen on the train split (809 queries), then read on test: tuning on the test queries would overfit them.
  const grid: { k1: number; b: number; train: number; test: number }[] = [];
  if (!hasFlag('defaults-only') && !QUICK) {
    for (const k1 of [0.9, 1.2, 1.5, 2.0]) {
      for (const b of [0.4, 0.6, 0.75, 0.9]) {
        const train = evaluate(datasets.get('SciFact train')!, { dataset: 'SciFact train', name: 'grid', bm25: { k1, b } }).ndcg10;
        const test = evaluate(datasets.get('SciFact')!, { dataset: 'SciFact', name: 'grid', bm25: { k1, b } }).ndcg10;
        grid.push({ k1, b, train, test });
      }
    }
    progress.log('k1/b grid done');
  }

  const headers = ['set', 'variant', 'settings', 'nDCG@10', 'R@100', 'MRR@10', 'queries', 'index ms', 'ms/query'];
  const row = (r: (typeof defaultRows)[number]) => [
    r.dataset, r.name, r.settings, r.ndcg10.toFixed(4), r.recall100.toFixed(4), r.mrr10.toFixed(4), r.queries, r.indexMs, r.queryMsMean,
  ];
  printTable('Quiver BM25 defaults', headers, defaultRows.map(row));
  if (variantRows.length > 0) printTable('Variants (one change from the defaults each)', headers, variantRows.map(row));

  if (grid.length > 0) {
    const best = grid.reduce((a, b) => (b.train > a.train ? b : a));
    printTable(
      'SciFact k1/b grid (other settings default): nDCG@10 on train (809 queries) and test (300)',
      ['k1', 'b', 'train', 'test', 'best on train'],
      grid.map((g) => [g.k1, g.b, g.train.toFixed(4), g.test.toFixed(4), g === best ? '<-' : '']),
    );
  }
  const targets = [
    { target: 'SciFact nDCG@10 >= 0.665 (BEIR paper BM25)', met: defaultRows[0]!.ndcg10 >= 0.665 },
    { target: 'SciFact nDCG@10 >= 0.679 (Anserini flat, aim)', met: defaultRows[0]!.ndcg10 >= 0.679 },
    { target: 'XQuAD zh nDCG@10 >= 0.9', met: defaultRows[1]!.ndcg10 >= 0.9 },
  ];
  printTable('Targets', ['target', 'met'], targets.map((t) => [t.target, t.met ? 'yes' : 'NO']));

  let peers: Awaited<ReturnType<typeof peerQuality>> | null = null;
  if (!hasFlag('skip-peers')) {
    peers = await peerQuality(datasets, (message) => progress.log(message));
    const quiverRows = defaultRows.filter((r) => r.dataset === 'SciFact' || r.dataset === 'XQuAD en');
    printTable(
      `Keyword engines side by side (top ${DEPTH}; * = each engine's setting chosen on SciFact train)`,
      ['set', 'engine', 'settings', 'nDCG@10', 'R@100', 'MRR@10', 'queries', 'ms/query'],
      [
        ...quiverRows.map((r) => [r.dataset, 'Quiver *', r.settings, r.ndcg10.toFixed(4), r.recall100.toFixed(4), r.mrr10.toFixed(4), String(r.queries), r.queryMsMean]),
        ...peers.rows.map((r) => [r.dataset, `${r.engine}${r.headline ? ' *' : ''}`, r.settings, r.ndcg10.toFixed(4), r.recall100.toFixed(4), r.mrr10.toFixed(4), String(r.queries), r.queryMsMean]),
      ],
    );
    for (const e of peers.engines.filter((x) => x.status !== 'ok')) progress.log(`${e.engine} ${e.status}: ${e.reason}`);
  }

  let hybrid: HybridResult | null = null;
  if (!hasFlag('skip-hybrid') && !SMOKE) {
    hybrid = await hybridQuality(datasets.get('SciFact')!, progress);
    printTable(
      `SciFact hybrid, ${hybrid.rows[0]?.queries ?? 0} test queries: BM25 + LSA (rank r; TF-IDF ${hybrid.tfidf.docs} x ${hybrid.tfidf.terms}, randomized SVD ${(hybrid.svd.ms / 1000).toFixed(1)} s); exact vector side, k ${DEPTH}`,
      ['r', 'mode', 'nDCG@10', 'R@100', 'MRR@10', 'vs keyword', 'better/worse', 'p', 'ms/query'],
      hybrid.rows.map((r) => {
        const keyword = hybrid!.rows.find((k) => k.rank === r.rank && k.mode === 'keyword only')!;
        const delta = r.ndcg10 - keyword.ndcg10;
        return [
          r.rank, r.mode, r.ndcg10.toFixed(4), r.recall100.toFixed(4), r.mrr10.toFixed(4),
          `${delta >= 0 ? '+' : ''}${delta.toFixed(4)}`, `${r.betterThanKeyword}/${r.worseThanKeyword}`,
          r.mode === 'keyword only' ? '' : r.pVsKeyword.toFixed(4), r.queryMsMean,
        ];
      }),
    );
    printTable(
      'Hybrid checks: alpha 0 must reproduce keyword only, alpha 1 dense only (queries agreeing)',
      ['r', 'mode', 'reference', 'same top 10', 'reference is a prefix', 'identical', 'reference < 100 hits'],
      hybrid.checks.map((c) => [
        c.rank as number, c.mode as string, c.reference as string, `${c.sameTop10}/${c.queries}`,
        `${c.referenceIsPrefix}/${c.queries}`, `${c.identical}/${c.queries}`, `${c.referenceShorter}`,
      ]),
    );
    const keywordRow = hybrid.rows.find((r) => r.mode === 'keyword only')!;
    progress.log(
      `hybrid: keyword only through the collection ${keywordRow.ndcg10.toFixed(4)} vs BM25 default row ${defaultRows[0]!.ndcg10.toFixed(4)}; ` +
        `${hybrid.queriesWithoutDenseVector} queries without a dense vector; section took ${(hybrid.ms / 1000).toFixed(1)} s`,
    );
  }
  const path = writeResults('quality.json', {
    benchmark: 'quality',
    machine: machineInfo(['stemmer', 'stopword', 'ml-matrix']),
    config: { quick: QUICK, smoke: SMOKE, hybridRanks: hybrid ? HYBRID_RANKS : [] },
    runtimeSeconds: progress.elapsedMs() / 1000,
    icu: process.versions.icu,
    defaults: defaultRows,
    variants: variantRows,
    scifactGrid: grid,
    targets,
    hybrid,
    peers,
  });
  progress.log(`wrote ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
