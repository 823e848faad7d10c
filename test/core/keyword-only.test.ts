/**
 * Keyword-only collections (issue 19, item 1): created without a dimension,
 * their documents carry text and metadata and no vector; they answer
 * keyword searches, filters, counts, lists and the result controls, keep
 * everything across a reopen, and refuse what needs vectors with a clear
 * error that changes nothing.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasesPerTest } from '../fixtures/databases.js';
import { rejectedCode } from '../fixtures/errors.js';

const { open, tempDir } = databasesPerTest();

const DOCS = [
  { id: 'a', text: 'the river runs past the old stone mill', metadata: { topic: 'water', year: 2020 } },
  { id: 'b', text: 'stone walls and a quiet garden', metadata: { topic: 'garden', year: 2021 } },
  { id: 'c', text: 'a river of light over the harbor', metadata: { topic: 'water', year: 2022 } },
  { id: 'd', text: 'engines hum in the harbor at night', metadata: { topic: 'harbor', year: 2023 } },
];

describe('keyword-only collections', () => {
  it('hold text and metadata without vectors, and answer keyword searches, filters and controls', async () => {
    const db = await open();
    const docs = await db.createCollection('notes', {});
    expect(docs.info).toMatchObject({ name: 'notes', keywordOnly: true, count: 0 });
    expect(docs.info.dimension).toBeUndefined();
    expect(await docs.upsert(DOCS)).toEqual({ upserted: 4, version: 1 });
    expect(await docs.get('a')).toEqual(DOCS[0]);
    expect((await docs.getMany(['b'], { include: ['vector', 'text'] }))[0]).toEqual({ id: 'b', text: DOCS[1]!.text });
    expect((await docs.search({ text: 'river', k: 5, include: [] })).map((hit) => hit.id).sort()).toEqual(['a', 'c']);
    expect((await docs.search({ text: 'harbor', filter: { year: { $gte: 2023 } }, include: [] })).map((hit) => hit.id)).toEqual(['d']);
    expect(await docs.countWhere({ topic: 'water' })).toBe(2);
    expect((await docs.list({ filter: { topic: 'water' }, include: [] })).documents.map((doc) => doc.id)).toEqual(['a', 'c']);
    const grouped = await docs.search({ text: 'river stone harbor', k: 5, groupBy: 'topic', include: [] });
    expect(new Set(grouped.map((hit) => hit.group)).size).toBe(grouped.length);
    await docs.update([{ id: 'b', set: { topic: 'water' } }]);
    expect(await docs.countWhere({ topic: 'water' })).toBe(3);
    expect(await docs.deleteWhere({ year: 2020 })).toMatchObject({ deleted: 1 });
    expect(docs.count).toBe(3);
  });

  it('refuses vectors, vector search and vector options, changing nothing', async () => {
    const db = await open();
    const docs = await db.createCollection('notes', {});
    await docs.upsert(DOCS);
    const before = { version: docs.version, all: await docs.getMany(['a', 'b', 'c', 'd']) };
    expect(await rejectedCode(docs.upsert([{ id: 'e', vector: [1, 2], text: 'x' }]))).toBe('INVALID_DOCUMENT');
    for (const request of [{ vector: [1, 2] }, { text: 'river', vector: [1, 2] }, { like: ['a'] }, { text: 'river', mmr: {} }, { text: 'river', exact: true }]) {
      expect(await rejectedCode(docs.search(request))).toBe('INVALID_ARGUMENT');
    }
    expect(await rejectedCode(db.createCollection('bad', { metric: 'l2' }))).toBe('INVALID_OPTIONS');
    expect(await rejectedCode(db.createCollection('bad', { hnsw: { m: 8 } }))).toBe('INVALID_OPTIONS');
    expect({ version: docs.version, all: await docs.getMany(['a', 'b', 'c', 'd']) }).toEqual(before);
  });

  it('take no vector memory, and open again with the same answers (the keyword index rebuilt from the store)', async () => {
    const path = tempDir('quiver-keyword-only-');
    let db = await open(path);
    const docs = await db.createCollection('notes', { text: { language: 'en' } });
    await docs.upsert(DOCS);
    expect(docs.info.memory).toEqual({ vectors: 0, graph: 0 });
    await docs.delete(['d']);
    const hits = await docs.search({ text: 'stone river harbor', k: 4 });
    await db.close();
    db = await open(path);
    const again = db.collection('notes');
    expect(again.info).toMatchObject({ keywordOnly: true, count: 3 });
    expect(await again.search({ text: 'stone river harbor', k: 4 })).toEqual(hits);
    expect(hits.map((hit) => hit.id).sort()).toEqual(['a', 'b', 'c']);
    expect(await again.get('d')).toBeNull();
  });

  it('back up, restore and export like any other collection', async () => {
    const db = await open();
    const docs = await db.createCollection('notes', {});
    await docs.upsert(DOCS);
    const target = tempDir('quiver-keyword-only-backup-');
    const result = await db.backup(join(target, 'copy'));
    expect(result.collections).toEqual([{ name: 'notes', version: 1, snapshot: false }]);
    const copy = await open(join(target, 'copy'));
    expect(await copy.collection('notes').search({ text: 'harbor', include: [] })).toEqual(await docs.search({ text: 'harbor', include: [] }));
    const exported = [];
    for await (const page of copy.collection('notes').export()) exported.push(...(Array.isArray(page) ? page : [page]));
    expect(exported).toEqual(DOCS);
  });
});
