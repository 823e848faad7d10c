/**
 * The text and metadata of documents recently returned as search hits,
 * kept in memory so that a search's default `include` costs a few map
 * lookups instead of a store read (SQLite answers ten labels in about
 * 25-30 µs, which is a fifth of a graph search at 20,000 x 128).
 *
 * One cache per database, bounded in bytes, least recently used out first.
 * Each collection reads and fills it through its own FieldCacheScope, and
 * forgets a label whenever a write changes or removes it, so an entry is
 * always what the store holds now. Entries are filled by reads only: a
 * bulk import does not push out what searches return.
 */

/** A document's stored text and metadata JSON, as the store returns them. */
export interface StoredFields {
  text: string | null;
  metadata: string | null;
}

export interface FieldCacheStats {
  /** Bytes the cache may hold (estimated: a byte a character, plus each entry's own cost). */
  capacity: number;
  bytes: number;
  entries: number;
  /** Hits' fields found in memory, and read from the store, since the database opened. */
  hits: number;
  misses: number;
}

interface Entry extends StoredFields {
  bytes: number;
}

/** Estimated cost of one entry beside its strings: the map slot, the object and two string headers. */
const ENTRY_OVERHEAD = 96;
/** Labels are below 2^31 (int32), so a scope number times 2^32 plus a label is a unique safe integer. */
const LABEL_SPAN = 2 ** 32;
/** Scopes handed out before the cache starts again from empty, keeping keys below 2^53. */
const MAX_SCOPES = 2 ** 20;

export class FieldCache {
  readonly capacity: number;
  /** Keyed by scope * 2^32 + label; a Map iterates in insertion order, so the first key is the least recently used. */
  readonly #entries = new Map<number, Entry>();
  #bytes = 0;
  #nextScope = 0;
  #hits = 0;
  #misses = 0;

  /** `capacity` in bytes; 0 keeps nothing. */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get stats(): FieldCacheStats {
    return { capacity: this.capacity, bytes: this.#bytes, entries: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }

  /**
   * A collection's own part of the cache. A new scope shares no entry with
   * an earlier one: a collection dropped or reopened leaves its old entries
   * to age out.
   */
  scope(): FieldCacheScope {
    if (this.#nextScope === MAX_SCOPES) {
      this.#entries.clear();
      this.#bytes = 0;
      this.#nextScope = 0;
    }
    return new FieldCacheScope(this, this.#nextScope++ * LABEL_SPAN);
  }

  /** @internal The entry under `key`, now the most recently used. */
  get(key: number): StoredFields | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** @internal */
  set(key: number, fields: StoredFields): void {
    const bytes = ENTRY_OVERHEAD + (fields.text?.length ?? 0) + (fields.metadata?.length ?? 0);
    // One document larger than an eighth of the cache would push out many others for itself.
    if (bytes > this.capacity / 8) return;
    this.delete(key);
    this.#entries.set(key, { text: fields.text, metadata: fields.metadata, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.capacity) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  /** @internal */
  delete(key: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}

/** One collection's entries of a FieldCache, by label. */
export class FieldCacheScope {
  readonly #cache: FieldCache;
  readonly #base: number;

  constructor(cache: FieldCache, base: number) {
    this.#cache = cache;
    this.#base = base;
  }

  get(label: number): StoredFields | undefined {
    return this.#cache.get(this.#base + label);
  }

  set(label: number, fields: StoredFields): void {
    this.#cache.set(this.#base + label, fields);
  }

  /** Call whenever a write changes or removes the document at `label`. */
  forget(label: number): void {
    this.#cache.delete(this.#base + label);
  }
}
