/**
 * The LangChain.js vector store (issue 21): the same calls through
 * LangChain's own interface against LangChain's in-memory store and against
 * Quiver, in process and through the remote client, give the same top
 * documents with the same scores (exact search), the same filtered results
 * and the same MMR picks; then what only a store that keeps data does:
 * ids, upserts, deletes by id and by filter, hybrid search.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { SyntheticEmbeddings } from '@langchain/core/utils/testing';
import type { VectorStore } from '@langchain/core/vectorstores';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuiverVectorStore } from '../../src/adapters/langchain.js';
import { startServer, type LiveServer } from '../client/helpers.js';
import { QuiverClient } from '../../src/client/index.js';
import { openDatabase, type Database } from '../../src/index.js';
import { scifactDocuments, scifactQueries } from '../fixtures/scifact.js';
import { silent } from '../fixtures/databases.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIMENSION = 32;
const embeddings = new SyntheticEmbeddings({ vectorSize: DIMENSION });
const corpus = scifactDocuments(300, 2).map(({ id, text, metadata }) => new Document({ id, pageContent: text, metadata }));
const queries = scifactQueries(6);

let db: Database;
let server: LiveServer;
let memory: MemoryVectorStore;
let stores: { name: string; store: QuiverVectorStore }[];
let client: QuiverClient;

beforeAll(async () => {
  memory = await MemoryVectorStore.fromDocuments(corpus, embeddings);
  db = await openDatabase({ workers: 0, logger: silent });
  const local = await db.createCollection('lc', { dimension: DIMENSION, metric: 'cosine' });
  server = await startServer({}, await openDatabase({ workers: 0, logger: silent }));
  client = new QuiverClient({ url: server.url });
  await client.createCollection('lc', { dimension: DIMENSION, metric: 'cosine' });
  stores = [
    { name: 'in process', store: await QuiverVectorStore.fromDocuments(corpus, embeddings, { collection: local, exact: true }) },
    { name: 'remote client', store: await QuiverVectorStore.fromDocuments(corpus, embeddings, { collection: client.collection('lc'), exact: true }) },
  ];
}, 60_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
});

const even = { memory: (document: DocumentInterface) => document.metadata.even === true, quiver: { even: true } };

/** The same LangChain calls on any store; `filter` is the store's own form of "metadata.even is true". */
async function calls(store: VectorStore, filter: unknown) {
  const results: Record<string, unknown> = {};
  for (const [i, query] of queries.entries()) {
    const scored = await store.similaritySearchWithScore(query, 5);
    results[`search ${i}`] = scored.map(([document]) => ({ id: document.id, pageContent: document.pageContent, metadata: document.metadata }));
    results[`scores ${i}`] = scored.map(([, score]) => score);
    results[`filtered ${i}`] = (await store.similaritySearch(query, 5, filter as never)).map((document) => document.id);
    results[`by vector ${i}`] = (await store.similaritySearchVectorWithScore(await embeddings.embedQuery(query), 3)).map(([document]) => document.id);
    results[`mmr ${i}`] = (await store.maxMarginalRelevanceSearch!(query, { k: 5, fetchK: 20, lambda: 0.3 }, undefined)).map((document) => document.id);
    results[`mmr filtered ${i}`] = (await store.maxMarginalRelevanceSearch!(query, { k: 4, fetchK: 12, filter: filter as never }, undefined)).map((document) => document.id);
    results[`retriever ${i}`] = (await store.asRetriever({ k: 3 }).invoke(query)).map((document) => document.id);
  }
  return results;
}

describe('QuiverVectorStore and LangChain\'s MemoryVectorStore', () => {
  it('answer the same calls with the same documents, scores, filtered results and MMR picks', async () => {
    const expected = await calls(memory, even.memory);
    for (const { name, store } of stores) {
      const got = await calls(store, even.quiver);
      for (const [key, value] of Object.entries(expected)) {
        if (key.startsWith('scores')) {
          (got[key] as number[]).forEach((score, i) => expect(score, `${name}: ${key}`).toBeCloseTo((value as number[])[i]!, 5));
        } else {
          expect(got[key], `${name}: ${key}`).toEqual(value);
        }
      }
      // Not trivially equal: the filter changed the answers, and MMR changed the order.
      expect(got['filtered 0']).not.toEqual((got['search 0'] as { id: string }[]).map((document) => document.id));
      expect(got['mmr 0']).not.toEqual((got['search 0'] as { id: string }[]).map((document) => document.id));
    }
  });
});

