/** Every QuiverClient and RemoteCollection call against the real app on loopback. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  QuiverClient,
  QuiverClientError,
  QuiverError,
  QuiverHttpError,
  RemoteCollection,
  type SearchResult,
} from '../../src/client/index.js';
import { MAX_DIMENSION } from '../../src/core/options.js';
import { rng } from '../fixtures/random.js';
import { recordingFetch, rejectionOf, startServer, type LiveServer } from './helpers.js';

const DIMENSION = 4;
const COUNT = 30;

/** Document i: dyadic values (exact in float32), never all zero; every third has the word "apple". */
function vectorOf(i: number): number[] {
  return [1 + (i % 5), (i % 7) - 3, 0.5 * (i % 3), -0.25 * (i % 4) + 1];
}

function documentOf(i: number) {
  return {
    id: `d${i}`,
    vector: i % 2 === 0 ? Float32Array.from(vectorOf(i)) : vectorOf(i),
    text: i % 3 === 0 ? `apple pie number ${i}` : `document number ${i}`,
    metadata: { group: i % 3, price: i },
  };
}

let server: LiveServer;
let client: QuiverClient;

beforeAll(async () => {
  server = await startServer();
  client = new QuiverClient({ url: server.url });
  const docs = await client.createCollection('docs', { dimension: DIMENSION, metric: 'cosine' });
  await docs.upsert(Array.from({ length: COUNT }, (_, i) => documentOf(i)));
  // Graph inserts run on the workers after the upsert answers: until they finish, info.indexingBacklog
  // moves between two reads, and a test comparing the client's info with the library's would race it.
  await server.db.collection('docs').indexed();
});

afterAll(async () => {
  await server.close();
});

