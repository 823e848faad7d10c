import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { WasmHeap } from '../../src/core/vector/wasm-heap.js';
import { CLUSTER_ERROR_CODES, HTTP_ERROR_CODES } from '../../src/core/errors.js';
import { resolveCollectionOptions } from '../../src/core/collection/collection-options.js';
import { ERRORS, openDatabase, type ErrorCode, QuiverError } from '../../src/index.js';
import { rejectedCode } from '../fixtures/errors.js';

const silent = { info: () => {}, warn: () => {}, error: () => {} };


async function fixture() {
  const db = await openDatabase();
  const docs = await db.createCollection('docs', { dimension: 3, metric: 'cosine' });
  await docs.upsert([{ id: 'keep', vector: [1, 2, 3], text: 'kept', metadata: { a: 1 } }]);
  return { db, docs };
}

type CoreCode = Exclude<ErrorCode, (typeof HTTP_ERROR_CODES)[number] | (typeof CLUSTER_ERROR_CODES)[number]>;

/** One way to reach every core code in the table; a new code without an entry here fails to compile. */
const triggers: Record<CoreCode, () => Promise<unknown>> = {
  INVALID_OPTIONS: async () => resolveCollectionOptions({ dimension: 0, metric: 'hamming', extra: 1 }),
  INVALID_ARGUMENT: async () => (await fixture()).docs.search({ vector: [1, 2, 3], k: 0 }),
  INVALID_COLLECTION_NAME: async () => (await fixture()).db.createCollection('bad name!', { dimension: 3 }),
  COLLECTION_NOT_FOUND: async () => (await fixture()).db.collection('nope'),
  COLLECTION_EXISTS: async () => (await fixture()).db.createCollection('docs', { dimension: 3 }),
  ALIAS_NOT_FOUND: async () => (await fixture()).db.dropAlias('nope'),
  ALIAS_EXISTS: async () => {
    const { db } = await fixture();
    await db.createAlias('current', 'docs');
    return db.createAlias('current', 'docs');
  },
  DIMENSION_MISMATCH: async () => (await fixture()).docs.upsert([{ id: 'x', vector: [1, 2] }]),
  INVALID_VECTOR: async () => (await fixture()).docs.upsert([{ id: 'x', vector: [1, Number.NaN, 3] }]),
  INVALID_ID: async () => (await fixture()).docs.upsert([{ id: '', vector: [1, 2, 3] }]),
  DUPLICATE_ID: async () =>
    (await fixture()).docs.upsert([
      { id: 'x', vector: [1, 2, 3] },
      { id: 'x', vector: [3, 2, 1] },
    ]),
  INVALID_DOCUMENT: async () => (await fixture()).docs.upsert([{ id: 'x', vector: [1, 2, 3], text: 5 as unknown as string }]),
  DOCUMENT_NOT_FOUND: async () => (await fixture()).docs.update([{ id: 'nope', set: { a: 1 } }]),
  // An in-process embedder that fails, one that this process lacks, and a search naming another model.
  EMBEDDING_FAILED: async () => {
    const db = await openDatabase({ embedders: { broken: { embedDocuments: () => Promise.reject(new Error('down')), embedQuery: () => Promise.reject(new Error('down')) } } });
    return (await db.createCollection('e', { dimension: 3, embedder: { provider: 'local', model: 'broken' } })).upsert([{ id: 'x', text: 'some text' }]);
  },
  EMBEDDER_UNAVAILABLE: async () => (await (await openDatabase()).createCollection('e', { dimension: 3, embedder: { provider: 'local', model: 'absent' } })).search({ text: 'query' }),
  EMBEDDER_MISMATCH: async () => (await (await openDatabase()).createCollection('e', { dimension: 3, embedder: { provider: 'local', model: 'm1' } })).search({ vector: [1, 2, 3], model: 'm2' }),
  INVALID_FILTER: async () => {
    const { compileFilter } = await import('../../src/core/filter/filter.js');
    return compileFilter({ price: { $unknown: 1 } });
  },
  LIMIT_EXCEEDED: async () => (await fixture()).docs.search({ text: Array.from({ length: 65 }, (_, i) => `word${i}x`).join(' ') }),
  REQUEST_ABORTED: async () => (await fixture()).docs.search({ vector: [1, 2, 3], signal: AbortSignal.abort() }),
  DATABASE_CLOSED: async () => {
    const { db } = await fixture();
    await db.close();
    return db.listCollections();
  },
  // An int8 scan given output buffers too small for its selection buffer refuses to write past them.
  KERNEL_ABORT: async () => new WasmHeap().raw.topkScanI8(0, 64, 64, 40, 16, 1, 0, 0, 0, 10, 128, 168, 10, 0, -Infinity, 0),
  OUT_OF_MEMORY: async () => {
    const db = await openDatabase({ memoryLimit: 1024 * 1024 });
    const docs = await db.createCollection('docs', { dimension: 128 });
    return docs.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `d${i}`, vector: Array.from({ length: 128 }, (_, d) => (d === i % 128 ? 1 : 0.5)) })));
  },
  INDEX_UNAVAILABLE: async () => {
    // A collection larger than memoryLimit opens degraded: readable, not searchable.
    const path = mkdtempSync(join(tmpdir(), 'quiver-degraded-'));
    const db = await openDatabase({ path });
    const docs = await db.createCollection('docs', { dimension: 3 });
    await docs.upsert([{ id: 'a', vector: [1, 2, 3] }]);
    await db.close();
    const reopened = await openDatabase({ path, logger: silent, memoryLimit: 1 });
    try {
      return await reopened.collection('docs').search({ vector: [1, 2, 3] });
    } finally {
      await reopened.close();
      rmSync(path, { recursive: true, force: true });
    }
  },
  DATA_DAMAGED: async () => {
    // The lock file holds no data, but deleting it while another process might use it is not Quiver's call.
    const path = mkdtempSync(join(tmpdir(), 'quiver-damaged-'));
    writeFileSync(join(path, 'quiver.lock'), 'not a database, only bytes that no SQLite file begins with');
    try {
      return await openDatabase({ path });
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  },
  DATABASE_LOCKED: async () => {
    const path = mkdtempSync(join(tmpdir(), 'quiver-lock-'));
    const first = await openDatabase({ path });
    try {
      return await openDatabase({ path });
    } finally {
      await first.close();
      rmSync(path, { recursive: true, force: true });
    }
  },
  COLLECTION_UNAVAILABLE: async () => {
    const path = mkdtempSync(join(tmpdir(), 'quiver-broken-'));
    const db = await openDatabase({ path });
    await db.createCollection('broken', { dimension: 2 });
    await db.close();
    const raw = new BetterSqlite3(join(path, 'quiver.db'));
    raw.prepare("UPDATE collections SET config = '{\"dimension\": -1}' WHERE name = 'broken'").run();
    raw.close();
    const reopened = await openDatabase({ path, logger: silent });
    try {
      return reopened.collection('broken');
    } finally {
      await reopened.close();
      rmSync(path, { recursive: true, force: true });
    }
  },
};

