/**
 * Partial updates (issue 19, item 2) and writes by filter that need `all`
 * to mean every document (item 3): metadata and text change without the
 * vector, atomically, durably, visible to filters and keyword search at
 * once, and without any graph work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SegmentedGraph } from '../../../src/core/graph/segmented-graph.js';
import { openDatabase, type Collection, type Database, type DocumentInput } from '../../../src/index.js';
import { randomVectors } from '../../fixtures/random.js';
import { rejectedCode } from '../../fixtures/errors.js';

const DIM = 8;
const COUNT = 60;
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const dirs: string[] = [];
const open: Database[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const db of open.splice(0)) await db.close().catch(() => {});
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const data = randomVectors(COUNT, DIM, 5);
const vector = (i: number) => data.slice(i * DIM, (i + 1) * DIM);

function doc(i: number): DocumentInput {
  return { id: `d${i}`, vector: vector(i), text: i % 2 === 0 ? 'red apple' : 'green pear', metadata: { group: i % 3, keep: 'yes' } };
}

async function collection(options: { path?: string; workers?: number } = {}): Promise<{ db: Database; docs: Collection }> {
  const db = await openDatabase({ workers: 0, logger: silent, ...options });
  open.push(db);
  const docs = db.hasCollection('docs') ? db.collection('docs') : await db.createCollection('docs', { dimension: DIM, metric: 'cosine' });
  if (docs.count === 0) await docs.upsert(Array.from({ length: COUNT }, (_, i) => doc(i)));
  return { db, docs };
}


/** Everything a reader sees: every document as stored, and the version. */
async function everything(docs: Collection) {
  const ids = Array.from({ length: COUNT }, (_, i) => `d${i}`);
  return { version: docs.version, count: docs.count, documents: await docs.getMany(ids) };
}

describe('update by id', () => {
  it('sets and unsets metadata keys, replaces metadata and text, and keeps the vector bit for bit', async () => {
    const { docs } = await collection();
    const version = docs.version;
    const result = await docs.update([
      { id: 'd0', set: { group: 7, status: 'done' }, unset: ['keep'] },
      { id: 'd1', metadata: { only: true } },
      { id: 'd2', text: 'blue plum' },
      { id: 'd3', metadata: null, text: null },
    ]);
    expect(result).toEqual({ updated: 4, version: version + 1 });
    const [d0, d1, d2, d3] = await docs.getMany(['d0', 'd1', 'd2', 'd3']);
    expect(d0).toEqual({ id: 'd0', vector: vector(0), text: 'red apple', metadata: { group: 7, status: 'done' } });
    expect(d1).toEqual({ id: 'd1', vector: vector(1), text: 'green pear', metadata: { only: true } });
    expect(d2).toEqual({ id: 'd2', vector: vector(2), text: 'blue plum', metadata: { group: 2, keep: 'yes' } });
    expect(d3).toEqual({ id: 'd3', vector: vector(3) });
  });

  it('is seen at once by filters, counts, keyword and vector search', async () => {
    const { docs } = await collection();
    await docs.update([{ id: 'd4', set: { group: 9 }, text: 'plum plum' }]);
    expect(await docs.countWhere({ group: 9 })).toBe(1);
    expect((await docs.search({ vector: vector(4), k: 1, filter: { group: 9 } })).map((hit) => hit.id)).toEqual(['d4']);
    expect((await docs.search({ text: 'plum', k: 5 })).map((hit) => hit.id)).toEqual(['d4']);
    // 'red apple' was d4's text: the keyword index no longer has it there.
    expect((await docs.search({ text: 'apple', k: COUNT })).map((hit) => hit.id)).not.toContain('d4');
    // The vector is unchanged: d4 is still its own nearest neighbour, with the same score as before.
    const [hit] = await docs.search({ vector: vector(4), k: 1, exact: true });
    expect(hit!.id).toBe('d4');
    expect(hit!.score).toBeCloseTo(1, 5);
  });

  it('rejects the whole call when one id does not exist, or one change is bad, and changes nothing', async () => {
    const { docs } = await collection();
    const before = await everything(docs);
    expect(await rejectedCode(docs.update([{ id: 'd0', set: { group: 5 } }, { id: 'missing', set: { group: 5 } }]))).toBe('DOCUMENT_NOT_FOUND');
    const bad: unknown[][] = [
      [{ id: 'd0' }],
      [{ id: 'd0', metadata: { a: 1 }, set: { b: 2 } }],
      [{ id: 'd0', set: { a: 1 }, unset: ['a'] }],
      [{ id: 'd0', vector: [1, 2] }],
      [{ id: 'd0', set: [1, 2] }],
      [{ id: 'd0', unset: 'keep' }],
      [{ id: 'd0', text: 5 }],
      [{ id: 'd0', set: { a: Number.NaN } }],
      [{ id: 'd0', set: { big: 'x'.repeat(70_000) } }],
      [{ id: 'd1', set: { a: 1 } }, { id: 'd1', set: { a: 2 } }],
    ];
    for (const updates of bad) {
      expect(['INVALID_DOCUMENT', 'DUPLICATE_ID']).toContain(await rejectedCode(docs.update(updates as never)));
    }
    expect(await everything(docs)).toEqual(before);
  });

  it('is durable: the change survives a reopen, with and without a snapshot before it', async () => {
    const path = mkdtempSync(join(tmpdir(), 'quiver-update-'));
    dirs.push(path);
    let { db, docs } = await collection({ path });
    await db.snapshot();
    await docs.update([{ id: 'd5', set: { group: 11 }, text: 'after snapshot' }]);
    await db.close();
    ({ db, docs } = await collection({ path }));
    expect(await docs.get('d5')).toEqual({ id: 'd5', vector: vector(5), text: 'after snapshot', metadata: { group: 11, keep: 'yes' } });
    expect(await docs.countWhere({ group: 11 })).toBe(1);
    expect((await docs.search({ text: 'snapshot', k: 3 })).map((hit) => hit.id)).toEqual(['d5']);
    await db.snapshot();
    await db.close();
    ({ docs } = await collection({ path }));
    expect((await docs.get('d5'))!.metadata).toEqual({ group: 11, keep: 'yes' });
  });

  it('does no graph work: no graph insert or removal, where an upsert of the same documents with new vectors makes one each', async () => {
    const { docs } = await collection({ workers: 2 });
    await docs.indexed();
    const add = vi.spyOn(SegmentedGraph.prototype, 'add');
    const remove = vi.spyOn(SegmentedGraph.prototype, 'remove');
    await docs.update(Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, set: { group: 100 + i } })));
    await docs.updateWhere({ group: { $gte: 100 } }, { set: { seen: true } });
    expect([add.mock.calls.length, remove.mock.calls.length, docs.info.indexingBacklog]).toEqual([0, 0, 0]);
    await docs.upsert(Array.from({ length: 20 }, (_, i) => ({ ...doc(i), vector: Array.from(vector(i), (x) => -x) })));
    expect(add.mock.calls.length).toBe(20);
  });
});

