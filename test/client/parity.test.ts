/**
 * One pipeline, written once against PortableDatabase, run in process
 * (openDatabase) and remote (QuiverClient against the app on loopback): the
 * same calls give the same ids, scores (within float tolerance), documents
 * and counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuiverClient, type PortableCollection, type PortableDatabase, type RemoteCollection } from '../../src/client/index.js';
import { openDatabase, type Collection, type Database } from '../../src/index.js';
import { randomVectors, rng } from '../fixtures/random.js';
import { silent, startServer, type LiveServer } from './helpers.js';

const DIMENSION = 16;
const COUNT = 300;
const WORDS = ['river', 'stone', 'apple', 'cloud', 'engine', 'garden', 'signal', 'harbor', 'lantern', 'meadow'];

// Both implementations satisfy the portable types: a compile error here means their signatures drifted apart.
const _database: (db: Database) => PortableDatabase = (db) => db;
const _client: (client: QuiverClient) => PortableDatabase = (client) => client;
const _collection: (collection: Collection) => PortableCollection = (collection) => collection;
const _remote: (collection: RemoteCollection) => PortableCollection = (collection) => collection;

function corpus() {
  const vectors = randomVectors(COUNT, DIMENSION, 11);
  const next = rng(12);
  return Array.from({ length: COUNT }, (_, i) => {
    const vector = vectors.slice(i * DIMENSION, (i + 1) * DIMENSION);
    return {
      id: `doc-${i}`,
      // Half as Float32Array, half as plain arrays: both forms go through both paths.
      vector: i % 2 === 0 ? vector : Array.from(vector),
      text: Array.from({ length: 6 }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' '),
      metadata: { group: i % 4, price: Math.round(next() * 1000) / 10, tags: i % 3 === 0 ? ['sale'] : ['new'] },
    };
  });
}

/** The stable code a call failed with (library and client errors alike carry one). */
async function codeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'resolved',
    (error: unknown) => String((error as { code?: unknown }).code),
  );
}

