/**
 * The LlamaIndex.TS vector store (issue 21): the same `add` and `query`
 * calls through LlamaIndex's own interface against its SimpleVectorStore and
 * against Quiver, in process and through the remote client, give the same
 * top nodes with the same similarities (exact search), the same filtered
 * results for every filter operator under AND and OR, and the same MMR
 * picks and scores; then what only Quiver does: nodes returned whole,
 * deletes by document, hybrid and keyword search, refusals.
 *
 * LlamaIndex's MMR (getTopKMMREmbeddings) penalises a candidate by its
 * similarity to the latest pick alone, where Quiver's mmr control (like
 * LangChain) takes its highest similarity to any pick: the adapter runs
 * LlamaIndex's own function over the candidates Quiver finds, shown against
 * a reference of each rule below. SimpleVectorStore hands `mmrThreshold` to
 * getTopKMMREmbeddings as the similarity cutoff, so its lambda is always
 * 0.5; the adapter passes it as lambda.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseEmbedding } from '@llamaindex/core/embeddings';
import { type MetadataFilters, type VectorStoreQuery, VectorStoreQueryMode } from '@llamaindex/core/vector-store';
import { MetadataMode, NodeRelationship, TextNode } from '@llamaindex/core/schema';
import { SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { Settings, VectorStoreIndex } from 'llamaindex';
import { SimpleVectorStore } from 'llamaindex/vector-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuiverVectorStore, toQuiverFilter } from '../../src/adapters/llamaindex.js';
import { startServer, type LiveServer } from '../client/helpers.js';
import { QuiverClient } from '../../src/client/index.js';
import { openDatabase, type Database } from '../../src/index.js';
import { scifactDocuments, scifactQueries } from '../fixtures/scifact.js';
import { silent } from '../fixtures/databases.js';

const DIMENSION = 32;
const synthetic = new SyntheticEmbeddings({ vectorSize: DIMENSION });

/** LlamaIndex's embedding interface over the synthetic embeddings. */
class SyntheticEmbedding extends BaseEmbedding {
  constructor() {
    super();
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    return synthetic.embedQuery(text);
  }
}
const embedModel = new SyntheticEmbedding();

/**
 * SciFact abstracts as nodes, three to a source document (`paper-<n / 3>`),
 * with the fixture's metadata (title, n, words, even) and two more keys:
 * `group`, a string absent from every fifth node (for != and nin, which
 * never match a node without the key), and `tags`, an array (for any, all,
 * contains).
 */
const corpus = scifactDocuments(300, 2);
const nodes = await Promise.all(corpus.map(async ({ id, text, metadata }) => {
  const extra: Record<string, unknown> = { tags: [`t${metadata.n % 4}`, `t${metadata.n % 5}`] };
  if (metadata.n % 5 !== 0) extra.group = ['alpha', 'beta', 'gamma'][metadata.n % 3];
  return new TextNode({
    id_: id, text, metadata: { ...metadata, ...extra },
    relationships: { [NodeRelationship.SOURCE]: { nodeId: `paper-${Math.floor(metadata.n / 3)}`, metadata: {} } },
    embedding: await synthetic.embedQuery(text),
  });
}));
const queries = await Promise.all(scifactQueries(6).map(async (text) => ({ text, embedding: await synthetic.embedQuery(text) })));

let db: Database;
let server: LiveServer;
let client: QuiverClient;
let simple: SimpleVectorStore;
let stores: { name: string; store: QuiverVectorStore }[];

beforeAll(async () => {
  simple = new SimpleVectorStore({ embedModel });
  await simple.add(nodes);
  db = await openDatabase({ workers: 0, logger: silent });
  server = await startServer({}, await openDatabase({ workers: 0, logger: silent }));
  client = new QuiverClient({ url: server.url });
  await client.createCollection('li', { dimension: DIMENSION, metric: 'cosine' });
  stores = [
    { name: 'in process', store: new QuiverVectorStore({ collection: await db.createCollection('li', { dimension: DIMENSION, metric: 'cosine' }), exact: true, embedModel }) },
    { name: 'remote client', store: new QuiverVectorStore({ collection: client.collection('li'), exact: true, embedModel, batchSize: 64 }) },
  ];
  for (const { store } of stores) expect(await store.add(nodes)).toEqual(nodes.map((node) => node.id_));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
});

