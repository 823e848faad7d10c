/**
 * The semantic cache over REST: answers stored under a question's vector
 * (or its text, embedded by the collection's embedder) come back for a
 * close enough question and not for another; /metrics counts hits and
 * misses per collection and sums the hits' savings; eviction; bad requests
 * are refused whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { letterEmbedder } from '../fixtures/letter-embeddings.js';
import { errorOf, makeApp, send, silent, type TestApp } from './helpers.js';

let t: TestApp;

beforeAll(async () => {
  const db = await openDatabase({ logger: silent, workers: 0, embedders: { letters: letterEmbedder(8) } });
  t = await makeApp({}, db);
  await send(t.app, 'POST', '/collections', { name: 'answers', dimension: 2 });
  await send(t.app, 'POST', '/collections', { name: 'texts', dimension: 8, embedder: { provider: 'local', model: 'letters' } });
});

afterAll(async () => {
  await t.close();
});

const metric = async (name: string) => {
  const text = (await send(t.app, 'GET', '/metrics')).body;
  return Object.fromEntries(text.split('\n').filter((line) => line.startsWith(name)).map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]));
};

describe('/collections/{name}/cache', () => {
  it('stores and finds answers by vector, with filters; counts hits, misses and savings in /metrics', async () => {
    const stored = await send(t.app, 'POST', '/collections/answers/cache/entries', { vector: [1, 0], answer: 'forty-two', metadata: { model: 'm1', savings: 250 } });
    expect(stored.statusCode).toBe(201);
    const hit = (await send(t.app, 'POST', '/collections/answers/cache/lookup', { vector: [0.99, 0.05], filter: { model: 'm1' } })).json();
    expect(hit.hit).toMatchObject({ id: stored.json().id, answer: 'forty-two', metadata: { model: 'm1', savings: 250 } });
    expect((await send(t.app, 'POST', '/collections/answers/cache/lookup', { vector: [0, 1] })).json()).toEqual({ hit: null });
    expect((await send(t.app, 'POST', '/collections/answers/cache/lookup', { vector: [1, 0], filter: { model: 'm2' } })).json()).toEqual({ hit: null });
    expect((await send(t.app, 'POST', '/collections/answers/cache/lookup', { vector: [0.6, 0.8], threshold: 0.5 })).json().hit).not.toBeNull();
    expect(await metric('quiver_semantic_cache_lookups_total')).toEqual({
      'quiver_semantic_cache_lookups_total{collection="answers",result="hit"}': 2,
      'quiver_semantic_cache_lookups_total{collection="answers",result="miss"}': 2,
    });
    expect(await metric('quiver_semantic_cache_saved_total')).toEqual({ 'quiver_semantic_cache_saved_total{collection="answers"}': 500 });
  });

  it('takes questions as text on a collection with an embedder', async () => {
    expect((await send(t.app, 'POST', '/collections/texts/cache/entries', { text: 'what is quiver', answer: 'a search engine' })).statusCode).toBe(201);
    expect((await send(t.app, 'POST', '/collections/texts/cache/lookup', { text: 'What is Quiver?' })).json().hit).toMatchObject({ answer: 'a search engine' });
    expect((await send(t.app, 'POST', '/collections/texts/cache/lookup', { text: 'zzzz yyyy' })).json()).toEqual({ hit: null });
    // Text needs an embedder.
    expect(errorOf(await send(t.app, 'POST', '/collections/answers/cache/lookup', { text: 'what is quiver' })).code).toBe('INVALID_ARGUMENT');
  });

  it('evicts expired entries and the oldest past maxEntries', async () => {
    await send(t.app, 'POST', '/collections', { name: 'small', dimension: 2 });
    await send(t.app, 'POST', '/collections/small/cache/entries', { vector: [1, 0], answer: 'gone at once', ttlMs: 1 });
    for (let i = 0; i < 3; i++) await send(t.app, 'POST', '/collections/small/cache/entries', { vector: [1, i + 1], answer: `kept ${i}`, ttlMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await send(t.app, 'POST', '/collections/small/cache/evict', { maxEntries: 2 })).json()).toEqual({ expired: 1, overflow: 1 });
    expect((await send(t.app, 'POST', '/collections/small/count', {})).json()).toEqual({ count: 2 });
  });

  it('refuses bad requests whole', async () => {
    const before = (await send(t.app, 'POST', '/collections/answers/count', {})).json();
    for (const body of [{ answer: 'no question' }, { vector: [1, 0], text: 'both', answer: 'x' }, { vector: [1, 0], answer: 'x', metadata: { answer: 'reserved' } }, { vector: [1, 0, 0], answer: 'x' }]) {
      const reply = await send(t.app, 'POST', '/collections/answers/cache/entries', body);
      expect(reply.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await send(t.app, 'POST', '/collections/answers/count', {})).json()).toEqual(before);
    expect((await send(t.app, 'POST', '/collections/nope/cache/lookup', { vector: [1, 0] })).statusCode).toBe(404);
  });
});
