/** Every route through app.inject: the happy paths and the shapes of their replies. */
import { availableParallelism } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { COLLECTION, DIMENSION, SEED_COUNT, errorOf, expectStatus, makeApp, metricValue, metricValues, seed, seedVector, send, type TestApp } from './helpers.js';

let t: TestApp;

beforeEach(async () => {
  t = await makeApp();
  await seed(t.app);
});

afterEach(async () => {
  await t.close();
});

interface Hit {
  id: string;
  score: number;
  metadata?: Record<string, unknown>;
  text?: string;
  vector?: number[];
}

describe('collections', () => {
  it('create answers 201 with the resolved settings', async () => {
    const reply = expectStatus(
      await send(t.app, 'POST', '/collections', { name: 'other', dimension: 8, metric: 'l2', quantization: 'int8', rerank: 4, hnsw: { m: 8, efConstruction: 50, ef: 20 } }),
      201,
    );
    expect(reply.json()).toEqual({
      name: 'other',
      state: 'ready',
      dimension: 8,
      metric: 'l2',
      quantization: 'int8',
      count: 0,
      version: 0,
      tombstones: 0,
      indexingBacklog: 0,
      // No document yet: no chunk of vectors, no graph node.
      memory: { vectors: 0, graph: 0 },
      hnsw: { m: 8, efConstruction: 50, ef: 20, segments: availableParallelism() },
      text: { language: 'en', stemming: true, stopwords: true, cjk: 'both' },
      bm25: { k1: 1.2, b: 0.75 },
    });
  });

  it('optimize lays the graph out afresh and searches answer as before; an unknown collection is 404', async () => {
    const search = { vector: seedVector(3), k: 5, exact: false };
    const before = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, search), 200).json() as { hits: Hit[] };
    const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/optimize`, {}), 200).json() as { segments: number; bytes: number; seconds: number };
    expect(reply.segments).toBe(availableParallelism());
    // Every seeded vector went through the files, at 4 bytes a float.
    expect(reply.bytes).toBeGreaterThan(SEED_COUNT * DIMENSION * 4);
    expect(reply.seconds).toBeGreaterThan(0);
    // A new body each time: the result cache must not answer this one.
    const after = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { ...search, k: 6 }), 200).json() as { hits: Hit[] };
    expect(after.hits.slice(0, 5)).toEqual(before.hits);
    expect(errorOf(expectStatus(await send(t.app, 'POST', '/collections/missing/optimize', {}), 404)).code).toBe('COLLECTION_NOT_FOUND');
  });

  it('optimize needs no body: none, an empty one, or {}; another body is 400', async () => {
    const url = `/collections/${COLLECTION}/optimize`;
    expectStatus(await t.app.inject({ method: 'POST', url }), 200);
    expectStatus(await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '' }), 200);
    expectStatus(await send(t.app, 'POST', url, {}), 200);
    expect(errorOf(expectStatus(await send(t.app, 'POST', url, { segments: 1 }), 400)).code).toBe('INVALID_REQUEST');
  });

  it('a body declared in a charset other than UTF-8 is 400 and changes nothing; an empty body where one is needed is 400', async () => {
    const documents = `/collections/${COLLECTION}/documents`;
    const body = JSON.stringify({ documents: [{ id: 'utf16', vector: seedVector(1) }] });
    for (const charset of ['utf-16', 'UTF-16LE', 'latin1', '"iso-8859-1"']) {
      const reply = await t.app.inject({ method: 'POST', url: documents, headers: { 'content-type': `application/json; charset=${charset}` }, payload: body });
      expect({ charset, status: reply.statusCode, code: errorOf(reply).code }).toEqual({ charset, status: 400, code: 'INVALID_REQUEST' });
      expect(errorOf(reply).message).toMatch(/UTF-8/);
    }
    const search = await t.app.inject({ method: 'POST', url: `/collections/${COLLECTION}/search`, headers: { 'content-type': 'application/json; charset=utf-16' }, payload: JSON.stringify({ vector: seedVector(1) }) });
    expect(errorOf(search).code).toBe('INVALID_REQUEST');
    expect(t.db.collection(COLLECTION).count).toBe(SEED_COUNT);
    for (const charset of ['utf-8', 'UTF8']) {
      const reply = await t.app.inject({ method: 'POST', url: documents, headers: { 'content-type': `application/json; charset=${charset}` }, payload: body });
      expect({ charset, status: reply.statusCode }).toEqual({ charset, status: 200 });
    }
    const empty = await t.app.inject({ method: 'POST', url: documents, headers: { 'content-type': 'application/json' }, payload: '' });
    expect({ status: empty.statusCode, code: errorOf(empty).code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
  });

  it('list shows every collection with its count and version', async () => {
    expectStatus(await send(t.app, 'POST', '/collections', { name: 'empty', dimension: 2 }), 201);
    const { collections } = expectStatus(await send(t.app, 'GET', '/collections'), 200).json() as { collections: { name: string; count: number; version: number; state: string }[] };
    expect(collections.map((c) => [c.name, c.state, c.count, c.version]).sort()).toEqual([
      ['docs', 'ready', SEED_COUNT, 1],
      ['empty', 'ready', 0, 0],
    ]);
  });

  it('describe returns the settings and counts of one collection', async () => {
    const info = expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}`), 200).json();
    expect(info).toMatchObject({ name: COLLECTION, state: 'ready', dimension: DIMENSION, metric: 'cosine', count: SEED_COUNT, version: 1, tombstones: 0 });
  });

  it('drop answers 204 and the collection is gone', async () => {
    const reply = expectStatus(await send(t.app, 'DELETE', `/collections/${COLLECTION}`), 204);
    expect(reply.body).toBe('');
    expect(expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}`), 404).json().code).toBe('COLLECTION_NOT_FOUND');
    expect(t.db.hasCollection(COLLECTION)).toBe(false);
  });
});

describe('aliases', () => {
  it('create, list (also with the collections), search and write by alias, switch, drop', async () => {
    expectStatus(await send(t.app, 'POST', '/collections', { name: 'docs2', dimension: DIMENSION, metric: 'cosine' }), 201);
    expectStatus(await send(t.app, 'POST', '/collections/docs2/documents', { documents: [{ id: 'only', vector: seedVector(1), text: 'document two' }] }), 200);
    expect(expectStatus(await send(t.app, 'POST', '/aliases', { alias: 'current', collection: COLLECTION }), 201).json()).toEqual({ alias: 'current', collection: COLLECTION });
    expect(expectStatus(await send(t.app, 'GET', '/aliases'), 200).json()).toEqual({ aliases: [{ alias: 'current', collection: COLLECTION }] });
    expect(expectStatus(await send(t.app, 'GET', '/collections'), 200).json().aliases).toEqual([{ alias: 'current', collection: COLLECTION }]);

    const search = { vector: seedVector(1), k: 1, include: [] };
    expect(expectStatus(await send(t.app, 'POST', '/collections/current/search', search), 200).json().hits[0].id).toBe('d1');
    // Answered from the cache the second time; after the switch, the new collection's answer.
    expect(expectStatus(await send(t.app, 'POST', '/collections/current/search', search), 200).json().cached).toBe(true);
    expectStatus(await send(t.app, 'PUT', '/aliases/current', { collection: 'docs2' }), 200);
    expect(expectStatus(await send(t.app, 'POST', '/collections/current/search', search), 200).json().hits[0].id).toBe('only');
    expect(expectStatus(await send(t.app, 'POST', '/collections/current/documents', { documents: [{ id: 'new', vector: seedVector(2) }] }), 200).json().upserted).toBe(1);
    expect(t.db.collection('docs2').count).toBe(2);
    expect(expectStatus(await send(t.app, 'GET', '/collections/current'), 200).json().name).toBe('docs2');

    expect(errorOf(expectStatus(await send(t.app, 'DELETE', '/collections/current'), 400)).code).toBe('INVALID_ARGUMENT');
    expectStatus(await send(t.app, 'DELETE', '/aliases/current'), 204);
    expect(errorOf(expectStatus(await send(t.app, 'POST', '/collections/current/search', search), 404)).code).toBe('COLLECTION_NOT_FOUND');
    expect(t.db.collection('docs2').count).toBe(2);
  });
});

describe('documents', () => {
  it('upsert inserts and replaces in one write and returns the new version', async () => {
    const reply = await send(t.app, 'POST', `/collections/${COLLECTION}/documents`, {
      documents: [
        { id: 'd0', vector: [0.5, 0.5, 0.5, 0.5], text: 'replaced' },
        { id: 'new', vector: [1, 0, 0, 0], metadata: { group: 9 } },
      ],
    });
    expect(expectStatus(reply, 200).json()).toEqual({ upserted: 2, version: 2 });
    expect(t.db.collection(COLLECTION).count).toBe(SEED_COUNT + 1);
    expect(expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/d0`), 200).json()).toEqual({
      id: 'd0',
      vector: [0.5, 0.5, 0.5, 0.5],
      text: 'replaced',
    });
  });

  it('get one returns the document with its vector exactly as written', async () => {
    const reply = expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/d7`), 200);
    expect(reply.json()).toEqual({ id: 'd7', vector: seedVector(7), text: 'document 7', metadata: { group: 1, price: 7, tags: ['odd'] } });
  });

  it('get one decodes ids from the path', async () => {
    expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/documents`, { documents: [{ id: 'a/b c?é', vector: [1, 2, 3, 4] }] }), 200);
    const reply = expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/${encodeURIComponent('a/b c?é')}`), 200);
    expect(reply.json().id).toBe('a/b c?é');
  });

  it('get many returns found documents in order and lists the missing ids', async () => {
    const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/documents/get`, { ids: ['d3', 'nope', 'd1'] }), 200);
    const body = reply.json() as { documents: { id: string; vector: number[] }[]; missing: string[] };
    expect(body.documents.map((d) => d.id)).toEqual(['d3', 'd1']);
    expect(body.documents[0]!.vector).toEqual(seedVector(3));
    expect(body.missing).toEqual(['nope']);
  });

  it('delete by ids deletes what exists and skips the rest', async () => {
    const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/documents/delete`, { ids: ['d1', 'd2', 'nope'] }), 200);
    expect(reply.json()).toEqual({ deleted: 2, version: 2 });
    expect(t.db.collection(COLLECTION).count).toBe(SEED_COUNT - 2);
    expectStatus(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/d1`), 404);
  });

  it('delete by filter deletes every match in one write', async () => {
    const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/documents/delete`, { filter: { group: 0 } }), 200);
    expect(reply.json()).toEqual({ deleted: 7, version: 2 });
    expect(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/count`, { filter: { group: 0 } }), 200).json()).toEqual({ count: 0 });
  });

  it('delete one by id answers deleted 1, then 0 once it is gone', async () => {
    const docs = `/collections/${COLLECTION}/documents`;
    expect(expectStatus(await send(t.app, 'DELETE', `${docs}/d3`), 200).json()).toEqual({ deleted: 1, version: 2 });
    expect(expectStatus(await send(t.app, 'DELETE', `${docs}/d3`), 200).json()).toEqual({ deleted: 0, version: 2 });
    expectStatus(await send(t.app, 'GET', `${docs}/d3`), 404);
    expect(t.db.collection(COLLECTION).count).toBe(SEED_COUNT - 1);
  });

  it('delete by a filter without conditions is refused unless all is true; all goes with a filter only', async () => {
    const docs = `/collections/${COLLECTION}/documents`;
    expect(errorOf(expectStatus(await send(t.app, 'POST', `${docs}/delete`, { filter: {} }), 400)).code).toBe('INVALID_FILTER');
    expect(errorOf(expectStatus(await send(t.app, 'POST', `${docs}/delete`, { ids: ['d1'], all: true }), 400)).code).toBe('INVALID_REQUEST');
    expect(t.db.collection(COLLECTION).count).toBe(SEED_COUNT);
    expect(expectStatus(await send(t.app, 'POST', `${docs}/delete`, { filter: {}, all: true }), 200).json()).toEqual({ deleted: SEED_COUNT, version: 2 });
  });

  it('patch one changes metadata and text and keeps the vector; an unknown id is 404 and changes nothing', async () => {
    const docs = `/collections/${COLLECTION}/documents`;
    const reply = expectStatus(await send(t.app, 'PATCH', `${docs}/d4`, { set: { group: 9 }, unset: ['tags'], text: 'patched' }), 200);
    expect(reply.json()).toEqual({ updated: 1, version: 2 });
    expect(expectStatus(await send(t.app, 'GET', `${docs}/d4`), 200).json()).toEqual({ id: 'd4', vector: seedVector(4), text: 'patched', metadata: { group: 9, price: 4 } });
    expect(errorOf(expectStatus(await send(t.app, 'PATCH', `${docs}/nope`, { set: { group: 1 } }), 404)).code).toBe('DOCUMENT_NOT_FOUND');
    expect(errorOf(expectStatus(await send(t.app, 'PATCH', `${docs}/d4`, {}), 400)).code).toBe('INVALID_REQUEST');
    expect(errorOf(expectStatus(await send(t.app, 'PATCH', `${docs}/d4`, { vector: seedVector(1) }), 400)).code).toBe('INVALID_REQUEST');
    expect(t.db.collection(COLLECTION).version).toBe(2);
  });

  it('update by ids and by filter; a search cached before it answers the new state after it', async () => {
    const docs = `/collections/${COLLECTION}/documents`;
    const search = { vector: seedVector(5), k: 3, filter: { group: 8 } };
    expect(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, search), 200).json().hits).toEqual([]);
    const byIds = await send(t.app, 'POST', `${docs}/update`, { updates: [{ id: 'd5', set: { group: 8 } }, { id: 'd6', metadata: null }] });
    expect(expectStatus(byIds, 200).json()).toEqual({ updated: 2, version: 2 });
    expect(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, search), 200).json().hits.map((hit: Hit) => hit.id)).toEqual(['d5']);
    const byFilter = await send(t.app, 'POST', `${docs}/update`, { filter: { group: 0 }, change: { set: { zero: true } } });
    // d6 was in group 0 until its metadata was removed above.
    expect(expectStatus(byFilter, 200).json()).toEqual({ updated: 6, version: 3 });
    expect(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/count`, { filter: { zero: true } }), 200).json()).toEqual({ count: 6 });
    expect(errorOf(expectStatus(await send(t.app, 'POST', `${docs}/update`, { filter: {}, change: { set: { a: 1 } } }), 400)).code).toBe('INVALID_FILTER');
    expect(errorOf(expectStatus(await send(t.app, 'POST', `${docs}/update`, { updates: [{ id: 'd1', set: { a: 1 } }], filter: { group: 1 } }), 400)).code).toBe('INVALID_REQUEST');
    expect(errorOf(expectStatus(await send(t.app, 'POST', `${docs}/update`, { updates: [{ id: 'd1', set: { a: 1 } }, { id: 'nope', set: { a: 1 } }] }), 404)).code).toBe('DOCUMENT_NOT_FOUND');
    expect(t.db.collection(COLLECTION).version).toBe(3);
  });

  it('list pages through every document with the cursor', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const body: Record<string, unknown> = { limit: 6, include: ['metadata'] };
      if (after !== null) body.after = after;
      const page = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/documents/list`, body), 200).json() as {
        documents: { id: string; metadata?: unknown; vector?: unknown; text?: unknown }[];
        next: string | null;
      };
      for (const document of page.documents) {
        expect(document.metadata).toBeDefined();
        expect(document.vector).toBeUndefined();
        expect(document.text).toBeUndefined();
        seen.push(document.id);
      }
      after = page.next;
      pages++;
    } while (after !== null);
    expect(pages).toBe(4);
    expect(seen.sort()).toEqual(Array.from({ length: SEED_COUNT }, (_, i) => `d${i}`).sort());
  });

  it('list filters and includes vectors when asked', async () => {
    const page = expectStatus(
      await send(t.app, 'POST', `/collections/${COLLECTION}/documents/list`, { filter: { price: { $lt: 3 } }, include: ['vector'] }),
      200,
    ).json() as { documents: { id: string; vector: number[] }[]; next: string | null };
    expect(page.next).toBeNull();
    expect(page.documents.map((d) => d.id).sort()).toEqual(['d0', 'd1', 'd2']);
    expect(page.documents.find((d) => d.id === 'd2')!.vector).toEqual(seedVector(2));
  });

  it('count counts all documents or the filtered ones', async () => {
    expect(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/count`, {}), 200).json()).toEqual({ count: SEED_COUNT });
    expect(
      expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/count`, { filter: { $or: [{ group: 1 }, { tags: 'even' }] } }), 200).json(),
    ).toEqual({ count: 14 });
  });
});

