/** The optional shared second cache level in Redis, through ioredis. */
import { Redis } from 'ioredis';
import type { SecondLevelCache } from './result-cache.js';

const PREFIX = 'quiver:cache:';

export class RedisCache implements SecondLevelCache {
  readonly #redis: Redis;

  constructor(url: string) {
    // Fail fast rather than queue commands while Redis is away: a cache miss is cheap.
    this.#redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.#redis.on('error', () => {});
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#redis.get(PREFIX + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#redis.set(PREFIX + key, value, 'PX', ttlMs);
  }

  /** Resolves once connected, or rejects with the connection error. */
  async ready(): Promise<void> {
    if (this.#redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      this.#redis.once('ready', resolve);
      this.#redis.once('error', reject);
    });
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