/** The pipeline: every portable call, each result recorded in order. */
async function pipeline(db: PortableDatabase): Promise<unknown[]> {
  const out: unknown[] = [];
  const docs = await db.createCollection('parity', { dimension: DIMENSION, metric: 'cosine' });
  const documents = corpus();
  out.push(await docs.upsert(documents.slice(0, 200)));
  out.push(await docs.upsert(documents.slice(200)));
  const query = (i: number) => documents[i]!.vector;

  out.push(await docs.search({ vector: query(5), k: 10 }));
  out.push(await docs.search({ vector: query(6), k: 7, filter: { group: 2, price: { $lt: 60 } } }));
  out.push(await docs.search({ vector: query(7), k: 5, exact: true, include: ['vector', 'metadata'] }));
  out.push(await docs.search({ text: 'apple river', k: 8 }));
  out.push(await docs.search({ vector: query(8), text: 'lantern', k: 8 }));
  out.push(await docs.search({ vector: query(9), text: 'stone garden', k: 8, fusion: 'rrf', alpha: 0.3, filter: { tags: 'sale' } }));
  out.push(await docs.search({ vector: query(11), k: 3, groupBy: 'group', groupSize: 2 }));
  out.push(await docs.search({ text: 'apple river', k: 5, offset: 5, minScore: 0.1, include: [] }));
  out.push(await docs.search({ vector: query(12), k: 5, mmr: { lambda: 0.4 }, filter: { price: { $gt: 10 } }, include: [] }));
  out.push(await docs.search({ like: ['doc-3', 'doc-4'], unlike: ['doc-9'], text: 'garden', k: 4, exact: true, include: [] }));
  const explained = await docs.search({ vector: query(10), k: 4, filter: { group: { $in: [0, 1] } }, explain: true });
  out.push(explained.hits, explained.explain.total, explained.explain.candidates);

  out.push(await docs.get('doc-3'), await docs.get('missing'));
  out.push(await docs.getMany(['doc-4', 'missing', 'doc-1']));
  out.push(await docs.countWhere(), await docs.countWhere({ price: { $gte: 50 } }));
  const first = await docs.list({ limit: 50, filter: { group: 1 }, include: ['metadata', 'vector'] });
  const second = await docs.list({ limit: 50, filter: { group: 1 }, after: first.next!, include: ['metadata', 'vector'] });
  out.push(first, second);

  out.push(await docs.upsert([{ ...documents[0]!, id: 'doc-1', text: 'replaced meadow' }]));
  out.push(await docs.delete(['doc-2', 'doc-2', 'missing']));
  out.push(await docs.deleteWhere({ group: 3 }));
  out.push(await codeOf(docs.deleteWhere({})));
  out.push(await docs.update([{ id: 'doc-5', set: { group: 9, note: 'x' }, unset: ['tags'] }, { id: 'doc-6', text: 'meadow river', metadata: null }]));
  out.push(await docs.updateWhere({ group: 1 }, { set: { flagged: true } }));
  out.push(await codeOf(docs.updateWhere({}, { set: { a: 1 } })));
  out.push(await codeOf(docs.update([{ id: 'doc-7', set: { a: 1 } }, { id: 'missing', set: { a: 1 } }])));
  out.push(await docs.getMany(['doc-5', 'doc-6', 'doc-7']), await docs.countWhere({ flagged: true }));
  out.push(await docs.search({ vector: query(5), k: 3, filter: { group: 9 } }));
  out.push(await docs.search({ vector: query(0), k: 10 }));
  out.push(await docs.search({ text: 'meadow', k: 5 }));
  const exported: unknown[] = [];
  for await (const document of docs.export({ include: ['text', 'metadata', 'vector'] })) exported.push(document);
  out.push(exported);
  out.push(await docs.countWhere());

  const notes = await db.createCollection('notes', { text: { language: 'en' } });
  out.push(await notes.upsert([{ id: 'n1', text: 'river stone', metadata: { n: 1 } }, { id: 'n2', text: 'stone garden', metadata: { n: 2 } }]));
  out.push(await notes.search({ text: 'stone', k: 5 }), await notes.countWhere({ n: { $gt: 1 } }), await notes.get('n1'));
  out.push(await codeOf(notes.search({ vector: [1, 2] })), await codeOf(notes.upsert([{ id: 'n3', vector: [1, 2] }])));
  await db.dropCollection('notes');
  const other = await db.createCollection('other', { dimension: 2, metric: 'l2' });
  out.push(await other.upsert([{ id: 'a', vector: [1, 2] }, { id: 'b', vector: [3, 4] }]));
  out.push(await db.collection('other').search({ vector: [3, 3.5], k: 2 }));
  out.push(await db.hasCollection('other'));
  await db.createAlias('current', 'parity');
  out.push(await db.collection('current').search({ vector: query(3), k: 3 }), await db.listAliases());
  await db.switchAlias('current', 'other');
  out.push(await db.collection('current').upsert([{ id: 'c', vector: [5, 6] }]), await db.collection('other').countWhere());
  out.push(await codeOf(db.createAlias('current', 'parity')), await codeOf(db.switchAlias('missing', 'parity')));
  out.push(await codeOf(db.dropCollection('current')));
  await db.dropAlias('current');
  out.push(await db.hasCollection('current'), await db.listAliases());
  await db.createAlias('doomed', 'other');
  await db.dropCollection('other');
  out.push(await db.hasCollection('other'));
  out.push((await db.listCollections()).map((c) => [c.name, c.state, c.state === 'ready' ? [c.count, c.version] : c.reason]));
  out.push(await db.listAliases());
  return out;
}

/** Structural equality, numbers within a relative tolerance, typed arrays as arrays. */
function expectClose(actual: unknown, expected: unknown, path = 'result'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - expected), `${path}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
  } else if (ArrayBuffer.isView(expected)) {
    expect(actual, path).toBeInstanceOf(expected.constructor);
    expectClose(Array.from(actual as Float32Array), Array.from(expected as Float32Array), path);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((value, i) => expectClose((actual as unknown[])[i], value, `${path}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    expect(typeof actual === 'object' && actual !== null, path).toBe(true);
    expect(Object.keys(actual as object).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('parity: the same pipeline in process and remote', () => {
  let server: LiveServer;
  let local: Database;

  beforeAll(async () => {
    server = await startServer();
    local = await openDatabase({ logger: silent });
  });

  afterAll(async () => {
    await server.close();
    await local.close();
  });

  it('gives the same results call by call', async () => {
    const inProcess = await pipeline(local);
    const remote = await pipeline(new QuiverClient({ url: server.url }));
    expect(remote).toHaveLength(inProcess.length);
    inProcess.forEach((expected, i) => expectClose(remote[i], expected, `step ${i}`));
  });

  it('leaves the two databases with the same documents', async () => {
    const a = await local.collection('parity').list({ limit: 1000, include: ['vector', 'text', 'metadata'] });
    const b = await server.db.collection('parity').list({ limit: 1000, include: ['vector', 'text', 'metadata'] });
    expect(b).toEqual(a);
  });
});