/** Every operator Quiver takes, under AND and OR. */
const FILTERS: Record<string, MetadataFilters> = {
  '>': { filters: [{ key: 'n', value: 150, operator: '>' }] },
  'range, AND': { filters: [{ key: 'n', value: 30, operator: '>=' }, { key: 'n', value: 240, operator: '<=' }, { key: 'words', value: 220, operator: '<' }], condition: 'and' },
  '< on strings': { filters: [{ key: 'title', value: 'M', operator: '<' }] },
  '==': { filters: [{ key: 'group', value: 'beta', operator: '==' }] },
  '== on the source': { filters: [{ key: 'ref_doc_id', value: 'paper-12', operator: '==' }] },
  '!=': { filters: [{ key: 'group', value: 'beta', operator: '!=' }] },
  'in': { filters: [{ key: 'group', value: ['alpha', 'gamma'], operator: 'in' }] },
  'nin': { filters: [{ key: 'group', value: ['alpha'], operator: 'nin' }] },
  'OR': { filters: [{ key: 'n', value: 20, operator: '<' }, { key: 'group', value: 'gamma', operator: '==' }], condition: 'or' },
  'any': { filters: [{ key: 'tags', value: ['t1', 't7'], operator: 'any' }] },
  'all': { filters: [{ key: 'tags', value: ['t1', 't2'], operator: 'all' }] },
  'contains, OR': { filters: [{ key: 'tags', value: 't3', operator: 'contains' }, { key: 'n', value: 290, operator: '>' }], condition: 'or' },
  'empty AND': { filters: [] },
  'empty OR': { filters: [], condition: 'or' },
};

/** The same LlamaIndex queries on any store: ids and similarities per call. */
async function calls(store: SimpleVectorStore | QuiverVectorStore) {
  const results: Record<string, { ids: string[]; similarities: number[] }> = {};
  const run = async (key: string, query: Partial<VectorStoreQuery>) => {
    const { ids, similarities } = await store.query({ mode: VectorStoreQueryMode.DEFAULT, similarityTopK: 5, ...query });
    results[key] = { ids, similarities };
  };
  for (const [i, { embedding }] of queries.entries()) {
    await run(`top 5, query ${i}`, { queryEmbedding: embedding });
    await run(`top 1, query ${i}`, { queryEmbedding: embedding, similarityTopK: 1 });
    for (const [name, filters] of Object.entries(FILTERS)) await run(`${name}, query ${i}`, { queryEmbedding: embedding, filters });
    await run(`mmr, query ${i}`, { queryEmbedding: embedding, mode: VectorStoreQueryMode.MMR, similarityTopK: 6 });
    await run(`mmr filtered, query ${i}`, { queryEmbedding: embedding, mode: VectorStoreQueryMode.MMR, similarityTopK: 4, filters: FILTERS['in'] });
  }
  return results;
}

