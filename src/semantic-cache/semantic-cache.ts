/**
 * A semantic cache of answers (an LLM's, typically) kept in a Quiver
 * collection, found by the similarity of the question's embedding: a lookup
 * hits when the closest live entry (matching the lookup's filter, such as
 * the model or the tenant) scores at least `threshold`. Entries expire
 * after `ttlMs`; `evict` removes the expired and, past `maxEntries`, the
 * oldest. Works over a library Collection or a remote one alike.
 *
 * An entry is a document: its vector the question's embedding, its metadata
 * the caller's plus `answer`, `storedAt` and `expiresAt` (ms since the
 * epoch), so expiry is a filter the metadata index answers.
 */
import { randomUUID } from 'node:crypto';
import type { DocumentInput, SearchHit, SearchRequest, SearchResult } from '../core/api.js';
import { createError } from '../core/errors.js';
import type { Metadata } from '../core/validate.js';

/** Similarity at or above which a lookup hits, as GPTCache and LangChain's semantic caches default. */
export const DEFAULT_CACHE_THRESHOLD = 0.95;
export const DEFAULT_CACHE_TTL_MS = 24 * 60 * 60 * 1000;
/** Fields the cache keeps in each entry's metadata beside the caller's. */
const RESERVED = ['answer', 'storedAt', 'expiresAt'];
/** The cache's entries, apart from any other documents the collection holds. */
const ENTRIES = { answer: { $exists: true } };

/** What the cache needs of a collection: a library Collection, a remote one, or the server's. */
export interface CacheCollection {
  search(request: SearchRequest): Promise<SearchHit[] | SearchResult>;
  upsert(documents: readonly DocumentInput[]): Promise<unknown>;
  deleteWhere(filter: Record<string, unknown>): Promise<{ deleted: number }>;
  countWhere(filter?: Record<string, unknown>): Promise<number>;
}

/** A question: its embedding, or its text for a collection with an embedder (which embeds it). */
export type CacheQuery = Float32Array | readonly number[] | { text: string };

export interface SemanticCacheOptions {
  /** The collection holding the entries: of the embeddings' dimension, `metric: 'cosine'` for similarities in -1..1. */
  collection: CacheCollection;
  /** Lookups hit at this similarity or above (default DEFAULT_CACHE_THRESHOLD). */
  threshold?: number;
  /** An entry's life (default DEFAULT_CACHE_TTL_MS); 0 keeps entries until evicted for room. */
  ttlMs?: number;
  /** Past this many entries, `evict` removes the oldest (default: no limit). */
  maxEntries?: number;
  /** The clock (tests). */
  now?: () => number;
}

export interface CacheHit {
  id: string;
  answer: string;
  /** The caller's metadata, as stored. */
  metadata: Metadata;
  /** The similarity of the stored question to the looked-up one. */
  score: number;
  storedAt: number;
}

export interface CacheStats {
  lookups: number;
  hits: number;
  misses: number;
  /** hits / lookups (0 before any lookup). */
  hitRate: number;
  /** What the hits saved, summed from each hit entry's `savings` metadata (tokens, say), when the caller stores one. */
  saved: number;
}

export class SemanticCache {
  readonly collection: CacheCollection;
  readonly threshold: number;
  readonly ttlMs: number;
  readonly maxEntries: number | undefined;
  readonly #now: () => number;
  #lookups = 0;
  #hits = 0;
  #saved = 0;

