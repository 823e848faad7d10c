/**
 * An in-memory BM25 index over documents keyed by integer labels (dense,
 * reused after removal), with dynamic pruning for top-k.
 *
 * Long (about 1,300 lines): the two postings segments, their cursors, the
 * MaxScore search, merge, renumbering and serialisation all read the same
 * private arrays. Issue 18 (the layout) splits it along those seams into a
 * folder of its own.
 *
 * Scoring (Robertson's BM25 with Lucene's idf, which is never negative):
 *
 *   score(d, q) = sum over distinct terms t of q:
 *     qtf(t) * idf(t) * (k1 + 1) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
 *   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
 *
 * qtf is how often t occurs in the query (Anserini's bag-of-words query);
 * N, df and avgdl count live documents only, and are exact after every add
 * and remove (not only after a merge, as in Lucene). A document's length dl
 * is its number of terms; a document whose text has no terms is not
 * indexed. `score` and `search` sum a document's per-term scores in query
 * order in float64, so both give bit-identical values; ties rank by label.
 *
 * Layout. Every add gets a fresh internal document number (doc), so each
 * term's postings are in increasing doc order however labels are reused;
 * `#docLabel` maps back. Postings live in two segments:
 * - main: compressed sparse rows. `#mainStart[t]..#mainStart[t + 1]` index
 *   `#mainDocs` (Int32Array) and `#mainTfs` (Uint16Array; a term repeated
 *   more than 65,535 times in one document counts 65,535), in blocks of
 *   BLOCK postings, each block with its largest saturated tf (below) in
 *   `#mainBlockMax` from `#mainBlockStart[t]`;
 * - buffer: the postings of the docs added since the last merge, each term
 *   in a growable region of one shared pool (BufferSegment), with the same
 *   block maxima.
 * The buffer merges into main once it holds a quarter as many postings as
 * main (at least MIN_BUFFER_POSTINGS): each posting is copied a bounded
 * number of times, amortised O(1) per add, and a merge is two block copies
 * per term plus a pass computing block maxima.
 * Remove marks the doc dead (a tombstone) and decrements df and the length
 * total through the forward index (per doc, its distinct terms). When dead
 * docs pass `compactAt` of all docs, a purge rewrites both segments into a
 * new main without them, renumbering docs and dropping terms no live
 * document holds; `compact()` forces one, and `serialize()` starts with one.
 *
 * Top-k: block-max MaxScore over windows (as Lucene 9's
 * MaxScoreBulkScorer; Turtle & Flood 1995, Ding & Suel 2011). A window is
 * the doc range up to the nearest end of the query terms' current blocks,
 * so every term's block maximum bounds its score there. A term's score in
 * a doc is weight * g(A), weight = qtf * idf * (k1 + 1), with the
 * saturated tf g(A) = tf / (tf + k1 * (1 - b) + k1 * b * dl / A) at
 * A = avgdl. Each block stores the largest g(A0) of its postings, A0 being
 * the segment's avgdl when the block was written; since g(A) <= g(A0) for
 * A <= A0 and g(A) <= g(A0) * A / A0 for A > A0,
 *   bound(block) = weight * blockMax * max(1, avgdl / A0)
 * holds however avgdl has moved since. (Maxima of tf and minima of dl
 * taken separately are far looser: BM25 saturates, so on a term in most
 * documents they bound nearly every block above the k-th score.)
 * Terms are sorted by bound; the smallest whose bounds sum
 * below the current k-th score are non-essential: only documents of the
 * others are candidates, and a candidate stops being scored as soon as its
 * score so far plus the bounds left cannot reach the k-th score. A window
 * where all bounds together cannot reach it is skipped whole. A common
 * term's blocks are therefore mostly skipped once the heap is full.
 *
 * Measured (bench/bm25.bench.ts, 1M synthetic docs of 40 terms over a
 * Zipf vocabulary, 2 shared cores): top-10 p95 5.3 ms for two of the 20
 * most common terms, 1.3 ms for the term in 98% of docs, 0.28 ms for rare
 * terms; build 10 s; 338 bytes of typed arrays per doc (6 per posting, 4
 * per forward entry, 17 per doc); serialize 0.13 s (190 MB), deserialize
 * 1.5 s, purging 5% of the docs 0.9 s, a merge 0.5 s. Merges and purges
 * run synchronously inside the add or remove that triggers them.
 */
import { labelsOf, popcount } from '../bitset.js';
import { createError } from '../errors.js';
import { DEFAULT_BM25_B, DEFAULT_BM25_K1, DEFAULT_COMPACT_AT, MAX_BM25_K1, MAX_K, MAX_QUERY_TERMS } from '../options.js';
import {
  TOKENIZER_VERSION,
  createTokenizer,
  resolveTextOptions,
  sameTextOptions,
  type ResolvedTextOptions,
  type TextOptions,
  type Tokenizer,
} from './tokenizer.js';

/** Largest label the index accepts. */
export const MAX_LABEL = 2 ** 31 - 1;
/** Format of `serialize()`; bumped on any change to the byte layout. */
export const BM25_FORMAT = 1;

export interface Bm25Options {
  /** Term-frequency saturation, 0 to MAX_BM25_K1. Default DEFAULT_BM25_K1 (1.2). */
  k1?: number;
  /** Length normalisation, 0 to 1. Default DEFAULT_BM25_B (0.75). */
  b?: number;
}

export interface ResolvedBm25Options {
  readonly k1: number;
  readonly b: number;
}

export interface Bm25IndexOptions {
  /** How text becomes terms (see tokenizer.ts); raw or resolved. Part of a snapshot: loading needs the same. */
  text?: TextOptions;
  /** Scoring parameters, raw or resolved. Not part of a snapshot: an index may load one made with others. */
  bm25?: Bm25Options;
  /** Purge tombstones once they pass this fraction of the indexed docs (and MIN_COMPACT_TOMBSTONES). Default DEFAULT_COMPACT_AT. */
  compactAt?: number;
}

/** Best first: `labels[i]` scored `scores[i]`. */
export interface KeywordHits {
  labels: Int32Array;
  scores: Float32Array;
}

/** Merges defaults, checks ranges and throws one INVALID_OPTIONS listing all problems. */
export function resolveBm25Options(input: unknown = {}): ResolvedBm25Options {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw createError('INVALID_OPTIONS', ['bm25 options must be an object']);
  }
  const options = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (key !== 'k1' && key !== 'b') problems.push(`unknown option 'bm25.${key}'`);
  }
  const { k1 = DEFAULT_BM25_K1, b = DEFAULT_BM25_B } = options;
  if (typeof k1 !== 'number' || !(k1 >= 0 && k1 <= MAX_BM25_K1)) problems.push(`bm25.k1 must be a number from 0 to ${MAX_BM25_K1}, got ${String(k1)}`);
  if (typeof b !== 'number' || !(b >= 0 && b <= 1)) problems.push(`bm25.b must be a number from 0 to 1, got ${String(b)}`);
  if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
  return Object.freeze({ k1: k1 as number, b: b as number });
}