describe('QuiverVectorStore', () => {
  it('returns the ids it stored: given ones, the documents\' own, or new UUIDs; an id stored again is replaced', async () => {
    for (const { name, store } of stores) {
      const ids = await store.addDocuments([new Document({ pageContent: 'first note', metadata: { note: 1 } }), new Document({ id: 'own', pageContent: 'second note', metadata: { note: 2 } })]);
      expect(ids[0], name).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids[1], name).toBe('own');
      expect(await store.addDocuments([new Document({ pageContent: 'given id', metadata: { note: 3 } })], { ids: ['given'] })).toEqual(['given']);
      await store.addDocuments([new Document({ id: 'own', pageContent: 'second note, replaced', metadata: { note: 2 } })]);
      const [top] = await store.similaritySearch('second note, replaced', 1, { note: 2 });
      expect(top!.pageContent, name).toBe('second note, replaced');
      expect(await store.collection.countWhere({ note: { $exists: true } }), name).toBe(3);
    }
  });

  it('deletes by ids and by filter', async () => {
    for (const { name, store } of stores) {
      await store.delete({ ids: ['given'] });
      expect(await store.collection.get('given'), name).toBeNull();
      await store.delete({ filter: { note: { $exists: true } } });
      expect(await store.collection.countWhere({ note: { $exists: true } }), name).toBe(0);
      expect(await store.collection.countWhere(), name).toBe(corpus.length);
      await expect(store.delete({})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('searches hybrid: the query embedded and its words scored by BM25, fused as the collection fuses them', async () => {
    const query = queries[1]!;
    const vector = await embeddings.embedQuery(query);
    for (const { name, store } of stores) {
      const hybrid = await store.hybridSearchWithScore(query, 5, undefined, { alpha: 0.3 });
      const direct = await store.collection.search({ vector, text: query, k: 5, alpha: 0.3, exact: true, include: [] });
      expect(hybrid.map(([document]) => document.id), name).toEqual(direct.map((hit) => hit.id));
      expect(hybrid.map(([, score]) => score), name).toEqual(direct.map((hit) => hit.score));
      const mode = new QuiverVectorStore(embeddings, { collection: store.collection, searchMode: 'hybrid', alpha: 0.3, exact: true });
      expect((await mode.similaritySearch(query, 5)).map((document) => document.id), name).toEqual(direct.map((hit) => hit.id));
      expect((await store.similaritySearch(query, 5)).map((document) => document.id), name).not.toEqual(direct.map((hit) => hit.id));
    }
  });

  it('opens an existing collection, and fails clearly on a missing one or bad arguments', async () => {
    const { store } = stores[0]!;
    const again = await QuiverVectorStore.fromExistingCollection(embeddings, { collection: store.collection, exact: true });
    expect((await again.similaritySearch(queries[0]!, 3)).map((document) => document.id)).toEqual((await store.similaritySearch(queries[0]!, 3)).map((document) => document.id));
    await expect(QuiverVectorStore.fromExistingCollection(embeddings, { collection: client.collection('missing') })).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND' });
    expect(() => new QuiverVectorStore(embeddings, {} as never)).toThrow(/collection/);
    expect(() => new QuiverVectorStore(embeddings, { collection: store.collection, batchSize: 0 })).toThrow(/batchSize/);
    await expect(store.addVectors([[1, 2]], [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.addVectors([[1, 2]], [new Document({ pageContent: 'short' })])).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
  });
});

describe('the README example', () => {
  it('runs as a user\'s module importing quiverdb and quiverdb/langchain, offline', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## LangChain.js'));
    const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block, 'a js block under "## LangChain.js"').toBeDefined();
    // Inside the package, so that `quiverdb` resolves to this checkout's build (as the first-run check does for a user's project).
    const file = join(ROOT, 'dist', `readme-langchain-${process.pid}.mjs`);
    writeFileSync(file, block!);
    try {
      const run = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const context = JSON.parse(/^context: (.*)$/m.exec(run.stdout)![1]!) as string[];
      // Only design documents, the one about graphs among them; the answer came back through the chain.
      expect(context).toContain('HNSW graphs live on worker threads');
      expect(context.join(' ')).not.toContain('PostgreSQL');
      expect(run.stdout).toMatch(/^answer: On worker threads, one segment each\.$/m);
      expect(run.stdout).toMatch(/^diverse: 2$/m);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
