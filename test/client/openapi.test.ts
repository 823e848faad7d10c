/**
 * The client against the OpenAPI document the live server serves: every
 * route in the client's table, and every request the client actually sends
 * while exercising each of its calls, is a method + path of the document.
 * A route renamed on the server fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_SEARCHES as CLIENT_MAX_BATCH_SEARCHES, QuiverClient, ROUTES } from '../../src/client/index.js';
import { MAX_BATCH_SEARCHES } from '../../src/server/schemas.js';
import { recordingFetch, startServer, type LiveServer, type Sent } from './helpers.js';

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

let server: LiveServer;
let spec: OpenApi;
/** The server's backup directory, so that POST /backup answers. */
const backupDir = mkdtempSync(join(tmpdir(), 'quiver-openapi-backups-'));

beforeAll(async () => {
  server = await startServer({ backupDir });
  const reply = await fetch(`${server.url}/openapi.json`);
  expect(reply.status).toBe(200);
  spec = (await reply.json()) as OpenApi;
});

afterAll(async () => {
  await server.close();
  rmSync(backupDir, { recursive: true, force: true });
});

/** The OpenAPI path template a request's path matches, if any (`{param}` matches one percent-encoded segment). */
function templateOf(method: string, pathname: string): string | undefined {
  return Object.keys(spec.paths).find((template) => {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return pattern.test(pathname) && spec.paths[template]![method.toLowerCase()] !== undefined;
  });
}

/** Every call of QuiverClient and RemoteCollection once. */
async function exerciseEveryCall(client: QuiverClient): Promise<void> {
  await client.health();
  await client.ready();
  const docs = await client.createCollection('spec', { dimension: 2 });
  await client.listCollections();
  await client.hasCollection('spec');
  await docs.describe();
  await docs.upsert([{ id: 'a', vector: [1, 0], text: 'alpha' }, { id: 'b', vector: [0, 1] }]);
  await docs.get('a');
  await docs.getMany(['a', 'b']);
  await docs.search({ vector: [1, 1], k: 1 });
  await docs.searchBatch([{ text: 'alpha' }]);
  await docs.countWhere({});
  await docs.list({ limit: 1 });
  await docs.optimize();
  await docs.update([{ id: 'b', set: { tag: 1 } }]);
  await docs.updateWhere({ tag: 1 }, { text: 'beta' });
  await docs.delete(['a']);
  await docs.deleteWhere({ missing: true });
  await client.createAlias('spec-alias', 'spec');
  await client.switchAlias('spec-alias', 'spec');
  await client.listAliases();
  await client.dropAlias('spec-alias');
  await client.backup();
  const cache = client.semanticCache('spec', { maxEntries: 10 });
  await cache.store(new Array(await specDimension(client)).fill(0.5), 'cached answer');
  await cache.lookup(new Array(await specDimension(client)).fill(0.5));
  await cache.evict();
  await client.dropCollection('spec');
}

/** The dimension of the collection the exercise made. */
async function specDimension(client: QuiverClient): Promise<number> {
  return (await client.collection('spec').describe()).dimension!;
}

describe('the client and the OpenAPI document', () => {
  it('documents every route in the client table, with the same method', () => {
    for (const [call, { method, path }] of Object.entries(ROUTES)) {
      expect(spec.paths[path]?.[method.toLowerCase()], `${call}: ${method} ${path}`).toBeDefined();
    }
  });

  it('documents every request the client sends, and the calls use every route in the table', async () => {
    const recorder = recordingFetch();
    await exerciseEveryCall(new QuiverClient({ url: server.url, fetch: recorder.fetch }));
    const used = new Set<string>();
    for (const { method, url } of recorder.sent as Sent[]) {
      const template = templateOf(method, url.pathname);
      expect(template, `${method} ${url.pathname} is not in the OpenAPI document`).toBeDefined();
      used.add(`${method} ${template!}`);
    }
    expect([...used].sort()).toEqual(Object.values(ROUTES).map(({ method, path }) => `${method} ${path}`).sort());
  });

  it('chunks batch searches at the server limit', () => {
    expect(CLIENT_MAX_BATCH_SEARCHES).toBe(MAX_BATCH_SEARCHES);
  });
});