const BLOCK_SHIFT = 7;
/** Postings per block of block-max metadata: smaller blocks give tighter bounds and more windows. */
const BLOCK = 1 << BLOCK_SHIFT;
const MAX_TF = 0xffff;
/** The buffer merges into main at max(this, main postings / 4) postings. */
const MIN_BUFFER_POSTINGS = 1 << 18;
/** Fewer tombstones than this are not worth a purge. */
const MIN_COMPACT_TOMBSTONES = 1_000;
/** Bounds below (1 - this) * k-th score prune: room for float64 rounding between summation orders. */
const PRUNE_SLACK = 1e-9;
const NO_DOC = 0x7fffffff;
/**
 * A filtered search scores the allowed labels one by one (a binary search per
 * query term each) when labels * terms * this is below the query's postings.
 */
const DIRECT_COST = 16;
const MAGIC = 0x4d423251; // 'Q2BM' read as a little-endian u32
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The buffer segment: per term, its postings among the docs added since the
 * last merge, each term in one region of a shared pool (no typed array per
 * term: allocating those dominated adds). A full region moves to the end of
 * the pool with twice the room (the old one is garbage until the merge);
 * the pool doubles when it is full, so it holds at most about four times
 * the buffer's postings, and starts small again after every merge.
 */
class BufferSegment {
  /** term id -> slot + 1 (0: the term has no buffer postings). */
  slotOf: Int32Array = new Int32Array(16);
  slots = 0;
  offset: Int32Array = new Int32Array(16);
  length: Int32Array = new Int32Array(16);
  capacity: Int32Array = new Int32Array(16);
  /** Largest saturated tf of each slot: its block maximum while it has one block. */
  max: Float64Array = new Float64Array(16);
  /** Block maxima of slots with more than one block. */
  blocks: (Float64Array | undefined)[] = [];
  docs: Int32Array = new Int32Array(1 << 12);
  tfs: Uint16Array = new Uint16Array(1 << 12);
  end = 0;
  postings = 0;
  /** A0 of the block maxima: avgdl when the first doc after a merge came. */
  avgdl = 1;

  /** The slot of term `t`, or -1. */
  slot(t: number): number {
    return t < this.slotOf.length ? this.slotOf[t]! - 1 : -1;
  }

  /** Appends (doc, tf) to term `t`'s postings; `g` is its saturated tf at A0. */
  push(t: number, doc: number, tf: number, g: number): void {
    if (t >= this.slotOf.length) this.slotOf = growInt32(this.slotOf, Math.max(t + 1, this.slotOf.length * 2));
    let slot = this.slotOf[t]! - 1;
    if (slot < 0) slot = this.#newSlot(t);
    const n = this.length[slot]!;
    if (n === this.capacity[slot]!) this.#move(slot, n * 2);
    const at = this.offset[slot]! + n;
    this.docs[at] = doc;
    this.tfs[at] = tf;
    this.length[slot] = n + 1;
    this.postings++;
    if (n >= BLOCK) {
      const block = n >>> BLOCK_SHIFT;
      let blocks = this.blocks[slot];
      if (blocks === undefined) {
        blocks = this.blocks[slot] = new Float64Array(4);
        blocks[0] = this.max[slot]!;
      } else if (block >= blocks.length) {
        const grown = new Float64Array(block * 2);
        grown.set(blocks);
        blocks = this.blocks[slot] = grown;
      }
      if ((n & (BLOCK - 1)) === 0 || g > blocks[block]!) blocks[block] = g;
    }
    if (g > this.max[slot]!) this.max[slot] = g;
  }

  /** tf of term `t` in `doc`, 0 when absent. */
  tf(t: number, doc: number): number {
    const slot = this.slot(t);
    if (slot < 0) return 0;
    const at = lowerBound(this.docs, this.offset[slot]!, this.offset[slot]! + this.length[slot]!, doc);
    return at < this.offset[slot]! + this.length[slot]! && this.docs[at] === doc ? this.tfs[at]! : 0;
  }

  /** Forgets every posting and sizes the term map for `terms`. The pool starts small again: kept, it would hold up to a few times the largest buffer for good. */
  clear(terms: number): void {
    this.slotOf = new Int32Array(Math.max(16, terms));
    this.slots = 0;
    this.offset = new Int32Array(16);
    this.length = new Int32Array(16);
    this.capacity = new Int32Array(16);
    this.max = new Float64Array(16);
    this.blocks = [];
    this.docs = new Int32Array(1 << 12);
    this.tfs = new Uint16Array(1 << 12);
    this.end = 0;
    this.postings = 0;
  }

  get bytes(): number {
    let bytes = this.slotOf.byteLength + this.offset.byteLength + this.length.byteLength + this.capacity.byteLength +
      this.max.byteLength + this.docs.byteLength + this.tfs.byteLength;
    for (const blocks of this.blocks) bytes += blocks?.byteLength ?? 0;
    return bytes;
  }

  #newSlot(t: number): number {
    const slot = this.slots++;
    if (slot >= this.offset.length) {
      const size = this.offset.length * 2;
      this.offset = growInt32(this.offset, size);
      this.length = growInt32(this.length, size);
      this.capacity = growInt32(this.capacity, size);
      const max = new Float64Array(size);
      max.set(this.max);
      this.max = max;
    }
    this.slotOf[t] = slot + 1;
    this.offset[slot] = this.#allocate(4);
    this.length[slot] = 0;
    this.capacity[slot] = 4;
    this.max[slot] = 0;
    this.blocks[slot] = undefined;
    return slot;
  }

  /** Moves a full slot to a fresh region of `capacity`. */
  #move(slot: number, capacity: number): void {
    const from = this.offset[slot]!;
    const n = this.length[slot]!;
    const to = this.#allocate(capacity);
    this.docs.copyWithin(to, from, from + n);
    this.tfs.copyWithin(to, from, from + n);
    this.offset[slot] = to;
    this.capacity[slot] = capacity;
  }

  #allocate(size: number): number {
    const at = this.end;
    this.end += size;
    if (this.end > this.docs.length) {
      const grown = Math.max(this.end, this.docs.length * 2);
      this.docs = growInt32(this.docs, grown);
      this.tfs = growUint16(this.tfs, grown);
    }
    return at;
  }
}

