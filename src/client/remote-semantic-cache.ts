/**
 * The semantic cache (src/semantic-cache) through a server's cache routes,
 * with the library's method names: lookups run on the server, so its
 * /metrics counts them (hits, misses, savings), and a question may be text
 * the collection's embedder embeds there.
 */
import type { CacheHit, CacheQuery, CacheStats } from '../semantic-cache/semantic-cache.js';
import type { Metadata } from '../core/validate.js';
import type { Transport } from './transport.js';
import { encodeVector } from './vectors.js';

export interface RemoteSemanticCacheOptions {
  /** Lookups hit at this similarity or above (default: the server's, 0.95). */
  threshold?: number;
  /** Each stored entry's life in ms (default: the server's, a day); 0 keeps it until evicted. */
  ttlMs?: number;
  /** `evict` removes the oldest past this many entries (default: no limit). */
  maxEntries?: number;
}

export class RemoteSemanticCache {
  readonly name: string;
  readonly #transport: Transport;
  readonly #options: RemoteSemanticCacheOptions;
  #lookups = 0;
  #hits = 0;
  #saved = 0;

  /** @internal Use `client.semanticCache(name)`. */
  constructor(transport: Transport, name: string, options: RemoteSemanticCacheOptions = {}) {
    this.#transport = transport;
    this.name = name;
    this.#options = options;
  }

  async lookup(query: CacheQuery, filter: Record<string, unknown> = {}): Promise<CacheHit | null> {
    const body = { ...question(query), filter, ...(this.#options.threshold === undefined ? {} : { threshold: this.#options.threshold }) };
    const { hit } = (await this.#transport.send('cacheLookup', this.name, body)).json as { hit: CacheHit | null };
    this.#lookups++;
    if (hit !== null) {
      this.#hits++;
      if (typeof hit.metadata.savings === 'number') this.#saved += hit.metadata.savings;
    }
    return hit;
  }

  async store(query: CacheQuery, answer: string, metadata: Metadata = {}): Promise<string> {
    const body = { ...question(query), answer, metadata, ...(this.#options.ttlMs === undefined ? {} : { ttlMs: this.#options.ttlMs }) };
    return ((await this.#transport.send('cacheStore', this.name, body)).json as { id: string }).id;
  }

  async evict(): Promise<{ expired: number; overflow: number }> {
    const body = this.#options.maxEntries === undefined ? {} : { maxEntries: this.#options.maxEntries };
    return (await this.#transport.send('cacheEvict', this.name, body)).json as { expired: number; overflow: number };
  }

  /** This client's own lookups; the server's /metrics counts every client's. */
  stats(): CacheStats {
    return { lookups: this.#lookups, hits: this.#hits, misses: this.#lookups - this.#hits, hitRate: this.#lookups === 0 ? 0 : this.#hits / this.#lookups, saved: this.#saved };
  }
}

function question(query: CacheQuery): { vector: unknown } | { text: string } {
  return query !== null && typeof query === 'object' && 'text' in query ? { text: query.text } : { vector: encodeVector(query) };
}