describe('error codes', () => {
  const httpCodes = new Set<string>([...HTTP_ERROR_CODES, ...CLUSTER_ERROR_CODES]);
  for (const code of (Object.keys(ERRORS) as ErrorCode[]).filter((c): c is CoreCode => !httpCodes.has(c))) {
    it(`${code} is reachable`, async () => {
      expect(await rejectedCode(triggers[code])).toBe(code);
    });
  }

  it('a rejected batch changes nothing, wherever in the batch the bad document is', async () => {
    const { docs } = await fixture();
    const version = docs.version;
    const bad = [
      [{ id: 'new', vector: [1, 1, 1] }, { id: 'keep', vector: [0, 0, 0] }],
      [{ id: 'keep', vector: [9, 9, 9] }, { id: 'new', vector: [1, 1] }],
      [{ id: 'new', vector: [1, 1, 1] }, { id: 'new2', vector: [1, 1, Infinity] }],
      [{ id: 'keep', vector: [9, 9, 9], metadata: { bad: () => 1 } }],
      [{ id: 'keep', vector: [9, 9, 9], color: 'red' }],
    ];
    for (const batch of bad) {
      await expect(docs.upsert(batch as never)).rejects.toBeInstanceOf(QuiverError);
    }
    expect(docs.version).toBe(version);
    expect(docs.count).toBe(1);
    expect(await docs.get('new')).toBeNull();
    expect(await docs.get('keep')).toEqual({ id: 'keep', vector: Float32Array.of(1, 2, 3), text: 'kept', metadata: { a: 1 } });
  });

  it('messages name the expected and the actual values', async () => {
    const { docs } = await fixture();
    await expect(docs.upsert([{ id: 'x', vector: [1, 2] }])).rejects.toThrow(/expected 3, got 2/);
  });

  it('options errors list every problem at once', async () => {
    try {
      resolveCollectionOptions({ dimension: -1, metric: 'x', rerank: 0 });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/dimension.*metric.*rerank/);
    }
  });
});
