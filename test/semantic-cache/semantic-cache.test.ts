/**
 * The semantic cache (issue 21, item 4): a lookup hits exactly from the
 * threshold up, sees only live entries matching its filter, and counts
 * hits, misses and savings; entries expire with their TTL and the oldest
 * go past maxEntries; in process and over the remote client alike. As
 * LangChain's LLM cache, a prompt answered before is not sent to the model
 * again.
 */
import { FakeListChatModel, SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuiverLLMCache } from '../../src/adapters/langchain.js';
import { startServer, type LiveServer } from '../client/helpers.js';
import { QuiverClient, type PortableCollection } from '../../src/client/index.js';
import { openDatabase, SemanticCache, type Database } from '../../src/index.js';
import { silent } from '../fixtures/databases.js';

let db: Database;
let server: LiveServer;
let client: QuiverClient;
let made = 0;

beforeAll(async () => {
  db = await openDatabase({ workers: 0, logger: silent });
  server = await startServer({}, await openDatabase({ workers: 0, logger: silent }));
  client = new QuiverClient({ url: server.url });
});

afterAll(async () => {
  await server?.close();
  await db?.close();
});

/** A fresh collection of `dimension`, in process or remote. */
async function collection(where: 'in process' | 'remote', dimension = 2): Promise<PortableCollection> {
  const name = `cache${made++}`;
  if (where === 'in process') return db.createCollection(name, { dimension, metric: 'cosine' });
  await client.createCollection(name, { dimension, metric: 'cosine' });
  return client.collection(name);
}

const clock = (start: number) => {
  const time = { now: start };
  return Object.assign(() => time.now, { set: (t: number) => (time.now = t) });
};

for (const where of ['in process', 'remote'] as const) {
  describe(`SemanticCache (${where})`, () => {
    it('hits at exactly the threshold and misses just above it; counts hits, misses and savings', async () => {
      const entries = await collection(where);
      const question = [1, 0];
      const asked = [0.6, 0.8];
      // The similarity the collection computes for this pair is the boundary.
      const probe = new SemanticCache({ collection: entries, threshold: -1 });
      await probe.store(question, 'forty-two', { model: 'm', savings: 120 });
      const boundary = (await probe.lookup(asked))!.score;
      expect(boundary).toBeCloseTo(0.6, 6);
      const at = new SemanticCache({ collection: entries, threshold: boundary });
      expect(await at.lookup(asked)).toMatchObject({ answer: 'forty-two', metadata: { model: 'm', savings: 120 }, score: boundary });
      const above = new SemanticCache({ collection: entries, threshold: boundary + Math.abs(boundary) * Number.EPSILON * 2 });
      expect(await above.lookup(asked)).toBeNull();
      expect(await above.lookup(question)).not.toBeNull();
      expect(at.stats()).toEqual({ lookups: 1, hits: 1, misses: 0, hitRate: 1, saved: 120 });
      expect(above.stats()).toEqual({ lookups: 2, hits: 1, misses: 1, hitRate: 0.5, saved: 120 });
    });

    it('sees only entries matching the lookup\'s filter (model, tenant)', async () => {
      const cache = new SemanticCache({ collection: await collection(where) });
      await cache.store([1, 0], 'for tenant a', { model: 'm1', tenant: 'a' });
      await cache.store([1, 0.001], 'for tenant b', { model: 'm1', tenant: 'b' });
      expect((await cache.lookup([1, 0], { tenant: 'b' }))?.answer).toBe('for tenant b');
      expect((await cache.lookup([1, 0], { tenant: 'a', model: 'm1' }))?.answer).toBe('for tenant a');
      expect(await cache.lookup([1, 0], { model: 'm2' })).toBeNull();
      await expect(cache.store([1, 0], 'x', { answer: 'mine' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('expires entries after their TTL (a lookup at the expiry misses) and evicts them, and the oldest past maxEntries', async () => {
      const now = clock(1_000_000);
      const entries = await collection(where);
      const cache = new SemanticCache({ collection: entries, ttlMs: 100, maxEntries: 4, now });
      await cache.store([1, 0], 'soon stale');
      now.set(1_000_099);
      expect((await cache.lookup([1, 0]))?.answer).toBe('soon stale');
      now.set(1_000_100);
      expect(await cache.lookup([1, 0])).toBeNull();
      expect(await cache.evict()).toEqual({ expired: 1, overflow: 0 });
      expect(await entries.countWhere()).toBe(0);
      for (let i = 0; i < 10; i++) {
        now.set(2_000_000 + i * 7);
        await cache.store([1, i], `answer ${i}`, { i });
      }
      expect(await cache.evict()).toEqual({ expired: 0, overflow: 6 });
      const left = await entries.list({ include: ['metadata'] });
      expect(left.documents.map((document) => (document.metadata as { i: number }).i).sort((a, b) => a - b)).toEqual([6, 7, 8, 9]);
    });
  });
}

describe('QuiverLLMCache', () => {
  it('answers a prompt asked before (or one close enough) from the cache, per model settings', async () => {
    const embeddings = new SyntheticEmbeddings({ vectorSize: 16 });
    const cache = new QuiverLLMCache({ collection: await collection('in process', 16), embeddings, threshold: 0.999 });
    const model = new FakeListChatModel({ responses: ['first answer', 'second answer', 'third answer'], cache });
    expect((await model.invoke('What is Quiver?')).content).toBe('first answer');
    expect((await model.invoke('What is Quiver?')).content).toBe('first answer');
    expect((await model.invoke('what is quiver')).content).toBe('first answer');
    expect((await model.invoke('Something else entirely, about PostgreSQL')).content).toBe('second answer');
    // Another model's settings are another llmKey: not answered from this model's entries.
    expect(await cache.lookup('What is Quiver?', 'another model, other settings')).toBeNull();
    expect(cache.cache.stats()).toMatchObject({ lookups: 5, hits: 2, misses: 3 });
  });
});