describe('QuiverVectorStore and LlamaIndex\'s SimpleVectorStore', () => {
  it('answer the same queries with the same ids, similarities and filtered results, and the same MMR picks', async () => {
    const expected = await calls(simple);
    for (const { name, store } of stores) {
      const got = await calls(store);
      for (const [key, { ids, similarities }] of Object.entries(expected)) {
        expect(got[key]!.ids, `${name}: ${key}`).toEqual(ids);
        got[key]!.similarities.forEach((score, i) => expect(score, `${name}: ${key}`).toBeCloseTo(similarities[i]!, 5));
      }
    }
    // Not trivially equal: each filter changed the answers, and MMR changed the order.
    for (const name of Object.keys(FILTERS).filter((name) => name !== 'empty AND')) {
      expect(expected[`${name}, query 0`]!.ids, name).not.toEqual(expected['top 5, query 0']!.ids);
    }
    expect(expected['empty OR, query 0']!.ids).toEqual([]);
    expect(expected['mmr, query 0']!.ids.slice(0, 5)).not.toEqual(expected['top 5, query 0']!.ids);
  });

  it('pick by MMR with LlamaIndex\'s rule (the latest pick), with mmrThreshold as lambda; the closest-pick rule of Quiver\'s mmr control would pick otherwise', async () => {
    let differ = 0;
    for (const [i, { embedding }] of queries.entries()) {
      const query = { queryEmbedding: embedding, mode: VectorStoreQueryMode.MMR, similarityTopK: 6 };
      const simplePicks = (await simple.query({ ...query, mmrThreshold: 0.3 })).ids;
      expect(simplePicks, `query ${i}`).toEqual(mmr(embedding, 6, 0.5, 'latest'));
      if (mmr(embedding, 6, 0.5, 'closest').join() !== simplePicks.join()) differ += 1;
      for (const { name, store } of stores) {
        for (const mmrThreshold of [undefined, 0.3, 0.8]) {
          const { ids } = await store.query({ ...query, mmrThreshold });
          expect(ids, `${name}, query ${i}, ${mmrThreshold}`).toEqual(mmr(embedding, 6, mmrThreshold ?? 0.5, 'latest'));
        }
      }
    }
    // The two rules part ways on some of these queries: the test tells them apart.
    expect(differ).toBeGreaterThan(0);
  });
});

/**
 * Greedy MMR over every node, as getTopKMMREmbeddings computes it: each
 * next pick maximises lambda * sim(query) - (1 - lambda) * penalty, the
 * penalty being its similarity to the latest pick (LlamaIndex) or its
 * highest similarity to any pick (Quiver, LangChain).
 */
function mmr(query: number[], k: number, lambda: number, penalty: 'latest' | 'closest'): string[] {
  const relevance = nodes.map((node) => cosine(query, node.getEmbedding()));
  const closest = nodes.map(() => -Infinity);
  const picks: number[] = [];
  while (picks.length < k) {
    let best = -1;
    let bestValue = -Infinity;
    nodes.forEach((_, c) => {
      if (picks.includes(c)) return;
      const value = picks.length === 0 ? lambda * relevance[c]! : lambda * relevance[c]! - (1 - lambda) * closest[c]!;
      if (value > bestValue) [best, bestValue] = [c, value];
    });
    picks.push(best);
    nodes.forEach((node, c) => {
      const overlap = cosine(node.getEmbedding(), nodes[best]!.getEmbedding());
      closest[c] = penalty === 'latest' ? overlap : Math.max(closest[c]!, overlap);
    });
  }
  return picks.map((c) => nodes[c]!.id_);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(aa * bb);
}