  constructor(options: SemanticCacheOptions) {
    const { collection, threshold = DEFAULT_CACHE_THRESHOLD, ttlMs = DEFAULT_CACHE_TTL_MS, maxEntries, now = Date.now } = options ?? ({} as SemanticCacheOptions);
    if (collection === undefined) throw createError('INVALID_ARGUMENT', 'SemanticCache collection', 'a collection', collection);
    if (typeof threshold !== 'number' || !(threshold >= -1 && threshold <= 1)) throw createError('INVALID_ARGUMENT', 'SemanticCache threshold', 'a similarity from -1 to 1', threshold);
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) throw createError('INVALID_ARGUMENT', 'SemanticCache ttlMs', 'a whole number of ms, 0 for no expiry', ttlMs);
    if (maxEntries !== undefined && (!Number.isSafeInteger(maxEntries) || maxEntries < 1)) throw createError('INVALID_ARGUMENT', 'SemanticCache maxEntries', 'a positive integer', maxEntries);
    this.collection = collection;
    this.threshold = threshold;
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.#now = now;
  }

  /** The closest live entry matching `filter` when it scores at least the threshold; null (a miss) otherwise. */
  async lookup(query: CacheQuery, filter: Record<string, unknown> = {}): Promise<CacheHit | null> {
    // Entries alone (a collection may hold other documents), and those not expired.
    const live = { $and: [filter, ENTRIES, { $or: [{ expiresAt: { $gt: this.#now() } }, { expiresAt: { $exists: false } }] }] };
    const question = isText(query) ? { text: query.text, mode: 'semantic' as const } : { vector: query };
    const [best] = (await this.collection.search({ ...question, k: 1, filter: live, include: ['metadata'] })) as SearchHit[];
    this.#lookups++;
    if (best === undefined || best.score < this.threshold) return null;
    this.#hits++;
    const { answer, storedAt, expiresAt: _expiresAt, ...metadata } = (best.metadata ?? {}) as Metadata & { answer: string; storedAt: number };
    if (typeof metadata.savings === 'number') this.#saved += metadata.savings;
    return { id: best.id, answer, metadata, score: best.score, storedAt };
  }

  /** Stores an answer under its question's embedding; returns the entry's id. */
  async store(query: CacheQuery, answer: string, metadata: Metadata = {}): Promise<string> {
    if (typeof answer !== 'string') throw createError('INVALID_ARGUMENT', 'answer', 'a string', answer);
    const reserved = Object.keys(metadata).filter((key) => RESERVED.includes(key));
    if (reserved.length > 0) throw createError('INVALID_ARGUMENT', 'cache entry metadata', `no ${RESERVED.join(', ')} (the cache's own fields)`, reserved.join(', '));
    const storedAt = this.#now();
    const id = randomUUID();
    const own: Metadata = { answer, storedAt, ...(this.ttlMs === 0 ? {} : { expiresAt: storedAt + this.ttlMs }) };
    const question = isText(query) ? { text: query.text } : { vector: query };
    await this.collection.upsert([{ id, ...question, metadata: { ...metadata, ...own } }]);
    return id;
  }

  /**
   * Removes the expired entries and, past `maxEntries`, the oldest: those
   * stored before the time that leaves at most maxEntries (found by
   * counting, without reading entries).
   */
  async evict(): Promise<{ expired: number; overflow: number }> {
    const { deleted: expired } = await this.collection.deleteWhere({ expiresAt: { $lte: this.#now() } });
    let overflow = 0;
    if (this.maxEntries !== undefined) {
      const count = await this.collection.countWhere(ENTRIES);
      if (count > this.maxEntries) {
        // The smallest cutoff t with count(storedAt >= t) <= maxEntries, by bisection on the clock.
        let low = 0;
        let high = this.#now() + 1;
        while (high - low > 1) {
          const middle = Math.floor((low + high) / 2);
          if ((await this.collection.countWhere({ storedAt: { $gte: middle } })) > this.maxEntries) low = middle;
          else high = middle;
        }
        overflow = (await this.collection.deleteWhere({ storedAt: { $lt: high } })).deleted;
      }
    }
    return { expired, overflow };
  }

  stats(): CacheStats {
    return { lookups: this.#lookups, hits: this.#hits, misses: this.#lookups - this.#hits, hitRate: this.#lookups === 0 ? 0 : this.#hits / this.#lookups, saved: this.#saved };
  }
}

/** A question given as text, which the collection's embedder embeds. */
function isText(query: CacheQuery): query is { text: string } {
  return query !== null && typeof query === 'object' && 'text' in query;
}
