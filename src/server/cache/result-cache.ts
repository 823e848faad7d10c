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
  /** Most entries kept; 0 turns the cache off (nothing is kept, every lookup misses). */
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

/** A request's exact bytes standing for a cache entry, with the reply to send for it. */
interface Alias {
  collectionUid: string;
  version: number;
  request: Buffer;
  key: string;
  reply: Buffer;
}

/** Bytes counted for an alias beyond its buffers and key: the object and its Map slot. */
const ALIAS_OVERHEAD_BYTES = 128;

/**
 * The alias table's key: a 53-bit hash of the collection, its version and
 * the request bytes, read four bytes a step. Cheaper than letting V8 hash
 * the request as a string (a cached search's body is about 700 bytes, and
 * hashing it that way cost more than a microsecond, a tenth of the reply).
 * A collision only costs a miss: entries are compared byte for byte.
 */
function aliasHash(collectionUid: string, version: number, bytes: Uint8Array): number {
  let a = Math.imul(version, 0x9e3779b1) ^ bytes.length;
  let b = Math.imul(version ^ 0x5bd1e995, 0x85ebca6b);
  for (let i = 0; i < collectionUid.length; i++) a = Math.imul(a ^ collectionUid.charCodeAt(i), 0x01000193);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = bytes.byteLength >>> 2;
  for (let i = 0; i < words; i++) {
    const word = view.getInt32(i << 2, true);
    a = Math.imul(a ^ word, 0x9e3779b1);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ word, 0xc2b2ae35);
    b = (b << 13) | (b >>> 19);
  }
  for (let i = words << 2; i < bytes.byteLength; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x9e3779b1);
    b = Math.imul(b ^ bytes[i]!, 0xc2b2ae35);
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 16), 0x27d4eb2f);
  b ^= b >>> 15;
  return (a >>> 0) * 0x200000 + (b & 0x1fffff);
}

export class ResultCache {
  /** False when made with maxEntries 0. */
  readonly enabled: boolean;
  readonly #lru: LRUCache<string, string>;
  readonly #aliases: LRUCache<number, Alias>;
  readonly #secondLevel: SecondLevelCache | undefined;
  readonly #ttlMs: number;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #secondLevelHits = 0;
  #secondLevelErrors = 0;

  constructor(options: CacheOptions) {
    this.enabled = options.maxEntries > 0;
    this.#ttlMs = options.ttlMs;
    this.#secondLevel = this.enabled ? options.secondLevel : undefined;
    this.#lru = new LRUCache<string, string>({
      // lru-cache needs a bound of at least 1; a disabled cache never stores (set, alias).
      max: Math.max(1, options.maxEntries),
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => (value.length + key.length) * 2,
      ttl: options.ttlMs,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.#evictions++;
      },
    });
    this.#aliases = new LRUCache<number, Alias>({
      max: Math.max(1, options.maxEntries),
      maxSize: Math.max(1024, Math.floor(options.maxBytes / 4)),
      sizeCalculation: (alias) => alias.request.length + alias.reply.length + alias.key.length * 2 + ALIAS_OVERHEAD_BYTES,
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
   * The reply stored by `alias` for exactly these request bytes on this
   * version of the collection, while the entry it came from lives (the lookup
   * refreshes that entry's recency); counted as a hit. Synchronous and local.
   */
  getByAlias(collectionUid: string, version: number, request: Uint8Array): Buffer | undefined {
    const alias = this.#aliases.get(aliasHash(collectionUid, version, request));
    if (alias === undefined || alias.version !== version || alias.collectionUid !== collectionUid || !alias.request.equals(request)) return undefined;
    if (this.#lru.get(alias.key) === undefined) return undefined;
    this.#hits++;
    return alias.reply;
  }

  /**
   * Lets the exact bytes of a request (a body, a URL) find `reply`, bytes
   * the caller derived from the entry under `key`, without parsing the
   * request or rebuilding its key. The alias lives no longer than the entry;
   * aliases have their own small LRU (a quarter of the byte budget).
   */
  alias(collectionUid: string, version: number, request: Uint8Array, key: string, reply: Buffer): void {
    if (!this.enabled) return;
    const ttl = this.#lru.getRemainingTTL(key);
    if (ttl <= 0) return;
    const alias: Alias = { collectionUid, version, request: Buffer.from(request), key, reply };
    this.#aliases.set(aliasHash(collectionUid, version, request), alias, ttl === Number.POSITIVE_INFINITY ? {} : { ttl: Math.ceil(ttl) });
  }

  async set(key: string, json: string): Promise<void> {
    if (!this.enabled) return;
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
