/**
 * Issue 19's round trip: BEIR SciFact's corpus.jsonl imported as it is (no
 * vectors) into a keyword-only collection, backed up through a running
 * server while a writer writes, restored into a fresh directory; the two
 * exports are the same bytes and nDCG@10 over the SciFact test queries is
 * the same before and after.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { QuiverClient } from '../../src/client/index.js';
import { openDatabase, type Database } from '../../src/index.js';
import { buildApp } from '../../src/server/app.js';
import { sharedData } from '../fixtures/shared-data.js';
import { quiver, silent, tempDir } from './helpers.js';

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

/** nDCG@10 with binary relevance (as BEIR's pytrec_eval) over the SciFact test queries, searched by their text. */
async function ndcgAt10(db: Database): Promise<number> {
  const queries = new Map(
    readFileSync(sharedData('scifact/queries.jsonl'), 'utf8').split('\n').filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { _id: string; text: string }).map((q) => [q._id, q.text]),
  );
  const relevant = new Map<string, Set<string>>();
  for (const line of readFileSync(sharedData('scifact/qrels/test.tsv'), 'utf8').split('\n').slice(1)) {
    const [query, doc, score] = line.split('\t');
    if (query === undefined || doc === undefined || Number(score) <= 0) continue;
    if (!relevant.has(query)) relevant.set(query, new Set());
    relevant.get(query)!.add(doc);
  }
  const collection = db.collection('scifact');
  let total = 0;
  for (const [query, docs] of relevant) {
    const hits = await collection.search({ text: queries.get(query)!, k: 10, include: [] });
    const dcg = hits.reduce((sum, hit, rank) => sum + (docs.has(hit.id) ? 1 / Math.log2(rank + 2) : 0), 0);
    let ideal = 0;
    for (let rank = 0; rank < Math.min(10, docs.size); rank++) ideal += 1 / Math.log2(rank + 2);
    total += dcg / ideal;
  }
  return total / relevant.size;
}

describe('SciFact as a keyword-only collection: import, backup under writes, restore, export', () => {
  it('keeps every byte of the export and the same nDCG@10', async () => {
    const dir = tempDir();
    const source = join(dir, 'source');
    const corpus = sharedData('scifact/corpus.jsonl');
    const lines = readFileSync(corpus, 'utf8').split('\n').filter((line) => line.trim() !== '').length;

    // Without --keyword-only: one message, at once, naming the way out (not one rejection per line).
    const refused = await quiver(['import', 'scifact', corpus, '--data', source, '--id-field', '_id']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/has no field 'vector'.*--keyword-only/);

    const imported = await quiver(['import', 'scifact', corpus, '--data', source, '--id-field', '_id', '--keyword-only', '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: lines, rejected: 0, keywordOnly: true, dimension: null });

    // A server over it, with a backup directory; a writer keeps writing to a collection of its own.
    const db = await openDatabase({ path: source, logger: silent });
    const before = await ndcgAt10(db);
    const backups = join(dir, 'backups');
    const { app } = await buildApp(db, { rateLimitMax: 0, backupDir: backups });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await app.close();
      await db.close();
    };
    closing.push(close);
    const client = new QuiverClient({ url });
    const live = await client.createCollection('live', {});
    let stop = false;
    let writes = 0;
    const writer = (async () => {
      while (!stop) {
        await live.upsert(Array.from({ length: 20 }, (_, i) => ({ id: `w${writes}-${i}`, text: `note ${writes} about cells`, metadata: { n: writes } })));
        writes++;
      }
    })();
    while (writes < 3) await sleep(1);
    const backup = await quiver(['backup', '--url', url, '--json']);
    const during = writes;
    while (writes < during + 3) await sleep(1);
    stop = true;
    await writer;
    await client.close();
    await close();
    expect(backup.code, backup.stderr).toBe(0);
    const written = JSON.parse(backup.stdout) as { path: string; collections: { name: string; version: number }[] };
    expect(written.collections.map((c) => c.name)).toEqual(['live', 'scifact']);
    expect(written.collections[0]!.version).toBeLessThan(writes);

    const restored = join(dir, 'restored');
    const restore = await quiver(['restore', written.path, '--data', restored]);
    expect(restore.code, restore.stderr).toBe(0);

    const exports = await Promise.all([source, restored].map((data) => quiver(['export', 'scifact', '--data', data])));
    for (const result of exports) expect(result.code, result.stderr).toBe(0);
    expect(exports[1]!.stdout).toBe(exports[0]!.stdout);
    expect(exports[0]!.stdout.trimEnd().split('\n')).toHaveLength(lines);
    expect(exports[0]!.stdout).not.toContain('"vector"');

    const copy = await openDatabase({ path: restored, logger: silent });
    closing.push(() => copy.close());
    const after = await ndcgAt10(copy);
    expect(after).toBe(before);
    // BM25 over the abstracts alone (the title is metadata here): near BEIR's 0.665 for title and abstract.
    expect(before).toBeGreaterThan(0.55);
  }, 120_000);

  it('--keyword-only rejects a line that has a vector, refuses a collection with vectors and vector settings; an existing keyword-only collection needs no flag', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = join(dir, 'notes.jsonl');
    writeFileSync(file, [{ id: 'a', text: 'river' }, { id: 'b', text: 'stone', vector: [1, 2] }, { id: 'c', text: 'garden', tag: 'x' }].map((d) => JSON.stringify(d)).join('\n'));
    const first = await quiver(['import', 'notes', file, '--data', data, '--keyword-only', '--json']);
    expect(first.code).toBe(3);
    expect(JSON.parse(first.stdout)).toMatchObject({ imported: 2, rejected: 1, rejections: [{ line: 2, field: 'vector' }] });
    // The collection exists and is keyword-only: a second file goes in without the flag.
    writeFileSync(file, JSON.stringify({ id: 'd', text: 'harbor' }));
    expect((await quiver(['import', 'notes', file, '--data', data])).code).toBe(0);
    const vectors = join(dir, 'vectors.jsonl');
    writeFileSync(vectors, JSON.stringify({ id: 'v', vector: [1, 2] }));
    expect((await quiver(['import', 'vecs', vectors, '--data', data])).code).toBe(0);
    const wrong = await quiver(['import', 'vecs', file, '--data', data, '--keyword-only']);
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringMatching(/collection 'vecs' holds vectors/) as unknown]);
    const settings = await quiver(['import', 'other', file, '--data', data, '--keyword-only', '--metric', 'l2']);
    expect([settings.code, settings.stderr]).toEqual([1, expect.stringMatching(/--keyword-only makes a collection without vectors/) as unknown]);
    const db = await openDatabase({ path: data, logger: silent });
    closing.push(() => db.close());
    expect((await db.collection('notes').search({ text: 'river garden harbor', include: [] })).map((hit) => hit.id).sort()).toEqual(['a', 'c', 'd']);
    expect((await db.collection('notes').get('c'))!.metadata).toEqual({ tag: 'x' });
  });
});
