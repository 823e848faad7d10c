/**
 * Collections with an embedder (issue 21, item 3), against a local HTTP
 * server speaking OpenAI's embeddings protocol: text without a vector is
 * embedded in batches with the key from the environment; 429 (Retry-After),
 * 500 and timeouts are retried, and a provider that fails mid-batch leaves
 * nothing written; text searches run as semantic, hybrid or keyword search;
 * the embedder's identity is stored (a search naming another model is
 * refused) and its key is not; in-process embedders by model name.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/index.js';
import { silent } from '../../fixtures/databases.js';
import { letterEmbedder, letterVector } from '../../fixtures/letter-embeddings.js';

const DIMENSION = 8;
const KEY = 'sk-test-secret-0123456789';
process.env.QUIVER_TEST_EMBED_KEY = KEY;

const embed = (text: string) => letterVector(text, DIMENSION);

interface Call {
  input: string[];
  model: string;
  authorization: string | undefined;
  dimensions?: number;
}

/** What the server does with its next requests: answer, fail with a status (and Retry-After), or hang. */
type Behaviour = { status: number; retryAfter?: string } | 'hang' | 'ok';

let server: Server;
let url: string;
const calls: Call[] = [];
const script: Behaviour[] = [];

beforeAll(async () => {
  server = createServer((request: IncomingMessage, reply: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const parsed = JSON.parse(body) as { input: string[]; model: string; dimensions?: number };
      calls.push({ input: parsed.input, model: parsed.model, authorization: request.headers.authorization, dimensions: parsed.dimensions });
      const behaviour = script.shift() ?? 'ok';
      if (behaviour === 'hang') return;
      if (behaviour !== 'ok') {
        reply.writeHead(behaviour.status, { 'content-type': 'application/json', ...(behaviour.retryAfter === undefined ? {} : { 'retry-after': behaviour.retryAfter }) });
        reply.end(JSON.stringify({ error: { message: `scripted ${behaviour.status}` } }));
        return;
      }
      // Out of order on purpose: clients must place each embedding by its index.
      const data = parsed.input.map((text, index) => ({ object: 'embedding', index, embedding: embed(text) })).reverse();
      reply.writeHead(200, { 'content-type': 'application/json' });
      reply.end(JSON.stringify({ object: 'list', data, model: parsed.model }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  calls.length = 0;
  script.length = 0;
});

const embedder = (options: Record<string, unknown> = {}) => ({ provider: 'openai' as const, url, model: 'toy-embed', apiKeyEnv: 'QUIVER_TEST_EMBED_KEY', batchSize: 4, ...options });
const texts = ['alpha beta', 'gamma delta', 'epsilon zeta', 'eta theta', 'iota kappa', 'lambda mu', 'nu xi', 'omicron pi', 'rho sigma', 'tau upsilon'];
const documents = texts.map((text, i) => ({ id: `d${i}`, text, metadata: { n: i } }));

async function database(): Promise<Database> {
  return openDatabase({ workers: 0, logger: silent });
}

describe('a collection with an OpenAI-compatible embedder', () => {
  it('embeds the text of documents without a vector, in batches, with the key from the environment; a document with its own vector keeps it', async () => {
    const db = await database();
    const docs = await db.createCollection('docs', { dimension: DIMENSION, embedder: embedder() });
    await docs.upsert([...documents, { id: 'own', vector: embed('own vector'), text: 'alpha' }]);
    expect(calls.map((call) => call.input.length)).toEqual([4, 4, 2]);
    expect(calls.flatMap((call) => call.input)).toEqual(texts);
    expect(new Set(calls.map((call) => call.authorization))).toEqual(new Set([`Bearer ${KEY}`]));
    expect(calls.every((call) => call.model === 'toy-embed' && call.dimensions === undefined)).toBe(true);
    const [stored] = await docs.getMany(['d3'], { include: ['vector'] });
    expect([...stored!.vector!]).toEqual([...Float32Array.from(embed('eta theta'))]);
    await db.close();
  });

  it('runs text searches as semantic (default), hybrid or keyword search', async () => {
    const db = await database();
    const docs = await db.createCollection('docs', { dimension: DIMENSION, embedder: embedder() });
    await docs.upsert(documents);
    calls.length = 0;
    const query = 'theta eta';
    const asVector = await docs.search({ vector: embed(query), k: 3, exact: true, include: [] });
    expect(await docs.search({ text: query, k: 3, exact: true, include: [] })).toEqual(asVector);
    expect(calls).toHaveLength(1);
    expect(await docs.search({ text: query, mode: 'semantic', k: 3, exact: true, include: [] })).toEqual(asVector);
    expect(await docs.search({ text: query, mode: 'hybrid', k: 3, exact: true, include: [] })).toEqual(await docs.search({ vector: embed(query), text: query, k: 3, exact: true, include: [] }));
    const keyword = await docs.search({ text: query, mode: 'keyword', k: 3, include: [] });
    expect(keyword.map((hit) => hit.id)).toEqual(['d3']);
    expect(calls).toHaveLength(3);
    await expect(docs.search({ vector: embed(query), text: query, mode: 'semantic' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // A text change by update would leave the embedded vector stale: refused, nothing changed; metadata updates go through.
    await expect(docs.update([{ id: 'd3', text: 'changed' }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/upsert/) });
    await expect(docs.updateWhere({ n: 3 }, { text: 'changed' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await docs.update([{ id: 'd3', set: { tag: 'x' } }])).updated).toBe(1);
    expect((await docs.getMany(['d3']))[0]!.text).toBe('eta theta');
    await db.close();
  });

  it('retries a 429 after its Retry-After and a 500 after a backoff, then succeeds', async () => {
    const db = await database();
    const docs = await db.createCollection('docs', { dimension: DIMENSION, embedder: embedder({ batchSize: 10 }) });
    script.push({ status: 429, retryAfter: '1' }, { status: 500 });
    const started = performance.now();
    await docs.upsert(documents);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(calls).toHaveLength(3);
    expect(await docs.countWhere()).toBe(texts.length);
    await db.close();
  });

  it('fails with EMBEDDING_FAILED when the provider fails mid-batch, having written nothing', async () => {
    const db = await database();
    const docs = await db.createCollection('docs', { dimension: DIMENSION, embedder: embedder({ maxRetries: 1 }) });
    // The first batch is embedded; the second fails twice (once retried).
    script.push('ok', { status: 503 }, { status: 503 });
    const failed = await docs.upsert(documents).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'EMBEDDING_FAILED' });
    expect(String((failed as Error).message)).toMatch(/503: scripted 503 \(after 2 attempts\)/);
    expect(await docs.countWhere()).toBe(0);
    expect(docs.version).toBe(0);
    // A 400 is the request's fault: not retried.
    script.push({ status: 400 });
    await expect(docs.upsert(documents.slice(0, 1))).rejects.toMatchObject({ code: 'EMBEDDING_FAILED' });
    expect(calls.length).toBe(4);
    await db.close();
  });

  it('gives up on an endpoint that does not answer within timeoutMs, after its retries', async () => {
    const db = await database();
    const docs = await db.createCollection('docs', { dimension: DIMENSION, embedder: embedder({ timeoutMs: 200, maxRetries: 1 }) });
    script.push('hang', 'hang');
    const started = performance.now();
    await expect(docs.search({ text: 'alpha' })).rejects.toMatchObject({ code: 'EMBEDDING_FAILED', message: expect.stringMatching(/did not answer in 200 ms/) });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(calls).toHaveLength(2);
    await db.close();
  });

  it('refuses vectors of another dimension, and a missing key variable, clearly', async () => {
    const db = await database();
    const wide = await db.createCollection('wide', { dimension: DIMENSION + 1, embedder: embedder() });
    await expect(wide.upsert(documents.slice(0, 1))).rejects.toMatchObject({ code: 'EMBEDDING_FAILED', message: expect.stringMatching(/8 dimensions; the collection has 9/) });
    const keyless = await db.createCollection('keyless', { dimension: DIMENSION, embedder: embedder({ apiKeyEnv: 'QUIVER_TEST_UNSET_KEY' }) });
    await expect(keyless.upsert(documents.slice(0, 1))).rejects.toMatchObject({ code: 'EMBEDDING_FAILED', message: expect.stringMatching(/QUIVER_TEST_UNSET_KEY/) });
    expect(await keyless.countWhere()).toBe(0);
    await db.close();
  });

  it('keeps its identity across a reopen, never the key; a search naming another model is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-embedder-'));
    try {
      let db = await openDatabase({ path: dir, workers: 0, logger: silent });
      await (await db.createCollection('docs', { dimension: DIMENSION, embedder: embedder({ dimensions: DIMENSION }) })).upsert(documents);
      expect(calls[0]!.dimensions).toBe(DIMENSION);
      await db.close();
      db = await openDatabase({ path: dir, workers: 0, logger: silent });
      const docs = db.collection('docs');
      expect(docs.info.embedder).toMatchObject({ provider: 'openai', url, model: 'toy-embed', apiKeyEnv: 'QUIVER_TEST_EMBED_KEY', dimensions: DIMENSION });
      expect((await docs.search({ text: 'eta theta', k: 1, exact: true, include: [] }))[0]!.id).toBe('d3');
      await expect(docs.search({ vector: embed('x'), model: 'another-model' })).rejects.toMatchObject({ code: 'EMBEDDER_MISMATCH' });
      expect(await docs.search({ vector: embed('eta theta'), model: 'toy-embed', k: 1, exact: true, include: [] })).toEqual([{ id: 'd3', score: expect.any(Number) }]);
      await db.close();
      const files = (function walk(path: string): string[] {
        return statSync(path).isDirectory() ? readdirSync(path).flatMap((name) => walk(join(path, name))) : [path];
      })(dir);
      for (const file of files) expect(readFileSync(file).includes(KEY), file).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks its options when the collection is created', async () => {
    const db = await database();
    for (const bad of [
      { url: 'ftp://example.com' },
      { url: 'http://user:pass@127.0.0.1/v1' },
      { dimensions: DIMENSION + 1 },
      { apiKeyEnv: 'not a name' },
      { batchSize: 0 },
      { unknown: 1 },
    ]) {
      await expect(db.createCollection('bad', { dimension: DIMENSION, embedder: embedder(bad) }), JSON.stringify(bad)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
    await expect(db.createCollection('bad', { embedder: embedder() })).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/keyword-only/) });
    const plain = await db.createCollection('plain', { dimension: DIMENSION });
    await expect(plain.search({ text: 'alpha', mode: 'semantic' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no embedder/) });
    await expect(plain.upsert([{ id: 'a', text: 'no vector, no embedder' }])).rejects.toMatchObject({ code: 'INVALID_VECTOR' });
    expect(calls).toHaveLength(0);
    await db.close();
  });
});

describe('a collection with an in-process embedder', () => {
  it('uses the object registered under its model name, and fails clearly where none is', async () => {
    const local = letterEmbedder(DIMENSION);
    const dir = mkdtempSync(join(tmpdir(), 'quiver-local-embedder-'));
    try {
      let db = await openDatabase({ path: dir, workers: 0, logger: silent, embedders: { 'toy-local': local } });
      const docs = await db.createCollection('docs', { dimension: DIMENSION, embedder: { provider: 'local', model: 'toy-local' } });
      await docs.upsert(documents);
      expect((await docs.search({ text: 'eta theta', k: 1, exact: true, include: [] }))[0]!.id).toBe('d3');
      await db.close();
      // Reopened without it: reads work, embedding does not.
      db = await openDatabase({ path: dir, workers: 0, logger: silent });
      expect(await db.collection('docs').countWhere()).toBe(texts.length);
      await expect(db.collection('docs').search({ text: 'eta' })).rejects.toMatchObject({ code: 'EMBEDDER_UNAVAILABLE' });
      expect((await db.collection('docs').search({ text: 'eta', mode: 'keyword', include: [] }))[0]!.id).toBe('d3');
      await db.close();
      await expect(openDatabase({ embedders: { broken: { embedQuery: async () => [] } as never } })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
