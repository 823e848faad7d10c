/**
 * Collections at the edge of memory: a write that does not fit is rejected
 * whole with nothing stored; a collection whose index cannot be built opens
 * degraded, its documents still readable; a collection spread over several
 * WebAssembly memories answers and reopens as one in a single memory does;
 * an int8 collection keeps codes only, across a reopen; an empty collection
 * holds next to nothing, and creating one is admitted like a write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GRAPH_FIXED_BYTES } from '../../../src/core/graph/hnsw-index.js';
import { COLLECTION_BASE_BYTES } from '../../../src/core/collection/memory-budget.js';
import { INT8_FIT_SAMPLE } from '../../../src/core/options.js';
import { SegmentServer, type SegmentRequest } from '../../../src/core/graph/hosting/segment-server.js';
import { openDatabase, QuiverError, type DocumentInput } from '../../../src/index.js';
import { randomVectors } from '../../fixtures/random.js';

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-memory-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function documents(data: Float32Array, dim: number, from: number, to: number): DocumentInput[] {
  return Array.from({ length: to - from }, (_, i) => ({
    id: `d${from + i}`,
    vector: data.subarray((from + i) * dim, (from + i + 1) * dim),
    text: `document ${from + i}`,
    metadata: { group: (from + i) % 4 },
  }));
}

async function rejection(action: Promise<unknown>): Promise<QuiverError> {
  const error = await action.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(QuiverError);
  return error as QuiverError;
}

describe('a write that does not fit in memory', () => {
  it('is rejected whole with OUT_OF_MEMORY, saying what ran out; nothing is stored and the collection goes on serving', async () => {
    const dim = 32;
    const data = randomVectors(3000, dim, 1);
    const path = tempDir();
    // Room for the collection and its two graph segments, and about 1,500 documents of dim 32 (graph included).
    const fixed = COLLECTION_BASE_BYTES + 2 * GRAPH_FIXED_BYTES;
    const db = await openDatabase({ path, logger: silent, workers: 2, memoryLimit: fixed + 1500 * (32 * 4 + 400) });
    const docs = await db.createCollection('docs', { dimension: dim, hnsw: { m: 8 } });
    await docs.upsert(documents(data, dim, 0, 1000));
    const before = { count: docs.count, version: docs.version, hits: await docs.search({ vector: data.subarray(0, dim), k: 5 }) };

    const error = await rejection(docs.upsert(documents(data, dim, 1000, 3000)));
    expect(error.code).toBe('OUT_OF_MEMORY');
    expect(error.message).toMatch(/needs .* more for 2000 new documents.*memoryLimit/);

    // Nothing of the batch: not counted, not readable, not searchable, not listed, version unchanged.
    expect({ count: docs.count, version: docs.version }).toEqual({ count: before.count, version: before.version });
    expect(await docs.get('d1500')).toBeNull();
    expect(await docs.getMany(['d1000', 'd2999'])).toEqual([null, null]);
    expect((await docs.list({ limit: 10_000 })).documents).toHaveLength(1000);
    expect(await docs.search({ vector: data.subarray(0, dim), k: 5 })).toEqual(before.hits);
    const near = await docs.search({ vector: data.subarray(2000 * dim, 2001 * dim), k: 1, exact: true });
    expect(Number(near[0]!.id.slice(1))).toBeLessThan(1000);

    // Replacing existing documents needs no new memory: still accepted.
    await docs.upsert(documents(data, dim, 0, 10).map((doc) => ({ ...doc, text: 'replaced' })));
    expect((await docs.get('d3'))?.text).toBe('replaced');
    await db.close();

    // The store holds exactly the accepted writes.
    const reopened = await openDatabase({ path, logger: silent });
    const again = reopened.collection('docs');
    expect(again.count).toBe(1000);
    expect(await again.get('d1000')).toBeNull();
    await reopened.close();
  });
});

describe('a collection whose index cannot be built on open', () => {
  it('opens degraded: documents can be read, listed, counted and deleted; search and upsert say why; with room again it searches', async () => {
    const dim = 16;
    const data = randomVectors(600, dim, 2);
    const path = tempDir();
    const db = await openDatabase({ path, logger: silent });
    await (await db.createCollection('big', { dimension: dim, hnsw: { segments: 2 } })).upsert(documents(data, dim, 0, 600));
    await (await db.createCollection('small', { dimension: 2, hnsw: { segments: 2 } })).upsert([{ id: 's', vector: [1, 0] }]);
    await db.close();

    // Room for both collections, for `small`'s graph segments and documents, not for `big`'s.
    const tight = await openDatabase({ path, logger: silent, memoryLimit: 2 * COLLECTION_BASE_BYTES + 2 * GRAPH_FIXED_BYTES + 50_000 });
    const big = tight.collection('big');
    expect(big.info).toMatchObject({ state: 'degraded', count: 600, reason: expect.stringMatching(/needs .* to load its 600 documents.*memoryLimit/) });
    expect(tight.listCollections().map((c) => [c.name, c.state])).toEqual([['big', 'degraded'], ['small', 'ready']]);
    expect((await tight.collection('small').search({ vector: [1, 0], k: 1 }))[0]!.id).toBe('s');

    expect(await big.get('d7')).toEqual({ id: 'd7', vector: data.slice(7 * dim, 8 * dim), text: 'document 7', metadata: { group: 3 } });
    expect((await big.list({ filter: { group: 1 }, limit: 1000 })).documents).toHaveLength(150);
    expect(await big.countWhere({ group: 2 })).toBe(150);
    expect((await rejection(big.search({ vector: data.subarray(0, dim) }))).code).toBe('INDEX_UNAVAILABLE');
    expect((await rejection(big.upsert(documents(data, dim, 0, 1)))).code).toBe('INDEX_UNAVAILABLE');
    // Deleting is how a user makes it fit again.
    expect((await big.deleteWhere({ group: 0 })).deleted).toBe(150);
    expect((await big.delete(['d1'])).deleted).toBe(1);
    expect(big.count).toBe(449);
    await tight.close();

    const roomy = await openDatabase({ path, logger: silent });
    const healed = roomy.collection('big');
    expect(healed.info.state).toBe('ready');
    expect(healed.count).toBe(449);
    const hits = await healed.search({ vector: data.subarray(4 * dim, 5 * dim), k: 600, exact: true });
    expect(hits).toHaveLength(449);
    expect(hits.some((hit) => hit.id === 'd1' || Number(hit.id.slice(1)) % 4 === 0)).toBe(false);
    await roomy.close();
  });
});

describe('a collection spread over several WebAssembly memories', () => {
  it('answers exact and HNSW searches as a reference does, and reopens from its snapshot with the same answers', async () => {
    const dim = 48;
    const count = 6000;
    const data = randomVectors(count, dim, 3);
    const queries = randomVectors(10, dim, 4);
    const path = tempDir();
    // Chunks of 32 rows (6 KiB) in memories of 1 MiB: the vectors alone (1.1 MiB) need two.
    const vectorMemory = { chunkBytes: 8192, heapBytes: 2 ** 20 };
    const db = await openDatabase({ path, logger: silent, vectorMemory, workers: 0 });
    const docs = await db.createCollection('docs', { dimension: dim, metric: 'l2', hnsw: { m: 16, efConstruction: 100 } });
    for (let from = 0; from < count; from += 1000) await docs.upsert(documents(data, dim, from, from + 1000));
    await docs.delete(['d10', 'd11', 'd4999']);
    await docs.indexed();
    expect(db.wasmMemoryBytes).toBeGreaterThan(2 ** 20);

    const reference = (query: Float32Array) =>
      Array.from({ length: count }, (_, i) => ({ id: `d${i}`, d: data.subarray(i * dim, (i + 1) * dim).reduce((sum, x, j) => sum + (x - query[j]!) ** 2, 0) }))
        .filter((entry) => !['d10', 'd11', 'd4999'].includes(entry.id))
        .sort((a, b) => a.d - b.d)
        .map((entry) => entry.id);
    const answers = async (collection: typeof docs) => {
      const out: string[][] = [];
      for (let q = 0; q < 10; q++) {
        const query = queries.subarray(q * dim, (q + 1) * dim);
        const exact = (await collection.search({ vector: query, k: 20, exact: true, include: [] })).map((hit) => hit.id);
        expect(exact).toEqual(reference(query).slice(0, 20));
        const filtered = await collection.search({ vector: query, k: 10, exact: true, filter: { group: 2 }, include: ['metadata'] });
        expect(filtered.map((hit) => hit.id)).toEqual(reference(query).filter((id) => Number(id.slice(1)) % 4 === 2).slice(0, 10));
        out.push(exact, (await collection.search({ vector: query, k: 10, exact: false, include: [] })).map((hit) => hit.id));
      }
      return out;
    };
    const before = await answers(docs);
    await db.close();

    const reopened = await openDatabase({ path, logger: silent, vectorMemory, workers: 0 });
    expect(await answers(reopened.collection('docs'))).toEqual(before);
    await reopened.close();
  });
});

describe('an int8 collection', () => {
  it('holds int8 codes only once fitted, finds the exact top 10, and reopens from a snapshot of its codes', async () => {
    const dim = 64;
    const count = INT8_FIT_SAMPLE + 1000;
    const data = randomVectors(count, dim, 5);
    const queries = randomVectors(10, dim, 6);
    const path = tempDir();
    const db = await openDatabase({ path, logger: silent });
    const int8 = await db.createCollection('int8', { dimension: dim, metric: 'cosine', quantization: 'int8' });
    const f32 = await db.createCollection('f32', { dimension: dim, metric: 'cosine' });
    for (let from = 0; from < count; from += 1000) {
      const batch = documents(data, dim, from, Math.min(count, from + 1000));
      await int8.upsert(batch);
      await f32.upsert(batch);
    }
    // Codes of 64 bytes and a norm per row against f32 rows of 256 bytes.
    expect(int8.info.memory.vectors).toBeLessThan(f32.info.memory.vectors / 3);
    const search = async (collection: typeof int8) => {
      const out = [];
      for (let q = 0; q < 10; q++) out.push(await collection.search({ vector: queries.subarray(q * dim, (q + 1) * dim), k: 10, exact: true, include: [] }));
      return out;
    };
    const exact = await search(f32);
    const before = await search(int8);
    let found = 0;
    before.forEach((hits, q) => {
      found += hits.filter((hit) => exact[q]!.some((e) => e.id === hit.id)).length;
      // Re-ranked in f32: the scores of the hits both found are the same.
      for (const hit of hits) {
        const twin = exact[q]!.find((e) => e.id === hit.id);
        if (twin) expect(hit.score).toBeCloseTo(twin.score, 5);
      }
    });
    expect(found / 100).toBeGreaterThanOrEqual(0.99);
    await db.close();

    const reopened = await openDatabase({ path, logger: silent });
    try {
      const again = reopened.collection('int8');
      // Vector rows are read from the snapshot just after open; indexed() waits for them.
      await again.indexed();
      await reopened.collection('f32').indexed();
      expect(again.info.memory.vectors).toBeLessThan(reopened.collection('f32').info.memory.vectors / 3);
      expect(await search(again)).toEqual(before);
    } finally {
      await reopened.close();
    }
  });
});

describe('empty collections', () => {
  it('hold no graph and no vector memory until their first document: 200 of dimension 8192 cost COLLECTION_BASE_BYTES each', async () => {
    // Before, each made its hnswlib graphs at once: 2.5 MiB of resident memory per segment (hnswlib's label locks),
    // 200 collections 545 MiB of RSS with 2 workers, with 16 MiB of untouched node storage per segment at dimension 8192.
    const graphs: SegmentRequest['type'][] = [];
    const handle = SegmentServer.prototype.handle;
    vi.spyOn(SegmentServer.prototype, 'handle').mockImplementation(function (this: SegmentServer, request: SegmentRequest) {
      if (request.type === 'create' || request.type === 'load') graphs.push(request.type);
      return handle.call(this, request);
    });
    const db = await openDatabase({ logger: silent, workers: 0 });
    const collections = [];
    for (let i = 0; i < 200; i++) collections.push(await db.createCollection(`empty${i}`, { dimension: 8192 }));
    expect(graphs).toEqual([]);
    expect(db.wasmMemoryBytes).toBe(0);
    expect(db.memoryBytes).toBe(200 * COLLECTION_BASE_BYTES);
    expect(collections[7]!.info.memory).toEqual({ vectors: 0, graph: 0 });
    // They answer as empty collections do.
    const query = new Float32Array(8192).fill(1);
    expect(await collections[7]!.search({ vector: query, k: 3 })).toEqual([]);
    expect(await collections[7]!.search({ vector: query, k: 3, exact: false })).toEqual([]);
    expect((await collections[7]!.optimize()).segments).toBe(0);

    // The first document makes the graph, and the graph's fixed cost is counted from then on.
    await collections[0]!.upsert([{ id: 'a', vector: query }]);
    expect(graphs).toEqual(['create']);
    const { memory } = collections[0]!.info;
    expect(memory.graph).toBeGreaterThan(GRAPH_FIXED_BYTES);
    expect(db.memoryBytes).toBe(200 * COLLECTION_BASE_BYTES + memory.graph + 8192 * 4);
    expect(db.wasmMemoryBytes).toBeGreaterThan(0);
    await db.close();
  });

  it('are admitted by memoryLimit: past it, createCollection is OUT_OF_MEMORY with nothing stored, and the others go on', async () => {
    const path = tempDir();
    // Room for ten empty collections, one graph segment, and about 16 documents of dimension 1536.
    const db = await openDatabase({ path, logger: silent, workers: 0, memoryLimit: 10 * COLLECTION_BASE_BYTES + GRAPH_FIXED_BYTES + 200_000 });
    for (let i = 0; i < 10; i++) await db.createCollection(`c${i}`, { dimension: 1536 });
    // A collection's first document brings its graph's fixed cost: one segment fits, with its documents, not two.
    const c0 = db.collection('c0');
    await c0.upsert(Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, vector: new Float32Array(1536).fill(i + 1) })));
    const second = await rejection(db.collection('c1').upsert([{ id: 'x', vector: new Float32Array(1536).fill(1) }]));
    expect(second.code).toBe('OUT_OF_MEMORY');
    expect(second.message).toMatch(/for its HNSW graph's segments.*memoryLimit.*the batch was not stored/);

    const refused = await rejection(db.createCollection('one-too-many', { dimension: 8 }));
    expect(refused.code).toBe('OUT_OF_MEMORY');
    expect(refused.message).toMatch(/creating collection 'one-too-many' needs 128(\.0)? KiB.*memoryLimit.*the collection was not created/);
    expect(db.hasCollection('one-too-many')).toBe(false);

    // Dropping one makes room for another.
    await db.dropCollection('c9');
    await db.createCollection('one-too-many', { dimension: 8 });
    await db.close();

    const reopened = await openDatabase({ path, logger: silent });
    expect(reopened.listCollections().map((c) => c.name).sort()).toEqual([...Array.from({ length: 9 }, (_, i) => `c${i}`), 'one-too-many'].sort());
    expect(reopened.collection('c0').count).toBe(10);
    expect(reopened.collection('c1').count).toBe(0);
    await reopened.close();
  });
});