/** One query term's postings in one segment, and where the search is in them. */
class Cursor {
  readonly docs: Int32Array;
  readonly tfs: Uint16Array;
  readonly start: number;
  readonly end: number;
  readonly blockMax: Float64Array;
  readonly blockBase: number;
  /** qtf * idf * (k1 + 1). */
  readonly weight: number;
  /** weight * max(1, avgdl / A0): times a block maximum, the block's score bound. */
  readonly boundWeight: number;
  /** Position of the term in the query: where its score goes in the per-doc sum. */
  readonly term: number;
  pos: number;
  /** Current block, relative to the term's first. */
  block = 0;
  /** Score bound of the current block. */
  bound = 0;

  constructor(docs: Int32Array, tfs: Uint16Array, start: number, end: number, blockMax: Float64Array, blockBase: number, weight: number, boundWeight: number, term: number) {
    this.docs = docs;
    this.tfs = tfs;
    this.start = start;
    this.end = end;
    this.blockMax = blockMax;
    this.blockBase = blockBase;
    this.weight = weight;
    this.boundWeight = boundWeight;
    this.term = term;
    this.pos = start;
  }
}

/** The k best (score, label) pairs seen: a min-heap whose root is the worst (lowest score, then highest label). */
class TopK {
  readonly scores: Float64Array;
  readonly labels: Int32Array;
  size = 0;
  /** Candidates whose score bound is below this cannot enter: -Infinity until full. */
  limit = -Infinity;

  constructor(k: number) {
    this.scores = new Float64Array(k);
    this.labels = new Int32Array(k);
  }

  /** Adds (score, label) if it beats the worst kept; returns whether the limit rose. */
  offer(score: number, label: number): boolean {
    const { scores, labels } = this;
    const k = scores.length;
    if (this.size < k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, label, scores[parent]!, labels[parent]!)) break;
        scores[i] = scores[parent]!;
        labels[i] = labels[parent]!;
        i = parent;
      }
      scores[i] = score;
      labels[i] = label;
      if (this.size === k) this.limit = scores[0]! * (1 - PRUNE_SLACK);
      return this.size === k;
    }
    if (!worse(scores[0]!, labels[0]!, score, label)) return false;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= k) break;
      const right = left + 1;
      const child = right < k && worse(scores[right]!, labels[right]!, scores[left]!, labels[left]!) ? right : left;
      if (!worse(scores[child]!, labels[child]!, score, label)) break;
      scores[i] = scores[child]!;
      labels[i] = labels[child]!;
      i = child;
    }
    scores[i] = score;
    labels[i] = label;
    this.limit = scores[0]! * (1 - PRUNE_SLACK);
    return true;
  }

  /** Best first: score descending, then label ascending. */
  sorted(): KeywordHits {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => this.scores[b]! - this.scores[a]! || this.labels[a]! - this.labels[b]!);
    return {
      labels: Int32Array.from(order, (i) => this.labels[i]!),
      scores: Float32Array.from(order, (i) => this.scores[i]!),
    };
  }
}

/** Whether (s1, l1) ranks below (s2, l2). */
function worse(s1: number, l1: number, s2: number, l2: number): boolean {
  return s1 < s2 || (s1 === s2 && l1 > l2);
}

/** A parsed query: distinct known terms in query order with their weights' qtf. */
interface Query {
  terms: Int32Array;
  counts: Int32Array;
}

export class Bm25Index {
  readonly text: ResolvedTextOptions;
  readonly bm25: ResolvedBm25Options;
  readonly #tokenize: Tokenizer;
  readonly #compactAt: number;

  // Dictionary: term id <-> string, and live document frequency.
  #termIds = new Map<string, number>();
  #terms: string[] = [];
  #df: Int32Array = new Int32Array(16);
  /** Per term id, tf while one document is being added (zero otherwise). */
  #scratch: Int32Array = new Int32Array(16);

  // Documents, by internal doc number.
  #docCount = 0;
  #docLabel: Int32Array = new Int32Array(16);
  #docLen: Int32Array = new Int32Array(16);
  #dead: Uint8Array = new Uint8Array(16);
  /** Forward index: the distinct terms of doc d are #forward[#forwardStart[d] .. #forwardStart[d + 1]]. */
  #forwardStart: Int32Array = new Int32Array(17);
  #forward: Int32Array = new Int32Array(64);
  /** label -> doc, -1 when the label is not indexed. */
  #labelDoc: Int32Array = new Int32Array(16).fill(-1);
  #live = 0;
  #totalLength = 0;
  #tombstones = 0;

  // Main segment: docs below #mainDocCount, terms below #mainTermCount.
  #mainDocCount = 0;
  #mainTermCount = 0;
  #mainStart: Int32Array = new Int32Array(1);
  #mainDocs: Int32Array = new Int32Array(0);
  #mainTfs: Uint16Array = new Uint16Array(0);
  #mainBlockStart: Int32Array = new Int32Array(1);
  #mainBlockMax: Float64Array = new Float64Array(0);
  /** avgdl when main's block maxima were computed (A0 in the file comment). */
  #mainAvgdl = 1;

  // Buffer segment: docs from #mainDocCount on.
  readonly #buffer = new BufferSegment();

  constructor(options: Bm25IndexOptions = {}) {
    this.text = resolveTextOptions(options.text ?? {});
    this.bm25 = resolveBm25Options(options.bm25 ?? {});
    const compactAt = options.compactAt ?? DEFAULT_COMPACT_AT;
    if (typeof compactAt !== 'number' || !(compactAt > 0 && compactAt <= 1)) {
      throw createError('INVALID_OPTIONS', [`compactAt must be a number above 0 and at most 1, got ${String(compactAt)}`]);
    }
    this.#compactAt = compactAt;
    this.#tokenize = createTokenizer(this.text);
  }

  /** Number of indexed (live) documents. */
  get size(): number {
    return this.#live;
  }

  /** Removed or replaced documents whose postings are still stored (purged by compaction). */
  get tombstones(): number {
    return this.#tombstones;
  }

  /** Distinct terms in the dictionary (including terms only tombstones hold, until compaction). */
  get termCount(): number {
    return this.#terms.length;
  }

  /** Average live document length in terms (avgdl), 0 when empty. */
  get averageLength(): number {
    return this.#live === 0 ? 0 : this.#totalLength / this.#live;
  }

  /** Bytes held in typed arrays (postings, block maxima, per-doc and per-term arrays); the term strings and their Map come on top. */
  get memoryBytes(): number {
    return this.#df.byteLength + this.#scratch.byteLength + this.#docLabel.byteLength + this.#docLen.byteLength +
      this.#dead.byteLength + this.#forwardStart.byteLength + this.#forward.byteLength + this.#labelDoc.byteLength +
      this.#mainStart.byteLength + this.#mainDocs.byteLength + this.#mainTfs.byteLength + this.#mainBlockStart.byteLength +
      this.#mainBlockMax.byteLength + this.#buffer.bytes;
  }

  /** Whether `label` is indexed. */
  has(label: number): boolean {
    return Number.isInteger(label) && label >= 0 && label < this.#labelDoc.length && this.#labelDoc[label]! >= 0;
  }