describe('options', () => {
  it('rejects bad options with one INVALID_OPTIONS listing every problem', () => {
    const options = { url: 'ftp://example.com/?x=1', timeoutMs: 0, apiKey: '', color: 'red' } as unknown as ConstructorParameters<typeof QuiverClient>[0];
    let error: unknown;
    try {
      new QuiverClient(options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QuiverError);
    expect((error as QuiverError).code).toBe('INVALID_OPTIONS');
    for (const word of ['color', 'http or https', 'query', 'apiKey', 'timeoutMs']) expect((error as Error).message).toContain(word);
  });

  it('keeps a path prefix and drops trailing slashes', async () => {
    const recorder = recordingFetch();
    const prefixed = new QuiverClient({ url: `${server.url}/quiver/`, fetch: recorder.fetch });
    expect(prefixed.url).toBe(`${server.url}/quiver`);
    const error = await rejectionOf(prefixed.listCollections());
    expect(error.code).toBe('ROUTE_NOT_FOUND');
    expect(recorder.sent[0]!.url.pathname).toBe('/quiver/collections');
  });
});

describe('health', () => {
  it('health and ready are true on a running server', async () => {
    expect(await client.health()).toBe(true);
    expect(await client.ready()).toBe(true);
  });

  it('ready is false (503) while the server drains', async () => {
    const other = await startServer();
    try {
      other.drain();
      const remote = new QuiverClient({ url: other.url });
      expect(await remote.health()).toBe(true);
      expect(await remote.ready()).toBe(false);
    } finally {
      await other.close();
    }
  });
});

describe('collections', () => {
  it('createCollection returns a handle; COLLECTION_EXISTS (409) the second time', async () => {
    const created = await client.createCollection('made', { dimension: 8, metric: 'l2', hnsw: { m: 8 } });
    expect(created).toBeInstanceOf(RemoteCollection);
    expect(created.name).toBe('made');
    expect(await created.describe()).toMatchObject({ name: 'made', dimension: 8, metric: 'l2', count: 0, version: 0, hnsw: { m: 8 } });
    const error = await rejectionOf(client.createCollection('made', { dimension: 8 }));
    expect([error.code, error.status]).toEqual(['COLLECTION_EXISTS', 409]);
    await client.dropCollection('made');
  });

  it('describe and listCollections report exactly what the library reports', async () => {
    expect(await client.collection('docs').describe()).toEqual(server.db.collection('docs').info);
    expect(await client.listCollections()).toEqual(server.db.listCollections());
  });

  it('listCollections and hasCollection', async () => {
    const list = await client.listCollections();
    expect(list.map((c) => [c.name, c.state, c.state === 'ready' ? c.count : -1])).toContainEqual(['docs', 'ready', COUNT]);
    expect(await client.hasCollection('docs')).toBe(true);
    expect(await client.hasCollection('nope')).toBe(false);
  });

  it('dropCollection removes it; later calls get COLLECTION_NOT_FOUND (404)', async () => {
    const gone = await client.createCollection('gone', { dimension: 2 });
    await client.dropCollection('gone');
    expect(server.db.hasCollection('gone')).toBe(false);
    for (const error of [await rejectionOf(gone.countWhere()), await rejectionOf(client.dropCollection('gone'))]) {
      expect(error).toBeInstanceOf(QuiverHttpError);
      expect(error).toBeInstanceOf(QuiverError);
      expect([error.code, error.status]).toEqual(['COLLECTION_NOT_FOUND', 404]);
    }
  });

  it('collection(name) sends nothing; the first call reports a missing collection', async () => {
    const recorder = recordingFetch();
    const remote = new QuiverClient({ url: server.url, fetch: recorder.fetch });
    const missing = remote.collection('missing');
    expect(recorder.sent).toHaveLength(0);
    const error = await rejectionOf(missing.search({ vector: vectorOf(1) }));
    expect(error.code).toBe('COLLECTION_NOT_FOUND');
    expect(error.message).toContain('missing');
  });
});

describe('documents', () => {
  const docs = () => client.collection('docs');

  it('get returns the vector exactly as written, as a Float32Array', async () => {
    const expected = await server.db.collection('docs').get('d3');
    const document = await docs().get('d3');
    expect(document!.vector).toBeInstanceOf(Float32Array);
    expect(document).toEqual(expected);
    expect(await docs().get('nope')).toBeNull();
  });

  it('getMany keeps the order asked, null where missing', async () => {
    const found = await docs().getMany(['d2', 'nope', 'd0', 'd2']);
    expect(found.map((d) => d?.id ?? null)).toEqual(['d2', null, 'd0', 'd2']);
    expect(found).toEqual(await server.db.collection('docs').getMany(['d2', 'nope', 'd0', 'd2']));
    expect(await docs().getMany([])).toEqual([]);
  });

  it('upsert sends every vector as base64 float32 and reads back the same floats', async () => {
    const recorder = recordingFetch();
    const remote = new QuiverClient({ url: server.url, fetch: recorder.fetch });
    const scratch = await remote.createCollection('scratch', { dimension: 3, metric: 'dot' });
    const next = rng(7);
    const typed = Float32Array.from({ length: 3 }, () => next() * 2 - 1);
    const plain = [0.1, 0.2, 1e-7];
    expect(await scratch.upsert([{ id: 'typed', vector: typed }, { id: 'plain', vector: plain, metadata: { n: 1 } }])).toEqual({ upserted: 2, version: 1 });
    const vectors = (recorder.sent.at(-1)!.body as { documents: { vector: unknown }[] }).documents.map((d) => d.vector);
    expect(vectors.every((v) => typeof v === 'string')).toBe(true);
    expect(Buffer.from(vectors[0] as string, 'base64')).toEqual(Buffer.from(typed.buffer));
    expect((await scratch.get('typed'))!.vector).toEqual(typed);
    expect((await scratch.get('plain'))!.vector).toEqual(Float32Array.from(plain));
    const hits = await scratch.search({ vector: typed, k: 1, include: ['vector'] });
    expect(hits[0]!.vector).toEqual(typed);
    expect(typeof (recorder.sent.at(-1)!.body as { vector: unknown }).vector).toBe('string');
    await remote.dropCollection('scratch');
  });

  it('vectors of every dimension up to the largest travel as base64 (3072-d embeddings and 8192)', async () => {
    const next = rng(11);
    for (const dimension of [2049, 3072, MAX_DIMENSION]) {
      const wide = await client.createCollection(`wide${dimension}`, { dimension, metric: 'cosine' });
      const vector = Float32Array.from({ length: dimension }, () => next() * 2 - 1);
      expect(await wide.upsert([{ id: 'a', vector }])).toEqual({ upserted: 1, version: 1 });
      const [hit] = await wide.search({ vector, k: 1, include: ['vector'] });
      expect(hit).toMatchObject({ id: 'a' });
      expect(hit!.vector).toEqual(vector);
      await client.dropCollection(`wide${dimension}`);
    }
  });

  it('ids that URLs would rewrite travel intact', async () => {
    const odd = await client.createCollection('odd', { dimension: 2 });
    const ids = ['..', '.', 'a/b', '?x=1#y', '%2e%2e', 'ünï côdé', ' '];
    await odd.upsert(ids.map((id, i) => ({ id, vector: [1, i + 1] })));
    for (const id of ids) expect((await odd.get(id))?.id).toBe(id);
    await client.dropCollection('odd');
  });

  it('an empty upsert or delete writes nothing and reports the current version', async () => {
    const version = server.db.collection('docs').version;
    expect(await docs().upsert([])).toEqual({ upserted: 0, version });
    expect(await docs().delete([])).toEqual({ deleted: 0, version });
  });

  it('delete, deleteWhere, countWhere and list', async () => {
    const temp = await client.createCollection('temp', { dimension: DIMENSION });
    await temp.upsert(Array.from({ length: 12 }, (_, i) => documentOf(i)));
    expect(await temp.countWhere()).toBe(12);
    expect(await temp.countWhere({ group: 0 })).toBe(4);
    expect(await temp.delete(['d1', 'd1', 'nope'])).toEqual({ deleted: 1, version: 2 });
    expect(await temp.deleteWhere({ price: { $gte: 9 } })).toEqual({ deleted: 3, version: 3 });
    expect(await temp.countWhere()).toBe(8);

    const first = await temp.list({ limit: 5, include: ['vector', 'metadata'] });
    expect(first.documents).toHaveLength(5);
    expect(first.documents[0]!.vector).toBeInstanceOf(Float32Array);
    expect(first.documents[0]!.text).toBeUndefined();
    expect(first.next).not.toBeNull();
    const second = await temp.list({ limit: 5, after: first.next!, include: ['vector', 'metadata'] });
    expect(second.next).toBeNull();
    const local = server.db.collection('temp');
    expect([...first.documents, ...second.documents]).toEqual([
      ...(await local.list({ limit: 5, include: ['vector', 'metadata'] })).documents,
      ...(await local.list({ limit: 5, after: first.next!, include: ['vector', 'metadata'] })).documents,
    ]);
    expect((await temp.list()).documents.map((d) => d.id)).toEqual((await local.list()).documents.map((d) => d.id));
    await client.dropCollection('temp');
  });
});

describe('search', () => {
  const docs = () => client.collection('docs');
  const local = () => server.db.collection('docs');

  it('vector, filtered, keyword and hybrid searches answer as the library does', async () => {
    const requests = [
      { vector: vectorOf(4), k: 5 },
      { vector: Float32Array.from(vectorOf(7)), k: 4, filter: { group: { $in: [1, 2] } }, exact: true },
      { vector: vectorOf(2), k: 3, ef: 40, exact: false, include: ['vector' as const] },
      { text: 'apple', k: 5 },
      { vector: vectorOf(3), text: 'apple pie', k: 6 },
      { vector: vectorOf(3), text: 'apple', k: 6, fusion: 'rrf' as const, alpha: 0.3, filter: { price: { $lt: 20 } } },
    ];
    for (const request of requests) expect(await docs().search(request)).toEqual(await local().search(request));
  });

  it('explain: true gives { hits, explain }', async () => {
    const result: SearchResult = await docs().search({ vector: vectorOf(1), k: 3, filter: { group: 1 }, explain: true });
    expect(result.hits).toHaveLength(3);
    expect(result.explain).toMatchObject({ total: COUNT, candidates: 10 });
    expect(['exact', 'hnsw']).toContain(result.explain.plan);
  });

  it('searchBatch answers each search in order, in chunks of at most 100', async () => {
    const recorder = recordingFetch();
    const remote = new QuiverClient({ url: server.url, fetch: recorder.fetch }).collection('docs');
    const requests = Array.from({ length: 150 }, (_, i) => ({ vector: vectorOf(i), k: 2 + (i % 3) }));
    const results = await remote.searchBatch(requests);
    expect(recorder.sent.map((s) => (s.body as { searches: unknown[] }).searches.length)).toEqual([100, 50]);
    expect(results).toHaveLength(150);
    for (const [i, request] of requests.entries()) expect(results[i]).toEqual(await local().search(request));

    const mixed = await remote.searchBatch([{ text: 'apple', k: 2 }, { vector: vectorOf(5), k: 2, explain: true }]);
    expect(Array.isArray(mixed[0])).toBe(true);
    expect((mixed[1] as SearchResult).explain.total).toBe(COUNT);
    expect(await remote.searchBatch([])).toEqual([]);
  });
});

describe('errors from the server keep their code, message and status', () => {
  const docs = () => client.collection('docs');

  it('DIMENSION_MISMATCH on upsert and search (400)', async () => {
    for (const promise of [docs().upsert([{ id: 'x', vector: [1, 2, 3] }]), docs().search({ vector: new Float32Array(5).fill(1) })]) {
      const error = await rejectionOf(promise);
      expect(error).toBeInstanceOf(QuiverHttpError);
      expect([error.code, error.status]).toEqual(['DIMENSION_MISMATCH', 400]);
      expect(error.message).toContain('expected 4');
    }
  });

  it('INVALID_FILTER on search, count and deleteWhere (400)', async () => {
    const filter = { price: { $near: 3 } };
    for (const promise of [docs().search({ vector: vectorOf(1), filter }), docs().countWhere(filter), docs().deleteWhere(filter)]) {
      const error = await rejectionOf(promise);
      expect([error.code, error.status]).toEqual(['INVALID_FILTER', 400]);
    }
    expect(await docs().countWhere()).toBe(COUNT);
  });

  it('INVALID_VECTOR for NaN, INVALID_REQUEST for what the schema rejects', async () => {
    const nan = await rejectionOf(docs().upsert([{ id: 'x', vector: [1, Number.NaN, 0, 0] }]));
    expect([nan.code, nan.status]).toEqual(['INVALID_VECTOR', 400]);
    const schema = await rejectionOf(docs().search({ vector: vectorOf(1), k: 0 }));
    expect([schema.code, schema.status]).toEqual(['INVALID_REQUEST', 400]);
  });

  it('API keys: none or a wrong one is UNAUTHORIZED (401), the read-only key FORBIDDEN (403) on writes', async () => {
    const guarded = await startServer({ apiKey: 'rw-key-0123456789', readOnlyKey: 'ro-key-0123456789' });
    try {
      for (const apiKey of [undefined, 'wrong-key']) {
        const remote = new QuiverClient({ url: guarded.url, ...(apiKey === undefined ? {} : { apiKey }) });
        const error = await rejectionOf(remote.listCollections());
        expect(error).toBeInstanceOf(QuiverHttpError);
        expect([error.code, error.status]).toEqual(['UNAUTHORIZED', 401]);
        expect(await remote.health()).toBe(true);
        expect(await remote.ready()).toBe(true);
      }
      const writer = new QuiverClient({ url: guarded.url, apiKey: 'rw-key-0123456789' });
      const docs = await writer.createCollection('docs', { dimension: 2 });
      await docs.upsert([{ id: 'a', vector: [1, 0] }]);
      const reader = new QuiverClient({ url: guarded.url, apiKey: 'ro-key-0123456789' }).collection('docs');
      expect((await reader.search({ vector: [1, 0], k: 1 }))[0]!.id).toBe('a');
      const error = await rejectionOf(reader.upsert([{ id: 'b', vector: [0, 1] }]));
      expect([error.code, error.status]).toEqual(['FORBIDDEN', 403]);
    } finally {
      await guarded.close();
    }
  });

  it('RATE_LIMITED (429) carries retryAfterSeconds', async () => {
    const limited = await startServer({ rateLimitMax: 1, rateLimitWindowMs: 60_000 });
    try {
      const remote = new QuiverClient({ url: limited.url });
      await remote.listCollections();
      const error = await rejectionOf(remote.listCollections());
      expect([error.code, error.status]).toEqual(['RATE_LIMITED', 429]);
      expect((error as QuiverHttpError).retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('retries', () => {
  /** A fetch answering `replies` in turn (then the last one again), counting its calls. */
  function scripted(...replies: (() => Response | Promise<Response>)[]): { fetch: typeof fetch; calls: () => number } {
    let calls = 0;
    const fetchFunction = (async () => replies[Math.min(calls++, replies.length - 1)]!()) as typeof fetch;
    return { fetch: fetchFunction, calls: () => calls };
  }
  const busy = () => new Response(JSON.stringify({ statusCode: 503, code: 'SERVER_BUSY', error: 'Service Unavailable', message: 'busy' }), {
    status: 503,
    headers: { 'content-type': 'application/json', 'retry-after': '0' },
  });
  const ok = () => new Response(JSON.stringify({ collections: [] }), { status: 200, headers: { 'content-type': 'application/json' } });
  const refused = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
  const reset = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }));

  it('sends again after RATE_LIMITED, waiting the Retry-After the server gave', async () => {
    const limited = await startServer({ rateLimitMax: 1, rateLimitWindowMs: 1_000 });
    try {
      const remote = new QuiverClient({ url: limited.url });
      await remote.listCollections();
      const started = performance.now();
      expect(await remote.listCollections()).toEqual([]);
      expect(performance.now() - started).toBeGreaterThan(500);
    } finally {
      await limited.close();
    }
  });

  it('sends again after SERVER_BUSY and a refused connection, up to `retries` times', async () => {
    const twiceBusy = scripted(busy, busy, ok);
    expect(await new QuiverClient({ url: 'http://quiver.invalid', fetch: twiceBusy.fetch }).listCollections()).toEqual([]);
    expect(twiceBusy.calls()).toBe(3);
    const down = scripted(refused);
    const error = await rejectionOf(new QuiverClient({ url: 'http://quiver.invalid', fetch: down.fetch, retries: 2, retryDelayMs: 1 }).listCollections());
    expect([error.code, down.calls()]).toEqual(['NETWORK_ERROR', 3]);
    const stillBusy = scripted(busy);
    const busyError = await rejectionOf(new QuiverClient({ url: 'http://quiver.invalid', fetch: stillBusy.fetch, retries: 0 }).listCollections());
    expect([busyError.code, stillBusy.calls()]).toEqual(['SERVER_BUSY', 1]);
  });

  it('never sends again what may have reached the server, nor what it refused for good', async () => {
    const dropped = scripted(reset, ok);
    const error = await rejectionOf(new QuiverClient({ url: 'http://quiver.invalid', fetch: dropped.fetch, retryDelayMs: 1 }).createCollection('x', { dimension: 2 }));
    expect([error.code, dropped.calls()]).toEqual(['NETWORK_ERROR', 1]);
    const invalid = scripted(() => new Response(JSON.stringify({ statusCode: 400, code: 'INVALID_REQUEST', error: 'Bad Request', message: 'no' }), { status: 400 }), ok);
    const refusedError = await rejectionOf(new QuiverClient({ url: 'http://quiver.invalid', fetch: invalid.fetch }).listCollections());
    expect([refusedError.code, invalid.calls()]).toEqual(['INVALID_REQUEST', 1]);
    expect(() => new QuiverClient({ url: 'http://quiver.invalid', retries: 11 })).toThrow(/retries must be an integer from 0 to 10/);
  });
});

describe('failures without a Quiver reply', () => {
  it('NETWORK_ERROR when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await rejectionOf(new QuiverClient({ url: `http://127.0.0.1:${port}`, retries: 0 }).health());
    expect(error).toBeInstanceOf(QuiverClientError);
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('TIMEOUT when the server does not answer within timeoutMs', async () => {
    const silentServer: Server = createServer(() => {});
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silentServer.address() as AddressInfo;
      const started = performance.now();
      const error = await rejectionOf(new QuiverClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 200 }).listCollections());
      expect(error).toBeInstanceOf(QuiverClientError);
      expect(error.code).toBe('TIMEOUT');
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      silentServer.closeAllConnections();
      await new Promise((resolve) => silentServer.close(resolve));
    }
  });

  it('BAD_RESPONSE for a reply that is not Quiver JSON (e.g. a proxy page)', async () => {
    const proxy: typeof fetch = async () => new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } });
    const error = await rejectionOf(new QuiverClient({ url: 'http://quiver.invalid', fetch: proxy }).listCollections());
    expect(error).toBeInstanceOf(QuiverClientError);
    expect([error.code, error.status]).toEqual(['BAD_RESPONSE', 502]);
  });

  it('after close, calls throw DATABASE_CLOSED and send nothing', async () => {
    const recorder = recordingFetch();
    const remote = new QuiverClient({ url: server.url, fetch: recorder.fetch });
    await remote.close();
    expect(remote.closed).toBe(true);
    const error = await rejectionOf(remote.collection('docs').countWhere());
    expect(error.code).toBe('DATABASE_CLOSED');
    expect(recorder.sent).toHaveLength(0);
  });
});