describe('search', () => {
  it('returns the k nearest documents, best first, with metadata and text by default', async () => {
    const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(4), k: 3 }), 200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const body = reply.json() as { hits: Hit[]; cached: boolean };
    expect(body.cached).toBe(false);
    expect(body.hits).toHaveLength(3);
    expect(body.hits[0]).toMatchObject({ id: 'd4', text: 'document 4', metadata: { group: 1, price: 4 } });
    expect(body.hits[0]!.score).toBeCloseTo(1, 5);
    for (let i = 1; i < body.hits.length; i++) expect(body.hits[i]!.score).toBeLessThanOrEqual(body.hits[i - 1]!.score);
  });

  it('an embedded server takes a read consistency and answers as without it (every read sees every acknowledged write); a bad one is 400', async () => {
    const plain = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(4), k: 3 }), 200).json() as { hits: Hit[] };
    for (const read of [{ consistency: 'strong' }, { consistency: 'eventual' }, { minVersion: 3 }, { consistency: 'session', minVersion: 1e6 }]) {
      const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(4), k: 3, ...read }), 200).json() as { hits: Hit[] };
      expect(reply.hits).toEqual(plain.hits);
      const count = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/count`, read), 200).json() as { count: number };
      expect(count.count).toBe(SEED_COUNT);
    }
    expect(errorOf(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(4), consistency: 'linearizable' })).code).toBe('INVALID_REQUEST');
    expect(errorOf(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(4), minVersion: -1 })).code).toBe('INVALID_REQUEST');
  });

  it('filters, includes vectors, and explains the plan', async () => {
    const reply = expectStatus(
      await send(t.app, 'POST', `/collections/${COLLECTION}/search`, {
        vector: seedVector(4),
        k: 20,
        filter: { group: 2 },
        include: ['vector'],
        explain: true,
        exact: true,
      }),
      200,
    );
    const body = reply.json() as { hits: Hit[]; explain: { plan: string; forced: boolean; candidates: number; total: number } };
    expect(body.hits.map((h) => h.id).sort()).toEqual(['d11', 'd14', 'd17', 'd2', 'd5', 'd8']);
    for (const hit of body.hits) {
      expect(hit.metadata).toBeUndefined();
      // The vector as it was written, not the normalised copy the index holds.
      expect(hit.vector).toEqual(seedVector(Number(hit.id.slice(1))));
    }
    expect(body.explain).toMatchObject({ plan: 'exact', forced: true, candidates: 6, total: SEED_COUNT });
  });

  it('HNSW (exact: false) finds the same nearest document as the exact scan', async () => {
    const search = async (exact: boolean) =>
      (expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(9), k: 1, exact, explain: true }), 200).json() as {
        hits: Hit[];
        explain: { plan: string };
      });
    const [approximate, exact] = [await search(false), await search(true)];
    expect(approximate.explain.plan).toBe('hnsw');
    expect(exact.explain.plan).toBe('exact');
    expect(approximate.hits.map((h) => h.id)).toEqual(exact.hits.map((h) => h.id));
  });

  it('keyword search (text only) ranks by BM25 and explains a keyword plan', async () => {
    expectStatus(
      await send(t.app, 'POST', `/collections/${COLLECTION}/documents`, {
        documents: [
          { id: 'apples', vector: [1, 0, 0, 0], text: 'Red apples and green apples in the orchard' },
          { id: 'sky', vector: [0, 1, 0, 0], text: 'The blue sky over the sea' },
          { id: 'pie', vector: [0, 0, 1, 0], text: 'Apple pie recipe' },
        ],
      }),
      200,
    );
    const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { text: 'apple', explain: true }), 200);
    const body = reply.json() as { hits: Hit[]; explain: { plan: string } };
    expect(body.hits.map((h) => h.id).sort()).toEqual(['apples', 'pie']);
    expect(body.hits[0]!.score).toBeGreaterThanOrEqual(body.hits[1]!.score);
    expect(body.explain.plan).toBe('keyword');
    expect(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { text: 'zebra' }), 200).json().hits).toEqual([]);
  });

  it('hybrid search (vector and text) fuses both sides, with relativeScore or rrf', async () => {
    expectStatus(
      await send(t.app, 'POST', `/collections/${COLLECTION}/documents`, {
        documents: [
          { id: 'apples', vector: [1, 0, 0, 0], text: 'Red apples and green apples in the orchard' },
          { id: 'pie', vector: [0, 0, 1, 0], text: 'Apple pie recipe' },
        ],
      }),
      200,
    );
    for (const fusion of ['relativeScore', 'rrf'] as const) {
      const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { text: 'apple', vector: [0, 0, 1, 0], k: 3, fusion, explain: true }), 200);
      const body = reply.json() as { hits: (Hit & { vectorScore?: number; keywordScore?: number })[]; explain: { plan: string } };
      expect(body.explain.plan).toBe('hybrid');
      // 'pie' is first on both sides.
      expect(body.hits[0]).toMatchObject({ id: 'pie', vectorScore: expect.any(Number), keywordScore: expect.any(Number) });
      expect(body.hits).toHaveLength(3);
    }
    // alpha 1: only the vector side counts.
    const vectorOnly = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { text: 'apple', vector: [1, 0, 0, 0], alpha: 1, k: 1 }), 200);
    expect((vectorOnly.json() as { hits: Hit[] }).hits.map((h) => h.id)).toEqual(['apples']);
  });

  it('result controls: offset, minScore, groupBy, mmr and like answer as the library does', async () => {
    const collection = t.db.collection(COLLECTION);
    const requests = [
      { vector: seedVector(2), k: 3, offset: 3, exact: true },
      { text: 'document', k: 5, minScore: 0 },
      { vector: seedVector(2), k: 2, groupBy: 'group', groupSize: 2, filter: { price: { $gte: 4 } } },
      { vector: seedVector(2), k: 4, mmr: { lambda: 0.2, candidates: 12 } },
      { like: ['d1', 'd2'], unlike: ['d7'], k: 3 },
    ];
    for (const request of requests) {
      const reply = expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { ...request, include: ['metadata'] }), 200);
      const expected = await collection.search({ ...request, include: ['metadata'] } as Parameters<typeof collection.search>[0]);
      expect(reply.json().hits).toEqual(JSON.parse(JSON.stringify(expected)));
    }
    expect((expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(2), k: 2, groupBy: 'group' }), 200).json().hits as Hit[]).map((hit) => typeof (hit as { group?: unknown }).group)).toEqual(['number', 'number']);
    expect(errorOf(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { like: ['nope'] }), 404)).code).toBe('DOCUMENT_NOT_FOUND');
    expect(errorOf(expectStatus(await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(2), mmr: { lambda: 3 } }), 400)).code).toBe('INVALID_REQUEST');
  });

  it('batch search answers each search in order', async () => {
    const reply = expectStatus(
      await send(t.app, 'POST', `/collections/${COLLECTION}/search/batch`, {
        searches: [{ vector: seedVector(1), k: 1 }, { vector: seedVector(2), k: 2, filter: { group: 2 } }, { vector: seedVector(1), k: 1 }],
      }),
      200,
    );
    const { results } = reply.json() as { results: { hits: Hit[]; cached: boolean }[] };
    expect(results).toHaveLength(3);
    expect(results[0]!.hits.map((h) => h.id)).toEqual(['d1']);
    expect(results[1]!.hits[0]!.id).toBe('d2');
    expect(results[1]!.hits).toHaveLength(2);
    expect(results.map((r) => r.cached)).toEqual([false, false, true]);
    expect(results[2]).toEqual({ ...results[0], cached: true });
  });
});

describe('health, metrics and docs', () => {
  it('/health answers ok', async () => {
    expect(expectStatus(await send(t.app, 'GET', '/health'), 200).json()).toEqual({ status: 'ok' });
  });

  it('/health/ready is ready until draining or closing', async () => {
    expect(expectStatus(await send(t.app, 'GET', '/health/ready'), 200).json()).toEqual({ status: 'ready' });
    t.drain();
    expect(expectStatus(await send(t.app, 'GET', '/health/ready'), 503).json()).toEqual({ status: 'unavailable' });
    expect(expectStatus(await send(t.app, 'GET', '/health'), 200).json()).toEqual({ status: 'ok' });

    const other = await makeApp();
    await other.db.close();
    expect(expectStatus(await send(other.app, 'GET', '/health/ready'), 503).json()).toEqual({ status: 'unavailable' });
    await other.close();
  });

  it('/metrics exposes Prometheus text with requests, collections, documents and process metrics', async () => {
    await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(0) });
    const reply = expectStatus(await send(t.app, 'GET', '/metrics'), 200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain/);
    const text = reply.body;
    expect(metricValue(text, 'quiver_collections')).toBe(1);
    expect(metricValue(text, 'quiver_documents', '{collection="docs"}')).toBe(SEED_COUNT);
    expect(metricValue(text, 'quiver_http_requests_total', '{route="/collections/:name/search",method="POST",status="200"}')).toBe(1);
    expect(metricValue(text, 'quiver_http_requests_total', '{route="/collections",method="POST",status="201"}')).toBe(1);
    expect(text).toMatch(/^quiver_search_duration_seconds_count\{plan="(exact|hnsw)"\} 1$/m);
    expect(text).toMatch(/^quiver_http_request_duration_seconds_bucket\{/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
  });


  it('/metrics gives each route, method and status a well-formed latency histogram', async () => {
    for (let i = 0; i < 3; i++) expectStatus(await send(t.app, 'GET', '/health'), 200);
    expectStatus(await send(t.app, 'GET', '/collections/nope'), 404);
    const text = expectStatus(await send(t.app, 'GET', '/metrics'), 200).body;
    const series = '{route="/health",method="GET",status="200"';
    const buckets = [...metricValues(text, 'quiver_http_request_duration_seconds_bucket')].filter(([labels]) => labels.startsWith(series));
    // Every bound in order, cumulative, ending in +Inf with the count.
    expect(buckets.map(([labels]) => /le="([^"]+)"/.exec(labels)![1])).toEqual([
      '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '10', '+Inf',
    ]);
    const counts = buckets.map(([, value]) => value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(3);
    expect(metricValue(text, 'quiver_http_request_duration_seconds_count', `${series}}`)).toBe(3);
    expect(metricValue(text, 'quiver_http_request_duration_seconds_sum', `${series}}`)).toBeGreaterThan(0);
    expect(metricValue(text, 'quiver_http_requests_total', `${series}}`)).toBe(3);
    expect(metricValue(text, 'quiver_http_requests_total', '{route="/collections/:name",method="GET",status="404"}')).toBe(1);
  });
  it('/metrics reports the worker threads and each collection\'s indexing backlog', async () => {
    const db = await openDatabase({ workers: 1 });
    const other = await makeApp({}, db);
    try {
      expectStatus(await send(other.app, 'POST', '/collections', { name: 'w', dimension: 2, metric: 'l2' }), 201);
      expectStatus(await send(other.app, 'POST', '/collections/w/documents', { documents: [{ id: 'a', vector: [1, 2] }] }), 200);
      await db.collection('w').indexed();
      const text = expectStatus(await send(other.app, 'GET', '/metrics'), 200).body;
      expect(metricValue(text, 'quiver_workers')).toBe(1);
      expect(metricValue(text, 'quiver_worker_requests_in_flight')).toBe(0);
      expect(metricValue(text, 'quiver_worker_queued_changes')).toBe(0);
      expect(metricValue(text, 'quiver_worker_wait_seconds_total')).toBeGreaterThanOrEqual(0);
      // The create and the write were answered; the pool is the process's, so other tests' requests may count too.
      expect(metricValue(text, 'quiver_worker_requests_total')).toBeGreaterThanOrEqual(2);
      expect(metricValue(text, 'quiver_worker_lane_searches_total')).toBeLessThanOrEqual(metricValue(text, 'quiver_worker_requests_total')!);
      expect(metricValue(text, 'quiver_indexing_backlog', '{collection="w"}')).toBe(0);
      const info = expectStatus(await send(other.app, 'GET', '/collections/w'), 200).json() as { indexingBacklog: number; hnsw: { segments: number } };
      expect(info).toMatchObject({ indexingBacklog: 0, hnsw: { segments: 1 } });
    } finally {
      await other.close();
    }
    const inline = await makeApp({}, await openDatabase({ workers: 0 }));
    expect(metricValue(expectStatus(await send(inline.app, 'GET', '/metrics'), 200).body, 'quiver_workers')).toBe(0);
    await inline.close();
  });

  it('/metrics reports the field cache: a repeated search reads its hits\' fields from memory', async () => {
    const other = await makeApp({}, await openDatabase({ workers: 0 }));
    try {
      expectStatus(await send(other.app, 'POST', '/collections', { name: 'f', dimension: 2, metric: 'l2' }), 201);
      expectStatus(await send(other.app, 'POST', '/collections/f/documents', { documents: [{ id: 'a', vector: [1, 2], text: 'hello' }] }), 200);
      // Two different queries, so the second is not answered from the result cache.
      for (const vector of [[1, 2], [1, 3]]) expectStatus(await send(other.app, 'POST', '/collections/f/search', { vector, k: 1 }), 200);
      const text = expectStatus(await send(other.app, 'GET', '/metrics'), 200).body;
      expect(metricValue(text, 'quiver_field_cache_misses_total')).toBe(1);
      expect(metricValue(text, 'quiver_field_cache_hits_total')).toBe(1);
      expect(metricValue(text, 'quiver_field_cache_bytes')).toBeGreaterThan('hello'.length);
    } finally {
      await other.close();
    }
  });

  it('/openapi.json is an OpenAPI 3 document listing every route', async () => {
    const spec = expectStatus(await send(t.app, 'GET', '/openapi.json'), 200).json() as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(spec.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof spec.info.title).toBe('string');
    expect(typeof spec.info.version).toBe('string');
    expect(Object.keys(spec.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
    // The search route's summary names all three kinds of search, and the document says it needs a key when keys are on.
    const summary = (spec.paths['/collections/{name}/search'] as Record<string, { summary?: string }>).post!.summary!;
    for (const kind of ['vector', 'keywords', 'hybrid']) expect(summary).toContain(kind);
    expect((spec.info as { description?: string }).description).toMatch(/needs one.*this document and the \/docs page included/);

    const operations = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'GET /health',
        'GET /health/ready',
        'GET /metrics',
        'GET /access',
        'POST /collections',
        'GET /collections',
        'GET /collections/{name}',
        'DELETE /collections/{name}',
        'POST /collections/{name}/cache/lookup',
        'POST /collections/{name}/cache/entries',
        'POST /collections/{name}/cache/evict',
        'GET /aliases',
        'POST /aliases',
        'PUT /aliases/{alias}',
        'DELETE /aliases/{alias}',
        'POST /collections/{name}/optimize',
        'POST /collections/{name}/documents',
        'GET /collections/{name}/documents/{id}',
        'POST /collections/{name}/documents/get',
        'POST /collections/{name}/documents/delete',
        'DELETE /collections/{name}/documents/{id}',
        'PATCH /collections/{name}/documents/{id}',
        'POST /collections/{name}/documents/update',
        'POST /collections/{name}/documents/list',
        'POST /collections/{name}/count',
        'POST /collections/{name}/search',
        'GET /collections/{name}/search',
        'POST /collections/{name}/search/batch',
        'POST /backup',
      ].sort(),
    );

    const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
    for (const [path, item] of Object.entries(spec.paths)) {
      expect(path.startsWith('/')).toBe(true);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of Object.entries(item)) {
        expect(methods.has(method)).toBe(true);
        // Every path template variable is a required path parameter (OpenAPI 3 "Path Templating").
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort()).toEqual([...templated].sort());
        for (const parameter of declared) expect(parameter.required).toBe(true);
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
        for (const status of Object.keys(operation.responses)) expect(status).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        if (method === 'post' && path !== '/collections/{name}/documents/{id}') expect(operation.requestBody).toBeDefined();
      }
    }
  });

  it('/docs serves the Swagger UI', async () => {
    const reply = await send(t.app, 'GET', '/docs/');
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(reply.body).toMatch(/swagger-ui/i);
    const redirect = await send(t.app, 'GET', '/docs');
    expect([200, 302]).toContain(redirect.statusCode);
    const css = await send(t.app, 'GET', '/docs/static/swagger-ui.css');
    expect(css.statusCode).toBe(200);
  });
});
