/**
 * A cluster collection of 3 shards answers as one embedded collection over
 * the same documents: exact vector, keyword and hybrid searches give the
 * same ids and scores (BM25 over the cluster's statistics), filters,
 * counts, result controls and writes by filter agree. HNSW recall is
 * within 0.01 of the embedded collection's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Collection, type Database } from '../../src/index.js';
import type { ClusterCollection } from '../../src/cluster/cluster-collection.js';
import type { ClusterDatabase } from '../../src/cluster/cluster-database.js';
import { startPostgres, type PostgresServer } from '../fixtures/postgres.js';
import { scifactDocuments, type SciFactDocument } from '../fixtures/scifact.js';
import { randomVectors } from '../fixtures/random.js';
import { silent } from '../fixtures/databases.js';
import { expectSameRanking } from '../fixtures/ranking.js';
import { letterEmbedder, letterVector } from '../fixtures/letter-embeddings.js';

const DIMENSION = 32;
const COUNT = 1500;

let pg: PostgresServer;
let node: ClusterDatabase;
let single: Database;
let clustered: ClusterCollection;
let embedded: Collection;
let documents: SciFactDocument[];

beforeAll(async () => {
  pg = await startPostgres();
  documents = scifactDocuments(COUNT, DIMENSION);
  node = await openDatabase({ cluster: { store: pg.url, nodeId: 'n1' }, workers: 0, logger: silent });
  single = await openDatabase({ workers: 0 });
  clustered = await node.createCollection('docs', { dimension: DIMENSION, shards: 3, replicas: 1 });
  embedded = await single.createCollection('docs', { dimension: DIMENSION });
  for (let from = 0; from < documents.length; from += 500) {
    await clustered.upsert(documents.slice(from, from + 500));
    await embedded.upsert(documents.slice(from, from + 500));
  }
}, 120_000);

afterAll(async () => {
  await node?.close();
  await single?.close();
  await pg?.stop();
});

const queries = ['vitamin D deficiency', 'cancer cell growth in mice', 'protein folding', 'the immune response to infection'];
const queryVectors = randomVectors(queries.length, DIMENSION, 99);
const vectorOf = (i: number) => queryVectors.slice(i * DIMENSION, (i + 1) * DIMENSION);

function ranked(hits: { id: string; score: number; vectorScore?: number; keywordScore?: number }[]) {
  return hits.map(({ id, score, vectorScore, keywordScore }) => ({ id, score, vectorScore, keywordScore }));
}

describe('a 3-shard cluster collection and one embedded collection', () => {
  it('spreads the documents over the 3 shards and counts them all', async () => {
    await node.caughtUp();
    expect(node.replicas.size).toBe(3);
    const sizes = [...node.replicas.values()].map((replica) => replica.local.count);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(COUNT);
    for (const size of sizes) expect(size).toBeGreaterThan(COUNT / 6);
    expect(await clustered.countWhere()).toBe(COUNT);
    expect(await clustered.countWhere({ even: true })).toBe(await embedded.countWhere({ even: true }));
  });

  it('gives the same ids and scores for exact vector search, with and without a filter', async () => {
    for (let i = 0; i < queries.length; i++) {
      for (const filter of [undefined, { even: true }, { n: { $lt: 700 } }]) {
        const request = { vector: vectorOf(i), k: 10, exact: true, include: [] as [], filter };
        expect(ranked(await clustered.search(request))).toEqual(ranked(await embedded.search(request)));
      }
    }
  });

  it('gives the same ids and scores for keyword search: BM25 over the whole cluster', async () => {
    for (const text of queries) {
      for (const filter of [undefined, { even: true }]) {
        const request = { text, k: 10, include: [] as [], filter };
        const expected = ranked(await embedded.search(request));
        expect(expected.length).toBe(10);
        expect(ranked(await clustered.search(request))).toEqual(expected);
      }
    }
  });

  it('gives the same ids, fused scores and both parts for hybrid search, relative score and rrf', async () => {
    for (let i = 0; i < queries.length; i++) {
      for (const fusion of ['relativeScore', 'rrf'] as const) {
        for (const alpha of [0.3, 0.5, 0.8]) {
          const request = { vector: vectorOf(i), text: queries[i]!, k: 10, exact: true, fusion, alpha, include: [] as [] };
          expectSameRanking(await clustered.search(request), await embedded.search(request));
        }
      }
    }
  });

  it('applies offset, minScore, groupBy, mmr and search by example over the merged ranking as one collection does', async () => {
    const vector = vectorOf(0);
    const [a, b, c] = [documents[10]!.id, documents[700]!.id, documents[1400]!.id];
    const requests = [
      { vector, k: 5, offset: 7, exact: true },
      { vector, k: 20, minScore: 0.3, exact: true },
      { text: 'cell', k: 5, groupBy: 'even', groupSize: 3 },
      { vector, text: 'cell', k: 4, offset: 2, exact: true },
      { vector, k: 6, mmr: { lambda: 0.4 }, exact: true },
      { like: [a, b], k: 5, exact: true },
      { like: [a], unlike: [c], k: 5, offset: 1, exact: true },
      { like: [b], text: 'protein', k: 5, exact: true },
    ];
    for (const request of requests) {
      const expected = await embedded.search({ ...request, include: ['metadata'] });
      const got = await clustered.search({ ...request, include: ['metadata'] });
      expect(got.map(({ id, score, group }) => ({ id, score, group }))).toEqual(expected.map(({ id, score, group }) => ({ id, score, group })));
      expect(got.map((hit) => hit.metadata)).toEqual(expected.map((hit) => hit.metadata));
    }
  });

  it('returns the same documents by id, vectors bit for bit', async () => {
    const ids = [documents[3]!.id, 'missing', documents[1200]!.id];
    const got = await clustered.getMany(ids);
    const expected = await embedded.getMany(ids);
    expect(got).toEqual(expected);
    expect(Object.is(got[0]!.vector![3 % DIMENSION], -0)).toBe(true);
  });

  it('lists every matching document once, in id order, page by page, and exports them all', async () => {
    const seen: { id: string; metadata?: unknown }[] = [];
    let after: string | undefined;
    do {
      const page = await clustered.list({ filter: { even: true }, limit: 97, include: ['metadata'], ...(after === undefined ? {} : { after }) });
      seen.push(...page.documents);
      after = page.next ?? undefined;
    } while (after !== undefined);
    const expected = documents.filter((document) => document.metadata.even).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(seen.map((document) => document.id)).toEqual(expected.map((document) => document.id));
    expect(seen.map((document) => document.metadata)).toEqual(expected.map((document) => document.metadata));
    let exported = 0;
    for await (const document of clustered.export()) {
      exported++;
      expect(document.vector).toBeInstanceOf(Float32Array);
    }
    expect(exported).toBe(COUNT);
  });

  it('has HNSW recall@10 within 0.01 of the embedded collection', async () => {
    const queriesCount = 50;
    const vectors = randomVectors(queriesCount, DIMENSION, 5);
    let clusterRecall = 0;
    let embeddedRecall = 0;
    for (let i = 0; i < queriesCount; i++) {
      const vector = vectors.slice(i * DIMENSION, (i + 1) * DIMENSION);
      const truth = new Set((await embedded.search({ vector, k: 10, exact: true, include: [] })).map((hit) => hit.id));
      const recall = (hits: { id: string }[]) => hits.filter((hit) => truth.has(hit.id)).length / 10;
      clusterRecall += recall(await clustered.search({ vector, k: 10, exact: false, ef: 16, include: [] }));
      embeddedRecall += recall(await embedded.search({ vector, k: 10, exact: false, ef: 16, include: [] }));
    }
    expect(clusterRecall / queriesCount).toBeGreaterThanOrEqual(embeddedRecall / queriesCount - 0.01);
  });

  it('deletes and updates by filter, by id and partially as one collection does, with the same results after', async () => {
    for (const target of [clustered, embedded] as const) {
      expect(await target.deleteWhere({ n: { $lt: 100 } })).toMatchObject({ deleted: 100 });
      expect(await target.updateWhere({ n: { $gte: 1400 } }, { set: { late: true } })).toMatchObject({ updated: 100 });
      expect(await target.update([{ id: documents[500]!.id, text: 'a rewritten abstract about vitamin D' }])).toMatchObject({ updated: 1 });
      expect(await target.delete([documents[600]!.id, 'missing'])).toMatchObject({ deleted: 1 });
      await expect(target.update([{ id: 'missing', set: { a: 1 } }])).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
      await expect(target.deleteWhere({})).rejects.toMatchObject({ code: 'INVALID_FILTER' });
    }
    expect(await clustered.countWhere()).toBe(await embedded.countWhere());
    expect(await clustered.countWhere({ late: true })).toBe(100);
    for (const request of [{ text: 'vitamin D', k: 10 }, { vector: vectorOf(1), k: 10, exact: true }, { vector: vectorOf(2), text: 'vitamin', k: 10, exact: true }]) {
      expect(ranked(await clustered.search({ ...request, include: [] }))).toEqual(ranked(await embedded.search({ ...request, include: [] })));
    }
  });

  it('aliases name a collection on every node: search by alias, switch atomically, drop; names and aliases share one namespace', async () => {
    const other = await node.createCollection('docs-v2', { dimension: DIMENSION, shards: 2, replicas: 1 });
    await other.upsert(documents.slice(0, 50));
    await node.createAlias('live', 'docs');
    expect(node.listAliases()).toEqual([{ alias: 'live', collection: 'docs' }]);
    const request = { vector: vectorOf(0), k: 5, exact: true, include: [] as [] };
    expect(await node.collection('live').search(request)).toEqual(await clustered.search(request));
    await expect(node.createAlias('live', 'docs-v2')).rejects.toMatchObject({ code: 'ALIAS_EXISTS' });
    await expect(node.createAlias('docs-v2', 'docs')).rejects.toMatchObject({ code: 'COLLECTION_EXISTS' });
    await expect(node.createCollection('live', { dimension: DIMENSION })).rejects.toMatchObject({ code: 'ALIAS_EXISTS' });
    await expect(node.dropCollection('live')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await node.switchAlias('live', 'docs-v2');
    expect(await node.collection('live').countWhere(undefined, { consistency: 'strong' })).toBe(50);
    await node.dropAlias('live');
    await expect(node.dropAlias('live')).rejects.toMatchObject({ code: 'ALIAS_NOT_FOUND' });
    expect(() => node.collection('live')).toThrow(expect.objectContaining({ code: 'COLLECTION_NOT_FOUND' }));
    await node.createAlias('old', 'docs-v2');
    await node.dropCollection('docs-v2');
    expect(node.listAliases()).toEqual([]);
  });

  it('explains a search: each shard\'s plan and timings, and the whole search\'s', async () => {
    for (const request of [{ vector: vectorOf(0), k: 5 }, { text: 'cell', k: 5 }, { vector: vectorOf(0), text: 'cell', k: 5 }]) {
      const result = await clustered.search({ ...request, explain: true, include: [] });
      expect(result.hits).toEqual(await clustered.search({ ...request, include: [] }));
      expect(result.explain.shards).toHaveLength(3);
      expect(result.explain.total).toBe(result.explain.shards!.reduce((sum, shard) => sum + shard.total, 0));
      expect(result.explain.plan).toBe(request.text === undefined ? result.explain.shards![0]!.plan : request.vector === undefined ? 'keyword' : 'hybrid');
      expect(result.explain.timings.total).toBeGreaterThan(0);
    }
  });

  it('rejects a bad write whole, changing nothing, with the embedded code', async () => {
    const version = clustered.version;
    const count = await clustered.countWhere();
    await expect(clustered.upsert([{ id: 'ok', vector: vectorOf(0) }, { id: 'bad', vector: [1, 2] }])).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    await expect(clustered.upsert([{ id: 'a', vector: vectorOf(0) }, { id: 'a', vector: vectorOf(1) }])).rejects.toMatchObject({ code: 'DUPLICATE_ID' });
    await expect(clustered.search({ like: ['missing'] })).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    await expect(clustered.search({ vector: vectorOf(0), like: [documents[200]!.id] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(clustered.version).toBe(version);
    expect(await clustered.countWhere({}, { consistency: 'strong' })).toBe(count);
  });
});

describe('a one-shard cluster collection and one embedded collection', () => {
  it('give the same answers, controls, examples and explain included: the shard answers the whole request', async () => {
    const whole = await node.createCollection('whole', { dimension: DIMENSION, shards: 1, replicas: 1 });
    const twin = await single.createCollection('whole', { dimension: DIMENSION });
    for (let from = 0; from < documents.length; from += 500) {
      await whole.upsert(documents.slice(from, from + 500));
      await twin.upsert(documents.slice(from, from + 500));
    }
    const vector = vectorOf(1);
    const [a, b] = [documents[10]!.id, documents[700]!.id];
    const requests = [
      { vector, k: 10, exact: true },
      { vector, k: 10, filter: { even: true } },
      { text: queries[1]!, k: 10 },
      { vector, text: queries[2]!, k: 10, exact: true },
      { vector, k: 5, offset: 3, minScore: 0.1, exact: true },
      { text: 'cell', k: 5, groupBy: 'even', groupSize: 2 },
      { vector, k: 6, mmr: { lambda: 0.4 }, exact: true, include: ['vector' as const] },
      { like: [a], unlike: [b], text: 'protein', k: 5, exact: true },
    ];
    for (const request of requests) {
      // The replica's labels follow the order it applied rows in, the twin's the upserts': tied hits may swap.
      const got = await whole.search(request);
      const expected = await twin.search(request);
      expectSameRanking(got, expected);
      const expectedById = new Map(expected.map((hit) => [hit.id, hit]));
      for (const hit of got) if (expectedById.has(hit.id)) expect(hit).toEqual(expectedById.get(hit.id));
    }
    const explained = await whole.search({ vector, k: 5, explain: true, include: [] });
    expect(explained.hits).toEqual(await whole.search({ vector, k: 5, include: [] }));
    expect(explained.explain.shards).toHaveLength(1);
    await expect(whole.search({ like: ['missing'] })).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
  });
});

describe('a cluster collection with an embedder', () => {
  it('embeds at the coordinator, once: text-only upserts and text searches as one embedded collection gives them', async () => {
    const letters = letterEmbedder(DIMENSION);
    const embedders = { letters };
    // A second node, holding every shard itself, with the embedder; the first node has none.
    const embedding: ClusterDatabase = await openDatabase({ cluster: { store: pg.url, nodeId: 'n-embed', holdAll: true }, workers: 0, logger: silent, embedders });
    const plain = await openDatabase({ workers: 0, embedders });
    try {
      const options = { dimension: DIMENSION, embedder: { provider: 'local' as const, model: 'letters' } };
      const clusteredText = await embedding.createCollection('texts', { ...options, shards: 3, replicas: 1 });
      const twin = await plain.createCollection('texts', options);
      const texts = documents.slice(0, 300).map(({ id, text, metadata }) => ({ id, text, metadata }));
      await clusteredText.upsert(texts);
      await twin.upsert(texts);
      // One embedding call for the batch, made by the coordinator: replicas receive vectors.
      expect(letters.calls).toBe(2);
      await embedding.caughtUp();
      for (const request of [{ text: queries[0]!, k: 5, exact: true }, { text: queries[1]!, mode: 'hybrid' as const, k: 5, exact: true }, { text: 'vitamin', mode: 'keyword' as const, k: 5 }]) {
        expectSameRanking(await clusteredText.search({ ...request, include: [] }), await twin.search({ ...request, include: [] }));
      }
      await expect(clusteredText.search({ vector: letterVector('x', DIMENSION), model: 'another' })).rejects.toMatchObject({ code: 'EMBEDDER_MISMATCH' });
      await expect(clusteredText.update([{ id: texts[0]!.id, text: 'changed' }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await embedding.close();
      await plain.close();
    }
  });
});
