/**
 * Vectors as base64 float32 and the result cache: replies say whether they
 * were cached, every kind of write makes the next identical search a miss
 * that reflects the write, and hits and misses show in /metrics.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COLLECTION, base64, expectStatus, makeApp, metricValue, seed, seedVector, send, type TestApp } from './helpers.js';

let t: TestApp;

beforeEach(async () => {
  t = await makeApp();
  await seed(t.app);
});

afterEach(async () => {
  await t.close();
});

interface SearchReply {
  cached: boolean;
  hits: { id: string; score: number; vector?: number[] }[];
}

async function search(body: Record<string, unknown>, name = COLLECTION, headers: Record<string, string> = {}): Promise<SearchReply & { header: string | undefined; contentType: unknown }> {
  const reply = expectStatus(await send(t.app, 'POST', `/collections/${name}/search`, body, headers), 200);
  const json = reply.json() as SearchReply;
  const header = reply.headers['x-cache'] as string | undefined;
  // The flag and the header always agree.
  expect(header).toBe(json.cached ? 'HIT' : 'MISS');
  return { ...json, header, contentType: reply.headers['content-type'] };
}

async function write(url: string, body: unknown, method: 'POST' | 'DELETE' = 'POST'): Promise<void> {
  const reply = await send(t.app, method, url, body);
  expect(reply.statusCode, reply.body).toBeLessThan(300);
}

describe('base64 vectors', () => {
  it('upsert accepts base64 little-endian float32 and stores exactly those floats', async () => {
    const vector = Float32Array.of(0.1, -2.5, 3.75, 1e-7);
    await write(`/collections/${COLLECTION}/documents`, { documents: [{ id: 'b64', vector: base64(vector) }, { id: 'json', vector: Array.from(vector) }] });
    const b64 = expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/b64`), 200).json() as { vector: number[] };
    const json = expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/json`), 200).json() as { vector: number[] };
    expect(Float32Array.from(b64.vector)).toEqual(vector);
    expect(b64.vector).toEqual(json.vector);
  });

  it('decodes little-endian bytes whatever the alignment of the decoded buffer', async () => {
    // Built by hand, byte by byte, so the test does not depend on the platform's endianness.
    const bytes = Buffer.alloc(16);
    [1.5, -1, 0.25, 8].forEach((x, i) => bytes.writeFloatLE(x, i * 4));
    await write(`/collections/${COLLECTION}/documents`, { documents: [{ id: 'le', vector: bytes.toString('base64') }] });
    const document = expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/le`), 200).json() as { vector: number[] };
    expect(document.vector).toEqual([1.5, -1, 0.25, 8]);
  });

  it('search with a base64 vector finds what the JSON array finds', async () => {
    const query = seedVector(6);
    const fromJson = await search({ vector: query, k: 5, include: ['vector'] });
    t.cache.clear();
    const fromBase64 = await search({ vector: base64(query), k: 5, include: ['vector'] });
    expect(fromBase64.cached).toBe(false);
    expect(fromBase64.hits).toEqual(fromJson.hits);
    expect(fromBase64.hits[0]!.id).toBe('d6');
  });

  it('a JSON array and base64 of the same vector hit the same cache entry', async () => {
    const query = [0.5, -1.25, 2, 3.5];
    const first = await search({ vector: query, k: 3 });
    const second = await search({ vector: base64(query), k: 3 });
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.hits).toEqual(first.hits);
    // And the other way round, on a new query.
    const other = [1, 1, -0.5, 0.125];
    expect((await search({ vector: base64(other), k: 3 })).cached).toBe(false);
    expect((await search({ vector: other, k: 3 })).cached).toBe(true);
  });

  it('field order does not matter to the cache key', async () => {
    await search({ vector: seedVector(2), k: 3, filter: { group: 2, price: { $gte: 1, $lt: 10 } } });
    const reordered = await send(t.app, 'POST', `/collections/${COLLECTION}/search`, `{"filter":{"price":{"$lt":10,"$gte":1},"group":2},"k":3,"vector":${JSON.stringify(seedVector(2))}}`);
    expect(reordered.json().cached).toBe(true);
  });
});

describe('the result cache', () => {
  const query = { vector: seedVector(3), k: 5 };

  it('replies say cached false on a miss and true on a hit, in the field and the x-cache header', async () => {
    const miss = await search(query);
    const hit = await search(query);
    expect([miss.cached, miss.header, hit.cached, hit.header]).toEqual([false, 'MISS', true, 'HIT']);
    expect(hit.hits).toEqual(miss.hits);
    expect(hit.contentType).toBe(miss.contentType);
    // A different request is a different entry.
    expect((await search({ ...query, k: 4 })).cached).toBe(false);
    expect((await search({ ...query, explain: true })).cached).toBe(false);
  });

  it('Cache-Control: no-cache searches afresh, by body and by URL, and stores the fresh result', async () => {
    await search(query);
    expect((await search(query)).cached).toBe(true);
    const fresh: Record<string, string>[] = [{ 'cache-control': 'no-cache' }, { 'cache-control': 'max-age=0, No-Cache' }, { pragma: 'no-cache' }];
    for (const headers of fresh) {
      expect((await search(query, COLLECTION, headers)).cached).toBe(false);
    }
    expect((await search(query)).cached).toBe(true);
    const url = `/collections/${COLLECTION}/search?text=document&k=3`;
    expect((expectStatus(await send(t.app, 'GET', url), 200).json() as SearchReply).cached).toBe(false);
    expect((expectStatus(await send(t.app, 'GET', url), 200).json() as SearchReply).cached).toBe(true);
    expect((expectStatus(await send(t.app, 'GET', url, undefined, { 'cache-control': 'no-cache' }), 200).json() as SearchReply).cached).toBe(false);
    // Other directives do not bypass it.
    expect((await search(query, COLLECTION, { 'cache-control': 'max-age=60' })).cached).toBe(true);
  });

  it('cacheMaxEntries 0 turns the cache off: every search is searched, nothing is kept', async () => {
    const off = await makeApp({ cacheMaxEntries: 0 });
    await seed(off.app);
    for (let i = 0; i < 3; i++) {
      const reply = expectStatus(await send(off.app, 'POST', `/collections/${COLLECTION}/search`, query), 200);
      expect([reply.json().cached, reply.headers['x-cache']]).toEqual([false, 'MISS']);
      const byUrl = expectStatus(await send(off.app, 'GET', `/collections/${COLLECTION}/search?text=document&k=3`), 200);
      expect(byUrl.json().cached).toBe(false);
    }
    expect(off.cache.stats.entries).toBe(0);
    await off.close();
  });

  it('an upsert invalidates: the next identical search misses and sees the new document', async () => {
    await search(query);
    await write(`/collections/${COLLECTION}/documents`, { documents: [{ id: 'closest', vector: seedVector(3) }] });
    const after = await search(query);
    expect(after.cached).toBe(false);
    expect(after.hits.map((h) => h.id)).toContain('closest');
    expect((await search(query)).cached).toBe(true);
  });

  it('a delete by ids invalidates', async () => {
    expect((await search(query)).hits[0]!.id).toBe('d3');
    await write(`/collections/${COLLECTION}/documents/delete`, { ids: ['d3'] });
    const after = await search(query);
    expect(after.cached).toBe(false);
    expect(after.hits.map((h) => h.id)).not.toContain('d3');
  });

  it('a delete by filter invalidates', async () => {
    expect((await search(query)).hits.some((h) => Number(h.id.slice(1)) % 3 === 0)).toBe(true);
    await write(`/collections/${COLLECTION}/documents/delete`, { filter: { group: 0 } });
    const after = await search(query);
    expect(after.cached).toBe(false);
    expect(after.hits.some((h) => Number(h.id.slice(1)) % 3 === 0)).toBe(false);
  });

  it('a delete that deletes nothing writes nothing and keeps the entry', async () => {
    await search(query);
    await write(`/collections/${COLLECTION}/documents/delete`, { ids: ['nope'] });
    expect((await search(query)).cached).toBe(true);
  });

  it('dropping and re-creating a collection of the same name invalidates', async () => {
    // The new collection's version counts from 0 again, so version 1 names different data.
    const before = await search(query);
    expect(before.hits[0]!.id).toBe('d3');
    await write(`/collections/${COLLECTION}`, undefined, 'DELETE');
    await write('/collections', { name: COLLECTION, dimension: 4 });
    await write(`/collections/${COLLECTION}/documents`, { documents: [{ id: 'only', vector: [1, 1, 1, 1] }] });
    expect(t.db.collection(COLLECTION).version).toBe(1);
    const after = await search(query);
    expect(after.cached).toBe(false);
    expect(after.hits.map((h) => h.id)).toEqual(['only']);
    expect((await search(query)).cached).toBe(true);
  });

  it('keyword and hybrid searches are cached too, and a write invalidates them', async () => {
    const keyword = { text: 'document', k: 3 };
    const hybrid = { text: 'document', vector: seedVector(1), k: 3, fusion: 'rrf' };
    expect([(await search(keyword)).cached, (await search(keyword)).cached]).toEqual([false, true]);
    expect([(await search(hybrid)).cached, (await search(hybrid)).cached]).toEqual([false, true]);
    // A different fusion is a different entry.
    expect((await search({ ...hybrid, fusion: 'relativeScore' })).cached).toBe(false);
    await write(`/collections/${COLLECTION}/documents`, { documents: [{ id: 'doc', vector: seedVector(1), text: 'document document document' }] });
    const after = await search(keyword);
    expect(after.cached).toBe(false);
    expect(after.hits[0]!.id).toBe('doc');
    expect((await search(hybrid)).cached).toBe(false);
  });

  it('batch searches share entries with single searches', async () => {
    await search(query);
    const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search/batch`, { searches: [query, { vector: seedVector(8) }] }), 200);
    expect((reply.json() as { results: SearchReply[] }).results.map((r) => r.cached)).toEqual([true, false]);
    expect((await search({ vector: seedVector(8) })).cached).toBe(true);
  });

  it('cache hits and misses appear in /metrics', async () => {
    await search(query);
    await search(query);
    await search(query);
    await search({ vector: base64(query.vector), k: 5 });
    await search({ ...query, k: 2 });
    const text = expectStatus(await send(t.app, 'GET', '/metrics'), 200).body;
    expect(metricValue(text, 'quiver_cache_hits')).toBe(3);
    expect(metricValue(text, 'quiver_cache_misses')).toBe(2);
    expect(metricValue(text, 'quiver_cache_entries')).toBe(2);
    expect(metricValue(text, 'quiver_cache_hit_ratio')).toBeCloseTo(0.6, 10);
    expect(metricValue(text, 'quiver_cache_bytes')).toBeGreaterThan(0);
    expect(t.cache.stats).toMatchObject({ hits: 3, misses: 2 });
  });

  it('evicts by size and counts evictions', async () => {
    const small = await makeApp({ cacheMaxEntries: 2 });
    await seed(small.app);
    for (let i = 0; i < 5; i++) expectStatus(await send(small.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(i) }), 200);
    const text = expectStatus(await send(small.app, 'GET', '/metrics'), 200).body;
    expect(metricValue(text, 'quiver_cache_entries')).toBe(2);
    expect(metricValue(text, 'quiver_cache_evictions')).toBe(3);
    await small.close();
  });

  it('entries expire after the TTL', async () => {
    const short = await makeApp({ cacheTtlMs: 30 });
    await seed(short.app);
    const url = `/collections/${COLLECTION}/search`;
    expect((await send(short.app, 'POST', url, query)).json().cached).toBe(false);
    expect((await send(short.app, 'POST', url, query)).json().cached).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await send(short.app, 'POST', url, query)).json().cached).toBe(false);
    await short.close();
  });
});