describe('export', () => {
  it('pages through every document, halving a page the server refuses as too large (long vectors)', async () => {
    const dimension = 2048;
    const count = 600;
    const wide = await client.createCollection('wide', { dimension, metric: 'l2' });
    const next = rng(5);
    const documents = Array.from({ length: count }, (_, i) => ({ id: `w${String(i).padStart(3, '0')}`, vector: Float32Array.from({ length: dimension }, () => next() - 0.5) }));
    for (let start = 0; start < count; start += 100) await wide.upsert(documents.slice(start, start + 100));
    const recorder = recordingFetch();
    const watched = new QuiverClient({ url: server.url, fetch: recorder.fetch }).collection('wide');
    const exported = [];
    for await (const document of watched.export({ include: ['vector'] })) exported.push(document);
    expect(exported.map((document) => document.id)).toEqual(documents.map((document) => document.id));
    expect(exported.every((document, i) => document.vector!.every((x, d) => x === documents[i]!.vector[d]))).toBe(true);
    // 600 x 2048 values pass MAX_RESULT_VECTOR_VALUES (2^20): the first page of 1,000 is refused, then 500 at a time.
    const limits = recorder.sent.map((sent) => (sent.body as { limit?: number }).limit);
    expect(limits).toEqual([1_000, 500, 500]);
    await client.dropCollection('wide');
  });
});
