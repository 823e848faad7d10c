/**
 * Search result cache. Keys hold the collection's write version, so any
 * write makes every older entry unreachable without explicit invalidation
 * (qdrant segments track the same number); stale entries simply age out of
 * the LRU. Bounded by entries and by bytes, with a TTL.
 *
 * An optional second level (for example Redis shared by several server
 * processes) is consulted on a local miss and filled on every store.
 */
import { LRUCache } from 'lru-cache';

/** A shared cache behind the in-process LRU. Failures are counted and ignored: the cache never fails a search. */
export interface SecondLevelCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface CacheOptions {
  /** Most entries kept. */
  maxEntries: number;
  /** Most bytes kept (entries are measured as UTF-16 JSON length x 2). */
  maxBytes: number;
  /** Milliseconds an entry lives. */
  ttlMs: number;
  secondLevel?: SecondLevelCache | undefined;
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  secondLevelHits: number;
  secondLevelErrors: number;
  entries: number;
  bytes: number;
}

export class ResultCache {
  readonly #lru: LRUCache<string, string>;
  readonly #aliases: LRUCache<string, string>;
  readonly #secondLevel: SecondLevelCache | undefined;
  readonly #ttlMs: number;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #secondLevelHits = 0;
  #secondLevelErrors = 0;

  constructor(options: CacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#secondLevel = options.secondLevel;
    this.#lru = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => (value.length + key.length) * 2,
      ttl: options.ttlMs,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.#evictions++;
      },
    });
    this.#aliases = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: Math.max(1024, Math.floor(options.maxBytes / 4)),
      sizeCalculation: (value, key) => (value.length + key.length) * 2,
      ttl: options.ttlMs,
    });
  }

  /** The key of a request on one version of one collection (by uid); `request` must already be canonical. */
  static key(collectionUid: string, version: number, kind: string, request: string): string {
    return `${collectionUid}\u0000${version}\u0000${kind}\u0000${request}`;
  }

  /** The cached JSON for `key`, or undefined. */
  async get(key: string): Promise<string | undefined> {
    const local = this.#lru.get(key);
    if (local !== undefined) {
      this.#hits++;
      return local;
    }
    if (this.#secondLevel) {
      try {
        const shared = await this.#secondLevel.get(key);
        if (shared !== undefined) {
          this.#hits++;
          this.#secondLevelHits++;
          this.#lru.set(key, shared);
          return shared;
        }
      } catch {
        this.#secondLevelErrors++;
      }
    }
    this.#misses++;
    return undefined;
  }

  /**
   * A synchronous local lookup through an alias (see `alias`), counted as a
   * hit when found; undefined when the alias or its entry is gone.
   */
  getByAlias(alias: string): string | undefined {
    const key = this.#aliases.get(alias);
    const local = key === undefined ? undefined : this.#lru.get(key);
    if (local !== undefined) this.#hits++;
    return local;
  }

  /**
   * Lets `alias` (for example a request's exact text) find the entry stored
   * under `key` without recomputing the key. Aliases live in their own
   * small LRU (a quarter of the byte budget); they hold no results.
   */
  alias(alias: string, key: string): void {
    this.#aliases.set(alias, key);
  }

  async set(key: string, json: string): Promise<void> {
    this.#lru.set(key, json);
    if (this.#secondLevel) {
      try {
        await this.#secondLevel.set(key, json, this.#ttlMs);
      } catch {
        this.#secondLevelErrors++;
      }
    }
  }

  get stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      secondLevelHits: this.#secondLevelHits,
      secondLevelErrors: this.#secondLevelErrors,
      entries: this.#lru.size,
      bytes: this.#lru.calculatedSize,
    };
  }

  clear(): void {
    this.#lru.clear();
    this.#aliases.clear();
  }

  async close(): Promise<void> {
    await this.#secondLevel?.close();
  }
}

/**
 * JSON with object keys sorted at every level, so equal requests give equal
 * strings whatever order their fields came in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item && typeof item === 'object' && !Array.isArray(item) && !ArrayBuffer.isView(item)) {
      return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    if (item instanceof Float32Array) return Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('base64');
    return item;
  });
}
