/**
 * client.semanticCache(name): the library's semantic cache calls through
 * the server's cache routes, so the server's /metrics counts the client's
 * lookups; questions as vectors (sent as float32) or as text the
 * collection's embedder embeds on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuiverClient } from '../../src/client/index.js';
import { openDatabase } from '../../src/index.js';
import { letterEmbedder } from '../fixtures/letter-embeddings.js';
import { silent, startServer, type LiveServer } from './helpers.js';

let server: LiveServer;
let url: string;

beforeAll(async () => {
  server = await startServer({}, await openDatabase({ workers: 0, logger: silent, embedders: { letters: letterEmbedder(8) } }));
  url = server.url;
});

afterAll(async () => {
  await server.close();
});

describe('client.semanticCache', () => {
  it('stores and looks up through the server, which counts the lookups in /metrics', async () => {
    const client = new QuiverClient({ url });
    await client.createCollection('answers', { dimension: 2 });
    const cache = client.semanticCache('answers', { threshold: 0.9, ttlMs: 0, maxEntries: 1 });
    const id = await cache.store(Float32Array.from([1, 0]), 'forty-two', { model: 'm', savings: 30 });
    expect(await cache.lookup([0.99, 0.05], { model: 'm' })).toMatchObject({ id, answer: 'forty-two', metadata: { model: 'm', savings: 30 } });
    expect(await cache.lookup([0, 1])).toBeNull();
    expect(cache.stats()).toEqual({ lookups: 2, hits: 1, misses: 1, hitRate: 0.5, saved: 30 });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/quiver_semantic_cache_lookups_total\{collection="answers",result="hit"\} 1/);
    expect(metrics).toMatch(/quiver_semantic_cache_saved_total\{collection="answers"\} 30/);
    await cache.store([0, 1], 'newer');
    expect(await cache.evict()).toEqual({ expired: 0, overflow: 1 });
    expect(await cache.lookup([1, 0])).toBeNull();
  });

  it('takes questions as text on a collection with an embedder; fails with the server\'s code without one', async () => {
    const client = new QuiverClient({ url });
    await client.createCollection('texts', { dimension: 8, embedder: { provider: 'local', model: 'letters' } });
    const cache = client.semanticCache('texts');
    await cache.store({ text: 'what is quiver' }, 'a search engine');
    expect((await cache.lookup({ text: 'What is Quiver?' }))?.answer).toBe('a search engine');
    await expect(client.semanticCache('answers').lookup({ text: 'what is quiver' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(client.semanticCache('missing').lookup([1, 0])).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
  });
});