  /** The collection's tokenizer: the terms `add` would index for `text`. */
  tokenize(text: string): string[] {
    return this.#tokenize(text);
  }

  /**
   * Indexes `text` under `label`, replacing what the label held. Text
   * without terms leaves the label unindexed (as after `remove`).
   */
  add(label: number, text: string): void {
    if (typeof text !== 'string') throw createError('INVALID_ARGUMENT', 'text', 'a string', text);
    this.addTokens(label, this.#tokenize(text));
  }

  /** `add` for text already tokenized (with this index's tokenizer, or terms of your own). */
  addTokens(label: number, tokens: readonly string[]): void {
    checkLabel(label);
    this.#removeDoc(label);
    if (tokens.length === 0) {
      this.#maintain();
      return;
    }
    const touched: number[] = [];
    let scratch = this.#scratch;
    for (const token of tokens) {
      let t = this.#termIds.get(token);
      if (t === undefined) {
        t = this.#terms.length;
        this.#termIds.set(token, t);
        this.#terms.push(token);
        if (t >= this.#df.length) this.#df = growInt32(this.#df, t * 2);
        if (t >= scratch.length) scratch = this.#scratch = growInt32(scratch, t * 2);
      }
      if (scratch[t] === 0) touched.push(t);
      scratch[t]!++;
    }
    const dl = tokens.length;
    const buffer = this.#buffer;
    if (buffer.postings === 0) buffer.avgdl = (this.#totalLength + dl) / (this.#live + 1);
    const { k1, b } = this.bm25;
    const norm = k1 * (1 - b) + (k1 * b * dl) / buffer.avgdl;
    const doc = this.#docCount++;
    this.#reserveDocs(doc + 1, touched.length);
    this.#docLabel[doc] = label;
    this.#docLen[doc] = dl;
    this.#dead[doc] = 0;
    const forwardAt = this.#forwardStart[doc]!;
    this.#forwardStart[doc + 1] = forwardAt + touched.length;
    for (let i = 0; i < touched.length; i++) {
      const t = touched[i]!;
      this.#forward[forwardAt + i] = t;
      this.#df[t]!++;
      const tf = Math.min(scratch[t]!, MAX_TF);
      buffer.push(t, doc, tf, tf / (tf + norm));
      scratch[t] = 0;
    }
    this.#labelDoc = ensureLabel(this.#labelDoc, label);
    this.#labelDoc[label] = doc;
    this.#live++;
    this.#totalLength += dl;
    this.#maintain();
  }

  /** Drops `label` from the index; returns whether it was indexed. */
  remove(label: number): boolean {
    checkLabel(label);
    const removed = this.#removeDoc(label);
    if (removed) this.#maintain();
    return removed;
  }

  /**
   * The k best documents for `queryText`, best first (ties by label), among
   * the labels set in `allowed` (a bitset over labels, see bitset.ts) when
   * given. Query terms no document holds are ignored. A filter allowing
   * few labels is answered by scoring them directly (see DIRECT_COST).
   */
  search(queryText: string, k: number, allowed?: Uint32Array): KeywordHits {
    if (typeof queryText !== 'string') throw createError('INVALID_ARGUMENT', 'query text', 'a string', queryText);
    return this.searchTokens(this.#tokenize(queryText), k, allowed);
  }

  /** `search` for a query already tokenized. */
  searchTokens(tokens: readonly string[], k: number, allowed?: Uint32Array): KeywordHits {
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw createError('INVALID_ARGUMENT', 'k', `an integer from 1 to ${MAX_K}`, k);
    const query = this.#query(tokens);
    if (query.terms.length === 0 || this.#live === 0) return { labels: new Int32Array(0), scores: new Float32Array(0) };
    const { k1, b } = this.bm25;
    const avgdl = this.#totalLength / this.#live;
    const k1mb = k1 * (1 - b);
    const k1bOverAvg = (k1 * b) / avgdl;
    const weights = this.#weights(query);
    const heap = new TopK(k);
    if (allowed !== undefined) {
      // A filter that allows few labels: scoring those directly beats walking the postings.
      let postings = 0;
      for (let i = 0; i < query.terms.length; i++) postings += this.#df[query.terms[i]!]!;
      const count = popcount(allowed);
      if (count * query.terms.length * DIRECT_COST < postings) {
        const labels = labelsOf(allowed, count);
        for (let i = 0; i < labels.length; i++) {
          const label = labels[i]!;
          const doc = label < this.#labelDoc.length ? this.#labelDoc[label]! : -1;
          if (doc < 0) continue;
          const score = this.#scoreDoc(query, weights, doc, k1mb, k1bOverAvg);
          if (score > 0) heap.offer(score, label);
        }
        return heap.sorted();
      }
    }
    const contributions = new Float64Array(query.terms.length);

    const mainDrift = Math.max(1, avgdl / this.#mainAvgdl);
    const buffer = this.#buffer;
    const bufferDrift = Math.max(1, avgdl / buffer.avgdl);
    const main: Cursor[] = [];
    const buffered: Cursor[] = [];
    for (let i = 0; i < query.terms.length; i++) {
      const t = query.terms[i]!;
      const weight = weights[i]!;
      if (t < this.#mainTermCount && this.#mainStart[t + 1]! > this.#mainStart[t]!) {
        main.push(new Cursor(this.#mainDocs, this.#mainTfs, this.#mainStart[t]!, this.#mainStart[t + 1]!, this.#mainBlockMax, this.#mainBlockStart[t]!, weight, weight * mainDrift, i));
      }
      const slot = buffer.slot(t);
      if (slot >= 0) {
        const blockMax = buffer.blocks[slot] ?? Float64Array.of(buffer.max[slot]!);
        const from = buffer.offset[slot]!;
        buffered.push(new Cursor(buffer.docs, buffer.tfs, from, from + buffer.length[slot]!, blockMax, 0, weight, weight * bufferDrift, i));
      }
    }
    // Buffer docs come after main docs, so one heap serves both in doc order.
    this.#searchSegment(main, heap, contributions, k1mb, k1bOverAvg, allowed);
    this.#searchSegment(buffered, heap, contributions, k1mb, k1bOverAvg, allowed);
    return heap.sorted();
  }

  /**
   * BM25 scores of `queryText` for each of `labels` (0 for labels not
   * indexed or holding no query term), bit-identical to `search`'s. Costs
   * O(labels * query terms * log postings): use it to score the other
   * side's candidates in hybrid fusion, or a filter's few candidates.
   */
  score(queryText: string, labels: Int32Array | readonly number[]): Float32Array {
    if (typeof queryText !== 'string') throw createError('INVALID_ARGUMENT', 'query text', 'a string', queryText);
    return this.scoreTokens(this.#tokenize(queryText), labels);
  }

  /** `score` for a query already tokenized. */
  scoreTokens(tokens: readonly string[], labels: Int32Array | readonly number[]): Float32Array {
    const out = new Float32Array(labels.length);
    const query = this.#query(tokens);
    if (query.terms.length === 0 || this.#live === 0) return out;
    const { k1, b } = this.bm25;
    const k1mb = k1 * (1 - b);
    const k1bOverAvg = (k1 * b) / (this.#totalLength / this.#live);
    const weights = this.#weights(query);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      const doc = label >= 0 && label < this.#labelDoc.length ? this.#labelDoc[label]! : -1;
      if (doc >= 0) out[i] = this.#scoreDoc(query, weights, doc, k1mb, k1bOverAvg);
    }
    return out;
  }

  /** One doc's score, summed in query order with the arithmetic of #searchSegment, so the two agree to the bit. */
  #scoreDoc(query: Query, weights: Float64Array, doc: number, k1mb: number, k1bOverAvg: number): number {
    const norm = k1mb + k1bOverAvg * this.#docLen[doc]!;
    let score = 0;
    for (let j = 0; j < query.terms.length; j++) {
      const tf = this.#tf(query.terms[j]!, doc);
      if (tf > 0) score += (weights[j]! * tf) / (tf + norm);
    }
    return score;
  }

  /**
   * Rewrites the postings without tombstones, and the buffer into main, and
   * trims spare capacity. O(postings); purges and merges also run by
   * themselves (see the file comment), without the trimming.
   */
  compact(): void {
    if (this.#tombstones > 0) this.#merge(true);
    else if (this.#buffer.postings > 0) this.#merge(false);
    // Growth leaves up to half of the per-doc arrays unused; an explicit compaction returns it.
    const docs = Math.max(16, this.#docCount);
    if (this.#docLabel.length > docs) {
      this.#docLabel = this.#docLabel.slice(0, docs);
      this.#docLen = this.#docLen.slice(0, docs);
      this.#dead = this.#dead.slice(0, docs);
      this.#forwardStart = this.#forwardStart.slice(0, docs + 1);
    }
    const entries = Math.max(64, this.#forwardStart[this.#docCount]!);
    if (this.#forward.length > entries) this.#forward = this.#forward.slice(0, entries);
  }

  /**
   * A compact binary image (after `compact()`): header, dictionary,
   * postings and per-doc labels and lengths; block maxima and the forward
   * index are rebuilt on load. See `deserialize` for the layout.
   */
  serialize(): Uint8Array {
    this.compact();
    const terms = this.#terms;
    const termText = new TextEncoder().encode(terms.join(''));
    const termLengths = Uint32Array.from(terms, (term) => term.length);
    const docs = this.#docCount;
    const postings = this.#mainDocs.length;
    const header = new TextEncoder().encode(JSON.stringify({
      tokenizer: TOKENIZER_VERSION,
      icu: process.versions.icu ?? null,
      text: this.text,
      terms: terms.length,
      termBytes: termText.byteLength,
      docs,
      postings,
    } satisfies SnapshotHeader));
    const sections: ArrayBufferView[] = [
      termLengths,
      termText,
      this.#mainStart.subarray(0, terms.length + 1),
      this.#mainDocs,
      this.#mainTfs,
      this.#docLabel.subarray(0, docs),
      this.#docLen.subarray(0, docs),
    ];
    let total = align4(12 + header.byteLength);
    for (const section of sections) total += align4(section.byteLength);
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, BM25_FORMAT, true);
    view.setUint32(8, header.byteLength, true);
    out.set(header, 12);
    let at = align4(12 + header.byteLength);
    for (const section of sections) {
      out.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), at);
      at += align4(section.byteLength);
    }
    return out;
  }

  /**
   * Loads `serialize()` output. Layout (little-endian, sections 4-byte
   * aligned): u32 magic, u32 BM25_FORMAT, u32 header length, header JSON
   * (tokenizer version, ICU version, text options, counts), u32 length of
   * each term (UTF-16 units), the terms' UTF-8 text, i32 term starts
   * (terms + 1), i32 posting docs, u16 posting tfs, i32 doc labels, i32 doc
   * lengths. Throws INVALID_ARGUMENT when the bytes are malformed or were
   * made by another tokenizer (version, ICU data or text options): the
   * caller then rebuilds from its documents. `options.bm25` may differ.
   */
  static deserialize(bytes: Uint8Array, options: Bm25IndexOptions = {}): Bm25Index {
    const index = new Bm25Index(options);
    const fail = (problem: string): never => {
      throw createError('INVALID_ARGUMENT', 'keyword index snapshot', `format ${BM25_FORMAT} made with the same tokenizer`, problem);
    };
    if (!(bytes instanceof Uint8Array) || bytes.byteLength < 12) fail('too short');
    if (!LITTLE_ENDIAN) fail('a big-endian host');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, true) !== MAGIC) fail('bad magic number');
    const format = view.getUint32(4, true);
    if (format !== BM25_FORMAT) fail(`format ${format}`);
    const headerLength = view.getUint32(8, true);
    if (12 + headerLength > bytes.byteLength) fail('a truncated header');
    let header: SnapshotHeader;
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as SnapshotHeader;
    } catch {
      return fail('an unreadable header');
    }
    if (typeof header !== 'object' || header === null) fail('an unreadable header');
    if (header.tokenizer !== TOKENIZER_VERSION) fail(`tokenizer version ${String(header.tokenizer)}`);
    if (header.icu !== (process.versions.icu ?? null)) fail(`ICU ${String(header.icu)} (this runtime has ${String(process.versions.icu)})`);
    if (typeof header.text !== 'object' || header.text === null || !sameTextOptions(header.text, index.text)) fail(`text options ${JSON.stringify(header.text)}`);
    const { terms, termBytes, docs, postings } = header;
    for (const count of [terms, termBytes, docs, postings]) {
      if (!Number.isInteger(count) || count < 0 || count > 2 ** 31 - 1) fail('bad counts');
    }
    let at = align4(12 + headerLength);
    const take = (byteLength: number): Uint8Array => {
      if (at + byteLength > bytes.byteLength) fail('truncated sections');
      const copy = bytes.slice(at, at + byteLength);
      at += align4(byteLength);
      return copy;
    };
    const termLengths = new Uint32Array(take(terms * 4).buffer);
    const termText = new TextDecoder().decode(take(termBytes));
    const start = new Int32Array(take((terms + 1) * 4).buffer);
    const postingDocs = new Int32Array(take(postings * 4).buffer);
    const postingTfs = new Uint16Array(take(postings * 2).buffer, 0, postings);
    const docLabel = new Int32Array(take(docs * 4).buffer);
    const docLen = new Int32Array(take(docs * 4).buffer);
    if (at !== bytes.byteLength) fail('trailing bytes');
    index.#load(termLengths, termText, start, postingDocs, postingTfs, docLabel, docLen, fail);
    return index;
  }

  #load(
    termLengths: Uint32Array, termText: string, start: Int32Array, postingDocs: Int32Array, postingTfs: Uint16Array,
    docLabel: Int32Array, docLen: Int32Array, fail: (problem: string) => never,
  ): void {
    const terms = termLengths.length;
    const docs = docLabel.length;
    const postings = postingDocs.length;
    // Dictionary.
    let offset = 0;
    for (let t = 0; t < terms; t++) {
      const term = termText.slice(offset, (offset += termLengths[t]!));
      if (this.#termIds.has(term)) fail(`a repeated term ${JSON.stringify(term)}`);
      this.#termIds.set(term, t);
      this.#terms.push(term);
    }
    if (offset !== termText.length) fail('term lengths that do not match the term text');
    // Documents.
    this.#docCount = docs;
    this.#reserveDocs(docs, 0);
    this.#docLabel.set(docLabel);
    this.#docLen.set(docLen);
    for (let d = 0; d < docs; d++) {
      const label = docLabel[d]!;
      const length = docLen[d]!;
      if (label < 0 || length < 1) fail(`doc ${d} with label ${label} and length ${length}`);
      this.#labelDoc = ensureLabel(this.#labelDoc, label);
      if (this.#labelDoc[label]! >= 0) fail(`label ${label} on two docs`);
      this.#labelDoc[label] = d;
      this.#totalLength += length;
    }
    this.#live = docs;
    // Postings: checked, counted per doc for the forward index.
    if (start[0] !== 0 || start[terms] !== postings) fail('term starts that do not span the postings');
    this.#df = new Int32Array(Math.max(16, terms));
    this.#scratch = new Int32Array(Math.max(16, terms));
    const perDoc = new Int32Array(docs + 1);
    for (let t = 0; t < terms; t++) {
      const from = start[t]!;
      const to = start[t + 1]!;
      if (to <= from || to > postings) fail(`term ${t} with postings ${from}..${to}`);
      this.#df[t] = to - from;
      let previous = -1;
      for (let p = from; p < to; p++) {
        const d = postingDocs[p]!;
        if (d <= previous || d >= docs || postingTfs[p] === 0) fail(`term ${t} with a bad posting at ${p}`);
        previous = d;
        perDoc[d + 1]!++;
      }
    }
    for (let d = 0; d < docs; d++) {
      if (perDoc[d + 1] === 0) fail(`doc ${d} without terms`);
      perDoc[d + 1]! += perDoc[d]!;
    }
    this.#forwardStart = perDoc;
    this.#forward = new Int32Array(Math.max(64, postings));
    const fill = perDoc.slice(0, docs);
    for (let t = 0; t < terms; t++) {
      for (let p = start[t]!; p < start[t + 1]!; p++) this.#forward[fill[postingDocs[p]!]!++] = t;
    }
    // Main segment with fresh block maxima.
    this.#mainDocCount = docs;
    this.#mainTermCount = terms;
    this.#mainStart = start;
    this.#mainDocs = postingDocs;
    this.#mainTfs = postingTfs;
    this.#buildBlocks();
  }

  /** Block starts and maxima of the whole main segment. */
  #buildBlocks(): void {
    const terms = this.#mainTermCount;
    const start = this.#mainStart;
    const blockStart = new Int32Array(terms + 1);
    for (let t = 0; t < terms; t++) blockStart[t + 1] = blockStart[t]! + ((start[t + 1]! - start[t]! + BLOCK - 1) >>> BLOCK_SHIFT);
    this.#mainBlockStart = blockStart;
    this.#mainBlockMax = new Float64Array(blockStart[terms]!);
    this.#mainAvgdl = this.#live === 0 ? 1 : this.#totalLength / this.#live;
    for (let t = 0; t < terms; t++) this.#fillBlocks(start[t]!, start[t + 1]!, blockStart[t]!);
  }

  /** Computes the block maxima of the main postings `from..to`, whose first block is `blockBase`, at A0 = #mainAvgdl. */
  #fillBlocks(from: number, to: number, blockBase: number): void {
    const docs = this.#mainDocs;
    const tfs = this.#mainTfs;
    const docLen = this.#docLen;
    const blockMax = this.#mainBlockMax;
    const { k1, b } = this.bm25;
    const k1mb = k1 * (1 - b);
    const k1bOverAvg = (k1 * b) / this.#mainAvgdl;
    for (let p = from, block = blockBase; p < to; p += BLOCK, block++) {
      const end = Math.min(p + BLOCK, to);
      let max = 0;
      for (let q = p; q < end; q++) {
        const tf = tfs[q]!;
        const g = tf / (tf + k1mb + k1bOverAvg * docLen[docs[q]!]!);
        if (g > max) max = g;
      }
      blockMax[block] = max;
    }
  }

  /** Distinct known terms of `tokens` in first-occurrence order, with their counts. */
  #query(tokens: readonly string[]): Query {
    const positions = new Map<number, number>();
    const terms: number[] = [];
    const counts: number[] = [];
    for (const token of tokens) {
      const t = this.#termIds.get(token);
      if (t === undefined || this.#df[t] === 0) continue;
      const at = positions.get(t);
      if (at !== undefined) {
        counts[at]!++;
      } else if (terms.length < MAX_QUERY_TERMS) {
        positions.set(t, terms.length);
        terms.push(t);
        counts.push(1);
      }
    }
    return { terms: Int32Array.from(terms), counts: Int32Array.from(counts) };
  }

  /** qtf * idf * (k1 + 1) per query term, with Lucene's idf over live docs. */
  #weights(query: Query): Float64Array {
    const n = this.#live;
    const k1 = this.bm25.k1;
    return Float64Array.from(query.terms, (t, i) => {
      const df = this.#df[t]!;
      return query.counts[i]! * Math.log(1 + (n - df + 0.5) / (df + 0.5)) * (k1 + 1);
    });
  }

  /** tf of term `t` in `doc`, 0 when absent: binary search in the doc's segment. */
  #tf(t: number, doc: number): number {
    if (doc >= this.#mainDocCount) return this.#buffer.tf(t, doc);
    if (t >= this.#mainTermCount) return 0;
    const end = this.#mainStart[t + 1]!;
    const at = lowerBound(this.#mainDocs, this.#mainStart[t]!, end, doc);
    return at < end && this.#mainDocs[at] === doc ? this.#mainTfs[at]! : 0;
  }

  /** Block-max MaxScore over one segment's cursors (see the file comment), feeding `heap`. */
  #searchSegment(cursors: Cursor[], heap: TopK, contributions: Float64Array, k1mb: number, k1bOverAvg: number, allowed: Uint32Array | undefined): void {
    const m0 = cursors.length;
    if (m0 === 0) return;
    const dead = this.#dead;
    const docLabel = this.#docLabel;
    const docLen = this.#docLen;
    const prefix = new Float64Array(m0 + 1);
    const active = cursors.slice();
    const allowedWords = allowed === undefined ? 0 : allowed.length;
    let windowStart = 0;
    for (;;) {
      // Move every cursor to the block holding windowStart; the window ends where the first of those blocks ends.
      let windowEnd = NO_DOC;
      let m = 0;
      for (let i = 0; i < active.length; i++) {
        const c = active[i]!;
        const docs = c.docs;
        let blockFirst = c.start + (c.block << BLOCK_SHIFT);
        let last = docs[Math.min(blockFirst + BLOCK, c.end) - 1]!;
        while (last < windowStart) {
          c.block++;
          blockFirst += BLOCK;
          if (blockFirst >= c.end) break;
          last = docs[Math.min(blockFirst + BLOCK, c.end) - 1]!;
        }
        if (blockFirst >= c.end) continue;
        if (c.pos < blockFirst) c.pos = blockFirst;
        if (last < windowEnd) windowEnd = last;
        c.bound = c.boundWeight * c.blockMax[c.blockBase + c.block]!;
        // Insertion sort by bound, ascending.
        let j = m++;
        while (j > 0 && active[j - 1]!.bound > c.bound) {
          active[j] = active[j - 1]!;
          j--;
        }
        active[j] = c;
      }
      active.length = m;
      if (m === 0) return;
      for (let i = 0; i < m; i++) prefix[i + 1] = prefix[i]! + active[i]!.bound;
      let limit = heap.limit;
      if (prefix[m]! < limit) {
        windowStart = windowEnd + 1;
        continue;
      }
      // active[0..e) are non-essential: together they cannot reach the limit.
      let e = 0;
      while (e < m && prefix[e + 1]! < limit) e++;
      // The essential cursors' blocks may start before the window: skip what lies before it.
      for (let i = e; i < m; i++) advance(active[i]!, windowStart);
      for (;;) {
        let d = NO_DOC;
        for (let i = e; i < m; i++) {
          const c = active[i]!;
          if (c.pos < c.end) {
            const x = c.docs[c.pos]!;
            if (x < d) d = x;
          }
        }
        if (d > windowEnd) break;
        let ok = dead[d] === 0;
        const label = docLabel[d]!;
        if (ok && allowed !== undefined) ok = label >>> 5 < allowedWords && ((allowed[label >>> 5]! >>> (label & 31)) & 1) === 1;
        const norm = k1mb + k1bOverAvg * docLen[d]!;
        let partial = 0;
        for (let i = e; i < m; i++) {
          const c = active[i]!;
          if (c.pos < c.end && c.docs[c.pos] === d) {
            if (ok) {
              const tf = c.tfs[c.pos]!;
              const s = (c.weight * tf) / (tf + norm);
              contributions[c.term] = s;
              partial += s;
            }
            c.pos++;
          }
        }
        if (!ok) continue;
        let i = e - 1;
        for (; i >= 0; i--) {
          if (partial + prefix[i + 1]! < limit) break;
          const c = active[i]!;
          advance(c, d);
          if (c.pos < c.end && c.docs[c.pos] === d) {
            const tf = c.tfs[c.pos]!;
            const s = (c.weight * tf) / (tf + norm);
            contributions[c.term] = s;
            partial += s;
          }
        }
        if (i >= 0) {
          for (let j = 0; j < m; j++) contributions[active[j]!.term] = 0;
          continue;
        }
        let score = 0;
        for (let j = 0; j < contributions.length; j++) {
          score += contributions[j]!;
          contributions[j] = 0;
        }
        if (heap.offer(score, label)) {
          limit = heap.limit;
          while (e < m && prefix[e + 1]! < limit) e++;
        }
      }
      windowStart = windowEnd + 1;
    }
  }

  /** Marks the label's doc dead and takes it out of the statistics. */
  #removeDoc(label: number): boolean {
    if (label >= this.#labelDoc.length) return false;
    const doc = this.#labelDoc[label]!;
    if (doc < 0) return false;
    this.#labelDoc[label] = -1;
    this.#dead[doc] = 1;
    for (let i = this.#forwardStart[doc]!; i < this.#forwardStart[doc + 1]!; i++) this.#df[this.#forward[i]!]!--;
    this.#live--;
    this.#totalLength -= this.#docLen[doc]!;
    this.#tombstones++;
    return true;
  }

  /** Purges tombstones past the threshold; merges a full buffer. */
  #maintain(): void {
    if (this.#tombstones >= MIN_COMPACT_TOMBSTONES && this.#tombstones > this.#compactAt * this.#docCount) {
      this.#merge(true);
    } else if (this.#buffer.postings >= Math.max(MIN_BUFFER_POSTINGS, this.#mainDocs.length >>> 2)) {
      this.#merge(false);
    }
  }

  /**
   * Main + buffer -> new main. Without `purge`, term ids and docs keep
   * their numbers and each term's postings are two block copies. With it,
   * dead docs and terms without live docs go, and both are renumbered.
   */
  #merge(purge: boolean): void {
    const oldTerms = this.#terms.length;
    const oldDocs = this.#docCount;
    let docMap: Int32Array | undefined;
    let termMap: Int32Array | undefined;
    let docs = oldDocs;
    let terms = oldTerms;
    if (purge) {
      docMap = new Int32Array(oldDocs);
      docs = 0;
      for (let d = 0; d < oldDocs; d++) docMap[d] = this.#dead[d] ? -1 : docs++;
      termMap = new Int32Array(oldTerms);
      terms = 0;
      for (let t = 0; t < oldTerms; t++) termMap[t] = this.#df[t]! > 0 ? terms++ : -1;
      this.#renumberDocs(docMap, termMap, docs);
    }
    const oldStart = this.#mainStart;
    const oldPostingDocs = this.#mainDocs;
    const oldTfs = this.#mainTfs;
    const oldMainTerms = this.#mainTermCount;
    const mainLength = (t: number) => (t < oldMainTerms ? oldStart[t + 1]! - oldStart[t]! : 0);
    const buffer = this.#buffer;

    const start = new Int32Array(terms + 1);
    const blockStart = new Int32Array(terms + 1);
    for (let t = 0; t < oldTerms; t++) {
      const nt = termMap === undefined ? t : termMap[t]!;
      if (nt < 0) continue;
      const slot = buffer.slot(t);
      const size = purge ? this.#df[t]! : mainLength(t) + (slot < 0 ? 0 : buffer.length[slot]!);
      start[nt + 1] = size;
      blockStart[nt + 1] = (size + BLOCK - 1) >>> BLOCK_SHIFT;
    }
    for (let t = 0; t < terms; t++) {
      start[t + 1]! += start[t]!;
      blockStart[t + 1]! += blockStart[t]!;
    }
    const postingDocs = new Int32Array(start[terms]!);
    const tfs = new Uint16Array(start[terms]!);
    this.#mainBlockMax = new Float64Array(blockStart[terms]!);
    this.#mainAvgdl = this.#live === 0 ? 1 : this.#totalLength / this.#live;
    this.#mainDocs = postingDocs;
    this.#mainTfs = tfs;
    for (let t = 0; t < oldTerms; t++) {
      const nt = termMap === undefined ? t : termMap[t]!;
      if (nt < 0) continue;
      const at = start[nt]!;
      const from = t < oldMainTerms ? oldStart[t]! : 0;
      const to = from + mainLength(t);
      const slot = buffer.slot(t);
      const bufferFrom = slot < 0 ? 0 : buffer.offset[slot]!;
      const bufferTo = slot < 0 ? 0 : bufferFrom + buffer.length[slot]!;
      if (docMap === undefined) {
        postingDocs.set(oldPostingDocs.subarray(from, to), at);
        tfs.set(oldTfs.subarray(from, to), at);
        postingDocs.set(buffer.docs.subarray(bufferFrom, bufferTo), at + to - from);
        tfs.set(buffer.tfs.subarray(bufferFrom, bufferTo), at + to - from);
        this.#fillBlocks(at, start[nt + 1]!, blockStart[nt]!);
      } else {
        let w = at;
        for (let p = from; p < to; p++) {
          const d = docMap[oldPostingDocs[p]!]!;
          if (d < 0) continue;
          postingDocs[w] = d;
          tfs[w++] = oldTfs[p]!;
        }
        for (let p = bufferFrom; p < bufferTo; p++) {
          const d = docMap[buffer.docs[p]!]!;
          if (d < 0) continue;
          postingDocs[w] = d;
          tfs[w++] = buffer.tfs[p]!;
        }
        this.#fillBlocks(at, w, blockStart[nt]!);
      }
    }
    this.#mainStart = start;
    this.#mainBlockStart = blockStart;
    this.#mainDocCount = docs;
    this.#mainTermCount = terms;
    buffer.clear(terms);
    if (termMap !== undefined) {
      const df = new Int32Array(Math.max(16, terms));
      const kept: string[] = [];
      for (let t = 0; t < oldTerms; t++) {
        if (termMap[t]! < 0) continue;
        df[termMap[t]!] = this.#df[t]!;
        kept.push(this.#terms[t]!);
      }
      this.#df = df;
      this.#terms = kept;
      this.#termIds = new Map(kept.map((term, t) => [term, t]));
      this.#scratch = new Int32Array(Math.max(16, terms));
    }
  }

  /** The per-doc arrays and the forward index without dead docs, in the new numbering. */
  #renumberDocs(docMap: Int32Array, termMap: Int32Array, docs: number): void {
    const oldDocs = this.#docCount;
    const docLabel = new Int32Array(Math.max(16, docs));
    const docLen = new Int32Array(Math.max(16, docs));
    const forwardStart = new Int32Array(Math.max(16, docs) + 1);
    let entries = 0;
    for (let d = 0; d < oldDocs; d++) if (docMap[d]! >= 0) entries += this.#forwardStart[d + 1]! - this.#forwardStart[d]!;
    const forward = new Int32Array(Math.max(64, entries));
    let w = 0;
    for (let d = 0; d < oldDocs; d++) {
      const nd = docMap[d]!;
      if (nd < 0) continue;
      const label = this.#docLabel[d]!;
      docLabel[nd] = label;
      docLen[nd] = this.#docLen[d]!;
      this.#labelDoc[label] = nd;
      for (let i = this.#forwardStart[d]!; i < this.#forwardStart[d + 1]!; i++) forward[w++] = termMap[this.#forward[i]!]!;
      forwardStart[nd + 1] = w;
    }
    this.#docLabel = docLabel;
    this.#docLen = docLen;
    this.#dead = new Uint8Array(Math.max(16, docs));
    this.#forwardStart = forwardStart;
    this.#forward = forward;
    this.#docCount = docs;
    this.#tombstones = 0;
  }

  /** Room for `docs` docs and `terms` more forward entries. */
  #reserveDocs(docs: number, terms: number): void {
    if (docs === 0) return;
    if (docs > this.#docLabel.length) {
      const size = Math.max(docs, this.#docLabel.length * 2);
      this.#docLabel = growInt32(this.#docLabel, size);
      this.#docLen = growInt32(this.#docLen, size);
      this.#dead = growUint8(this.#dead, size);
    }
    if (docs + 1 > this.#forwardStart.length) this.#forwardStart = growInt32(this.#forwardStart, Math.max(docs + 1, this.#forwardStart.length * 2));
    const need = this.#forwardStart[docs - 1]! + terms;
    // The forward index is the largest per-doc array: it grows by half, not double.
    if (need > this.#forward.length) this.#forward = growInt32(this.#forward, Math.max(need, Math.ceil(this.#forward.length * 1.5)));
  }
}

interface SnapshotHeader {
  tokenizer: number;
  icu: string | null;
  text: ResolvedTextOptions;
  terms: number;
  termBytes: number;
  docs: number;
  postings: number;
}

/** First position in `docs[from..to)` (ascending) holding a doc >= `doc`; `to` when none. */
function lowerBound(docs: Int32Array, from: number, to: number, doc: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid]! < doc) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Moves `c.pos` to the first posting at or after `doc` (galloping, then binary search). */
function advance(c: Cursor, doc: number): void {
  const docs = c.docs;
  let lo = c.pos;
  const end = c.end;
  if (lo >= end || docs[lo]! >= doc) return;
  let step = 1;
  let hi = lo + 1;
  while (hi < end && docs[hi]! < doc) {
    lo = hi;
    step <<= 1;
    hi = lo + step;
  }
  if (hi > end) hi = end;
  // docs[lo] < doc; the answer is in (lo, hi].
  lo++;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid]! < doc) lo = mid + 1;
    else hi = mid;
  }
  c.pos = lo;
}

function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
    throw createError('INVALID_ARGUMENT', 'label', `an integer from 0 to ${MAX_LABEL}`, label);
  }
}

function ensureLabel(labelDoc: Int32Array, label: number): Int32Array {
  if (label < labelDoc.length) return labelDoc;
  const out = new Int32Array(Math.max(label + 1, labelDoc.length * 2)).fill(-1);
  out.set(labelDoc);
  return out;
}

function growInt32(array: Int32Array, size: number): Int32Array {
  const out = new Int32Array(Math.max(size, 4));
  out.set(array);
  return out;
}

function growUint16(array: Uint16Array, size: number): Uint16Array {
  const out = new Uint16Array(Math.max(size, 4));
  out.set(array);
  return out;
}

function growUint8(array: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(Math.max(size, 4));
  out.set(array);
  return out;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
