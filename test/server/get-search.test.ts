import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COLLECTION, base64, errorOf, expectStatus, makeApp, seed, seedVector, send, type TestApp } from './helpers.js';

describe('GET search', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeApp();
    await seed(t.app);
  });
  afterEach(async () => t.close());

  const url = (params: Record<string, string>) => `/collections/${COLLECTION}/search?${new URLSearchParams(params).toString()}`;

  it('answers like the POST form, then from the cache by URL', async () => {
    const vector = seedVector(3);
    const post = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector, k: 3, include: ['metadata'] }), 200).json();
    const first = expectStatus(await send(t.app, 'GET', url({ vector: base64(vector), k: '3', include: 'metadata' })), 200);
    expect(first.json().hits).toEqual(post.hits);
    expect(first.json().cached).toBe(true); // the POST already cached this request (same canonical key)
    const second = expectStatus(await send(t.app, 'GET', url({ vector: base64(vector), k: '3', include: 'metadata' })), 200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.json().hits).toEqual(post.hits);
  });

  it('filters, and a write makes the cached URL miss and see the write', async () => {
    const vector = seedVector(5);
    const params = { vector: base64(vector), k: '2', filter: JSON.stringify({ i: { $gte: 0 } }) };
    expect(expectStatus(await send(t.app, 'GET', url(params)), 200).json().cached).toBe(false);
    expect(expectStatus(await send(t.app, 'GET', url(params)), 200).json().cached).toBe(true);
    expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/documents`, { documents: [{ id: 'twin', vector, metadata: { i: 99 } }] }), 200);
    const after = expectStatus(await send(t.app, 'GET', url(params)), 200).json();
    expect(after.cached).toBe(false);
    expect(after.hits.map((hit: { id: string }) => hit.id)).toContain('twin');
  });

  it('takes offset, minScore, groupBy and groupSize as the POST form does', async () => {
    const vector = seedVector(4);
    const body = { vector, k: 2, offset: 1, minScore: -1, groupBy: 'group', groupSize: 2, include: ['metadata'] };
    const post = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, body), 200).json();
    expect(post.hits.length).toBeGreaterThan(0);
    const get = expectStatus(await send(t.app, 'GET', url({ vector: base64(vector), k: '2', offset: '1', minScore: '-1', groupBy: 'group', groupSize: '2', include: 'metadata' })), 200);
    expect(get.json().hits).toEqual(post.hits);
    expect(errorOf(expectStatus(await send(t.app, 'GET', url({ vector: base64(vector), minScore: 'high' })), 400)).code).toBe('INVALID_REQUEST');
  });

  it('rejects malformed parameters with their codes', async () => {
    expect(errorOf(await send(t.app, 'GET', url({ vector: base64(seedVector(1)), filter: '{nope' }))).code).toBe('INVALID_FILTER');
    expect(errorOf(await send(t.app, 'GET', url({ vector: base64(seedVector(1)), k: 'ten' }))).code).toBe('INVALID_REQUEST');
    expect(errorOf(await send(t.app, 'GET', url({ k: '3' }))).code).toBe('INVALID_REQUEST');
    expect(errorOf(await send(t.app, 'GET', url({ vector: base64(seedVector(1)), extra: '1' }))).code).toBe('INVALID_REQUEST');
    expect(errorOf(await send(t.app, 'GET', url({ vector: base64([1, 2]) }))).code).toBe('DIMENSION_MISMATCH');
  });
});