describe('QuiverVectorStore', () => {
  it('returns the nodes it stored: id, text, metadata and source, and the similarities with them', async () => {
    for (const { name, store } of stores) {
      const { nodes: found, ids, similarities } = await store.query({ queryEmbedding: queries[0]!.embedding, similarityTopK: 4, mode: VectorStoreQueryMode.DEFAULT });
      expect(found!.map((node) => node.id_), name).toEqual(ids);
      expect(similarities).toHaveLength(4);
      for (const node of found!) {
        const original = nodes.find((candidate) => candidate.id_ === node.id_)!;
        expect(node, name).toBeInstanceOf(TextNode);
        expect(node.getContent(MetadataMode.NONE), name).toBe(original.text);
        expect(node.metadata, name).toEqual(original.metadata);
        expect(node.sourceNode?.nodeId, name).toBe(original.sourceNode!.nodeId);
        expect(node.embedding, name).toBeUndefined();
      }
    }
  });

  it('delete(refDocId) removes exactly that document\'s nodes', async () => {
    const paper = nodes.filter((node) => node.sourceNode!.nodeId === 'paper-7');
    expect(paper).toHaveLength(3);
    for (const { name, store } of stores) {
      await store.delete('paper-7');
      expect(await store.collection.countWhere(), name).toBe(nodes.length - 3);
      for (const node of paper) expect(await store.collection.get(node.id_), name).toBeNull();
      await store.delete('paper-7');
      expect(await store.collection.countWhere(), name).toBe(nodes.length - 3);
      await store.add(paper);
      expect(await store.collection.countWhere({ ref_doc_id: 'paper-7' }), name).toBe(3);
    }
  });

  it('searches hybrid as the collection does, alpha weighting the vector side as in LlamaIndex (1: vector only, 0: keywords only)', async () => {
    const { text, embedding } = queries[1]!;
    for (const { name, store } of stores) {
      const hybrid = await store.query({ queryEmbedding: embedding, queryStr: text, alpha: 0.3, similarityTopK: 5, mode: VectorStoreQueryMode.HYBRID });
      const direct = await store.collection.search({ vector: embedding, text, alpha: 0.3, k: 5, exact: true, include: [] });
      expect(hybrid.ids, name).toEqual(direct.map((hit) => hit.id));
      expect(hybrid.similarities, name).toEqual(direct.map((hit) => hit.score));
      const vector = await store.query({ queryEmbedding: embedding, similarityTopK: 5, mode: VectorStoreQueryMode.DEFAULT });
      const keywords = await store.query({ queryStr: text, similarityTopK: 5, mode: VectorStoreQueryMode.SPARSE });
      expect(keywords.ids, name).toEqual((await store.collection.search({ text, k: 5, include: [] })).map((hit) => hit.id));
      expect(keywords.ids, name).not.toEqual(vector.ids);
      expect((await store.query({ queryEmbedding: embedding, queryStr: text, alpha: 1, similarityTopK: 5, mode: VectorStoreQueryMode.HYBRID })).ids, name).toEqual(vector.ids);
      expect((await store.query({ queryEmbedding: embedding, queryStr: text, alpha: 0, similarityTopK: 5, mode: VectorStoreQueryMode.HYBRID })).ids, name).toEqual(keywords.ids);
    }
  });

  it('refuses what it cannot answer exactly with INVALID_ARGUMENT, and changes nothing', async () => {
    const queryEmbedding = queries[0]!.embedding;
    const refused: Partial<VectorStoreQuery>[] = [
      { filters: { filters: [{ key: 'title', value: 'cancer', operator: 'text_match' }] } },
      { filters: { filters: [{ key: 'group', operator: 'is_empty' }] } },
      { filters: { filters: [{ key: 'n', value: 3, operator: '~' as never }] } },
      { filters: { filters: [{ key: 'n', value: 3, operator: '==' }], condition: 'not' as never } },
      { filters: { filters: [{ key: 'a.b', value: 3, operator: '==' }] } },
      { filters: { filters: [{ key: 'group', value: ['alpha'], operator: '==' }] } },
      { filters: { filters: [{ key: 'group', value: 'alpha', operator: 'in' }] } },
      { docIds: [nodes[0]!.id_] },
      { mode: VectorStoreQueryMode.SVM },
      { mode: VectorStoreQueryMode.HYBRID },
      { queryEmbedding: undefined },
    ];
    for (const { name, store } of stores) {
      for (const query of refused) {
        await expect(store.query({ queryEmbedding, similarityTopK: 3, mode: VectorStoreQueryMode.DEFAULT, ...query }), `${name}: ${JSON.stringify(query)}`).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      const unembedded = new TextNode({ id_: 'no-embedding', text: 'not embedded' });
      await expect(store.add([new TextNode({ id_: 'embedded', text: 'embedded', embedding: queryEmbedding }), unembedded]), name).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.delete(''), name).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await store.collection.countWhere(), name).toBe(nodes.length);
      expect(await store.collection.get('embedded'), name).toBeNull();
    }
    // The operator is named in the error.
    expect(() => toQuiverFilter({ filters: [{ key: 'title', value: 'x', operator: 'text_match' }] })).toThrow(/text_match/);
    expect(() => new QuiverVectorStore({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new QuiverVectorStore({ collection: stores[0]!.store.collection, batchSize: 0, embedModel })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('maps each LlamaIndex operator to one Quiver filter', () => {
    expect(toQuiverFilter({ filters: [{ key: 'g', value: 'x', operator: '!=' }, { key: 'g', value: ['x'], operator: 'nin' }], condition: 'or' }))
      .toEqual({ $or: [{ g: { $exists: true, $ne: 'x' } }, { g: { $exists: true, $nin: ['x'] } }] });
    expect(toQuiverFilter({ filters: [{ key: 't', value: ['a', 'b'], operator: 'all' }] })).toEqual({ $and: [{ t: { $eq: 'a' } }, { t: { $eq: 'b' } }] });
    expect(toQuiverFilter({ filters: [{ key: 't', value: [], operator: 'all' }] })).toEqual({ t: { $exists: true } });
    expect(toQuiverFilter({ filters: [{ key: 'n', value: 1, operator: '>=' }, { key: 't', value: 'a', operator: 'contains' }] })).toEqual({ $and: [{ n: { $gte: 1 } }, { t: { $eq: 'a' } }] });
  });

  it('keeps MMR within its work bound at a large dimension, re-ranking fewer candidates', async () => {
    const dimension = 8_192;
    const wide = await db.createCollection('wide', { dimension, metric: 'cosine' });
    const store = new QuiverVectorStore({ collection: wide, embedModel });
    const vector = (seed: number) => Array.from({ length: dimension }, (_, i) => Math.sin(seed * 7.1 + i * 0.37));
    await store.add(Array.from({ length: 40 }, (_, i) => new TextNode({ id_: `w${i}`, text: `wide ${i}`, embedding: vector(i) })));
    const { ids } = await store.query({ queryEmbedding: vector(0.5), similarityTopK: 20, mode: VectorStoreQueryMode.MMR });
    expect(ids).toHaveLength(20);
    // 20 hits x 1,000 candidates x 8,192 would be over MAX_MMR_WORK, the bound the adapter shares with Quiver's mmr control.
    await expect(wide.search({ vector: vector(0.5), k: 20, mmr: { candidates: 1_000, relevance: 'score' } })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('serves a VectorStoreIndex: its retriever finds the nodes with the store\'s similarities, with no document store of nodes', async () => {
    await Settings.withEmbedModel(embedModel, async () => {
      for (const { name, store } of stores) {
        const index = await VectorStoreIndex.fromVectorStore(store);
        const retrieved = await index.asRetriever({ similarityTopK: 3 }).retrieve({ query: queries[2]!.text });
        const direct = await store.query({ queryEmbedding: queries[2]!.embedding, similarityTopK: 3, mode: VectorStoreQueryMode.DEFAULT });
        expect(retrieved.map(({ node }) => node.id_), name).toEqual(direct.ids);
        expect(retrieved.map(({ score }) => score), name).toEqual(direct.similarities);
        expect(retrieved[0]!.node.getContent(MetadataMode.NONE), name).toBe(nodes.find((node) => node.id_ === direct.ids[0])!.text);
      }
    });
  });
});

describe('the README example', () => {
  it('runs as a user\'s module importing quiverdb, quiverdb/llamaindex and llamaindex, offline', () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## LlamaIndex.TS')))?.[1];
    expect(block, 'a js block under "## LlamaIndex.TS"').toBeDefined();
    const file = join(root, 'dist', `readme-llamaindex-${process.pid}.mjs`);
    writeFileSync(file, block!);
    try {
      const run = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      const retrieved = run.stdout.split('\n').filter((line) => line.startsWith('retrieved:'));
      expect(retrieved.length).toBeGreaterThan(0);
      expect(retrieved.join('\n')).toContain('HNSW graphs live on worker threads');
      expect(retrieved.join('\n')).not.toContain('PostgreSQL');
      expect(run.stdout).toMatch(/^hybrid: \["Cluster mode stores documents in PostgreSQL\."\]$/m);
      expect(run.stdout).toMatch(/^left: 1$/m);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
