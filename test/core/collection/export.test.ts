/**
 * Collection.export: every document once, in the order list pages in,
 * vectors exactly as stored, a page at a time with the event loop free in
 * between (so writes go on), stopped by its signal or by a drop.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Document } from '../../../src/index.js';
import { rejectedCode } from '../../fixtures/errors.js';

async function all(documents: AsyncIterable<Document>): Promise<Document[]> {
  const out: Document[] = [];
  for await (const document of documents) out.push(document);
  return out;
}

async function fixture(count = 1_300) {
  const db = await openDatabase({ workers: 0 });
  const docs = await db.createCollection('docs', { dimension: 3, metric: 'l2' });
  await docs.upsert(Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    vector: Float32Array.of(i, -0, 0.1 * i),
    ...(i % 2 === 0 ? { text: `text ${i}` } : {}),
    ...(i % 3 === 0 ? { metadata: { i, tags: ['a', i] } } : {}),
  })));
  // Freed labels taken by new documents: label order is not insertion order.
  await docs.delete(['d5', 'd700']);
  await docs.upsert([{ id: 'late', vector: [1, 2, 3], text: '' }, { id: 'empty-metadata', vector: [3, 2, 1], metadata: {} }]);
  return { db, docs };
}

describe('Collection.export', () => {
  it('yields every document once, in list order, with its fields as stored (-0 included)', async () => {
    const { db, docs } = await fixture();
    const listed: Document[] = [];
    for (let after: string | undefined, first = true; first || after !== undefined; first = false) {
      const page = await docs.list({ limit: 500, include: ['vector', 'text', 'metadata'], ...(after === undefined ? {} : { after }) });
      listed.push(...page.documents);
      after = page.next ?? undefined;
    }
    const exported = await all(docs.export());
    expect(exported).toHaveLength(docs.count);
    expect(exported).toEqual(listed);
    const d3 = exported.find((d) => d.id === 'd3')!;
    expect(Object.is(d3.vector![1], -0)).toBe(true);
    expect(d3.metadata).toEqual({ i: 3, tags: ['a', 3] });
    expect(exported.find((d) => d.id === 'late')!.text).toBe('');
    expect(exported.find((d) => d.id === 'empty-metadata')!.metadata).toEqual({});
    await db.close();
  });

  it('takes include, and checks its options at the call', async () => {
    const { db, docs } = await fixture(10);
    const ids = await all(docs.export({ include: [] }));
    expect(ids.every((d) => Object.keys(d).join() === 'id')).toBe(true);
    const texts = await all(docs.export({ include: ['text'] }));
    expect(texts.find((d) => d.id === 'd2')).toEqual({ id: 'd2', text: 'text 2' });
    expect(await rejectedCode(() => docs.export({ include: ['vectors'] } as never))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(() => docs.export({ limit: 3 } as never))).toBe('INVALID_ARGUMENT');
    expect(await rejectedCode(() => docs.export({ signal: 'no' } as never))).toBe('INVALID_ARGUMENT');
    await db.close();
  });

  it('lets writes run between pages, and stops on its signal or when the collection is dropped', async () => {
    const { db, docs } = await fixture();
    const controller = new AbortController();
    const seen: string[] = [];
    const stopped = rejectedCode(async () => {
      for await (const document of docs.export({ signal: controller.signal })) {
        seen.push(document.id);
        if (seen.length === 600) controller.abort();
      }
    });
    expect(await stopped).toBe('REQUEST_ABORTED');
    expect(seen.length).toBeLessThan(docs.count);

    // A write made while an export is under way is not held back by it.
    const exporting = all(docs.export());
    const write = docs.upsert([{ id: 'during', vector: [9, 9, 9] }]);
    await write;
    await exporting;

    const dropped = rejectedCode(async () => {
      let n = 0;
      for await (const _ of docs.export()) {
        if (++n === 10) {
          await db.dropCollection('docs');
          await nextTurn();
        }
      }
    });
    expect(await dropped).toBe('COLLECTION_NOT_FOUND');
    await db.close();
  });
});
