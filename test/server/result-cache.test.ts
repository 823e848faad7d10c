/**
 * ResultCache aliases: a request's exact bytes find the reply stored for
 * them, on one version of one collection, and never outlive their entry.
 */
import { describe, expect, it } from 'vitest';
import { ResultCache } from '../../src/server/cache/result-cache.js';

const UID = 'c0ffee';
const bytes = (text: string) => Buffer.from(text);

function cacheWith(key: string, options: Partial<ConstructorParameters<typeof ResultCache>[0]> = {}): ResultCache {
  const cache = new ResultCache({ maxEntries: 100, maxBytes: 1 << 20, ttlMs: 60_000, ...options });
  void cache.set(key, '{"hits":[]}');
  return cache;
}

describe('ResultCache aliases', () => {
  const request = '{"vector":"AACAPwAAAEA=","k":10}';

  it('answers exactly the aliased bytes, on the same collection and version, and counts a hit', () => {
    const cache = cacheWith('entry');
    cache.alias(UID, 3, bytes(request), 'entry', bytes('reply'));
    expect(cache.getByAlias(UID, 3, bytes(request))?.toString()).toBe('reply');
    expect(cache.stats.hits).toBe(1);
    // One byte changed (same length), another version, another collection, a prefix: all misses.
    expect(cache.getByAlias(UID, 3, bytes(request.replace('10', '11')))).toBeUndefined();
    expect(cache.getByAlias(UID, 4, bytes(request))).toBeUndefined();
    expect(cache.getByAlias('c0ffef', 3, bytes(request))).toBeUndefined();
    expect(cache.getByAlias(UID, 3, bytes(request.slice(0, -1)))).toBeUndefined();
    expect(cache.stats.hits).toBe(1);
  });

  it('finds bytes at any offset and of any length, not only whole words', () => {
    const cache = cacheWith('entry');
    for (let length = 0; length < 12; length++) {
      const text = 'abcdefghijkl'.slice(0, length);
      cache.alias(UID, 1, bytes(text), 'entry', bytes(`reply ${length}`));
    }
    for (let length = 0; length < 12; length++) {
      // The same bytes inside a larger buffer, at an odd offset.
      const shifted = Buffer.from(`x${'abcdefghijkl'.slice(0, length)}yy`).subarray(1, 1 + length);
      expect(cache.getByAlias(UID, 1, shifted)?.toString()).toBe(`reply ${length}`);
    }
  });

  it('keeps its own copy of the request bytes', () => {
    const cache = cacheWith('entry');
    const sent = bytes(request);
    cache.alias(UID, 1, sent, 'entry', bytes('reply'));
    sent.fill(0x20);
    expect(cache.getByAlias(UID, 1, bytes(request))?.toString()).toBe('reply');
  });

  it('never outlives its entry: not after the entry is evicted, not when the entry is missing', () => {
    const cache = cacheWith('entry', { maxEntries: 1 });
    cache.alias(UID, 1, bytes(request), 'entry', bytes('reply'));
    cache.alias(UID, 1, bytes('other'), 'no such entry', bytes('reply'));
    expect(cache.getByAlias(UID, 1, bytes('other'))).toBeUndefined();
    void cache.set('newer', '{"hits":[]}');
    expect(cache.getByAlias(UID, 1, bytes(request))).toBeUndefined();
  });

  it('expires with its entry', async () => {
    const cache = cacheWith('entry', { ttlMs: 40 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    cache.alias(UID, 1, bytes(request), 'entry', bytes('reply'));
    expect(cache.getByAlias(UID, 1, bytes(request))?.toString()).toBe('reply');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(cache.getByAlias(UID, 1, bytes(request))).toBeUndefined();
  });

  it('clear drops aliases too', () => {
    const cache = cacheWith('entry');
    cache.alias(UID, 1, bytes(request), 'entry', bytes('reply'));
    cache.clear();
    void cache.set('entry', '{"hits":[]}');
    expect(cache.getByAlias(UID, 1, bytes(request))).toBeUndefined();
  });
});