describe('upsert of a document whose vector did not change', () => {
  it('keeps its graph node, and takes the new text and metadata; a changed vector is inserted again', async () => {
    const { docs } = await collection({ workers: 2 });
    await docs.indexed();
    const add = vi.spyOn(SegmentedGraph.prototype, 'add');
    await docs.upsert([{ ...doc(7), text: 'kiwi', metadata: { group: 50 } }, { ...doc(8), vector: Array.from(vector(8), (x) => x + 0.5) }]);
    expect(add.mock.calls.map(([label]) => label)).toHaveLength(1);
    expect(await docs.get('d7')).toEqual({ id: 'd7', vector: vector(7), text: 'kiwi', metadata: { group: 50 } });
    expect((await docs.search({ text: 'kiwi', k: 3 })).map((hit) => hit.id)).toEqual(['d7']);
    expect((await docs.search({ vector: vector(7), k: 1, exact: false, filter: { group: 50 } })).map((hit) => hit.id)).toEqual(['d7']);
    const [moved] = await docs.search({ vector: Array.from(vector(8), (x) => x + 0.5), k: 1, exact: false });
    expect(moved!.id).toBe('d8');
    expect(moved!.score).toBeCloseTo(1, 5);
  });
});

describe('writes by filter', () => {
  it('updateWhere applies one change to every match, in one version', async () => {
    const { docs } = await collection();
    const version = docs.version;
    expect(await docs.updateWhere({ group: 1 }, { set: { tier: 'b' }, unset: ['keep'] })).toEqual({ updated: COUNT / 3, version: version + 1 });
    expect(await docs.countWhere({ tier: 'b' })).toBe(COUNT / 3);
    expect(await docs.countWhere({ keep: 'yes' })).toBe(COUNT - COUNT / 3);
    expect(await docs.updateWhere({ group: 42 }, { set: { tier: 'c' } })).toEqual({ updated: 0, version: version + 1 });
  });

  it('refuses a filter without conditions unless all: true, and then applies to every document', async () => {
    const { docs } = await collection();
    const before = await everything(docs);
    expect(await rejectedCode(docs.deleteWhere({}))).toBe('INVALID_FILTER');
    expect(await rejectedCode(docs.updateWhere({}, { set: { a: 1 } }))).toBe('INVALID_FILTER');
    expect(await rejectedCode(docs.deleteWhere({}, { all: 'yes' } as never))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(docs.deleteWhere({ group: 1 }, { everything: true } as never))).toBe('INVALID_ARGUMENT');
    expect(await everything(docs)).toEqual(before);
    expect((await docs.updateWhere({}, { set: { a: 1 } }, { all: true })).updated).toBe(COUNT);
    expect(await docs.countWhere({ a: 1 })).toBe(COUNT);
    expect((await docs.deleteWhere({}, { all: true })).deleted).toBe(COUNT);
    expect(docs.count).toBe(0);
  });
});
