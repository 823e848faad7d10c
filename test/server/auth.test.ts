/**
 * API keys: with a key configured every route but the health checks needs
 * one; the read-only key reads and gets 403 on writes; both header forms
 * work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTION, base64, digest, errorOf, makeApp, seedVector, send, type TestApp } from './helpers.js';

const KEY = 'read-write-key-0123456789';
const READ_ONLY_KEY = 'read-only-key-0123456789';

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  /** Writes: the read-only key gets 403. */
  write?: boolean;
  /** The health checks need no key. */
  open?: boolean;
  /** The OpenAPI path, for checking that this list holds every documented route. */
  spec?: string;
}

const docs = `/collections/${COLLECTION}`;

/** Every route, with a request that succeeds given the read-write key. */
const ROUTES: Route[] = [
  { method: 'GET', url: '/health', open: true, spec: '/health' },
  { method: 'GET', url: '/health/ready', open: true, spec: '/health/ready' },
  { method: 'GET', url: '/metrics', spec: '/metrics' },
  { method: 'GET', url: '/openapi.json' },
  { method: 'GET', url: '/docs/' },
  { method: 'GET', url: '/dashboard/', open: true },
  { method: 'GET', url: '/dashboard/app.js', open: true },
  { method: 'GET', url: '/access', spec: '/access' },
  { method: 'GET', url: '/collections', spec: '/collections' },
  { method: 'GET', url: docs, spec: '/collections/{name}' },
  { method: 'POST', url: `${docs}/search`, body: { vector: seedVector(0) }, spec: '/collections/{name}/search' },
  { method: 'POST', url: `${docs}/search/batch`, body: { searches: [{ vector: seedVector(0) }] }, spec: '/collections/{name}/search/batch' },
  { method: 'GET', url: `${docs}/search?vector=${encodeURIComponent(base64(seedVector(0)))}`, spec: '/collections/{name}/search' },
  { method: 'GET', url: `${docs}/documents/d0`, spec: '/collections/{name}/documents/{id}' },
  { method: 'POST', url: `${docs}/documents/get`, body: { ids: ['d0'] }, spec: '/collections/{name}/documents/get' },
  { method: 'POST', url: `${docs}/documents/list`, body: {}, spec: '/collections/{name}/documents/list' },
  { method: 'POST', url: `${docs}/count`, body: {}, spec: '/collections/{name}/count' },
  { method: 'GET', url: '/aliases', spec: '/aliases' },
  { method: 'POST', url: '/collections', body: { name: 'created', dimension: 2 }, write: true, spec: '/collections' },
  { method: 'POST', url: `${docs}/documents`, body: { documents: [{ id: 'new', vector: [1, 2, 3, 4] }] }, write: true, spec: '/collections/{name}/documents' },
  { method: 'POST', url: `${docs}/documents/delete`, body: { ids: ['d1'] }, write: true, spec: '/collections/{name}/documents/delete' },
  { method: 'POST', url: `${docs}/documents/delete`, body: { filter: { group: 2 } }, write: true },
  { method: 'POST', url: `${docs}/optimize`, body: {}, write: true, spec: '/collections/{name}/optimize' },
  { method: 'PATCH', url: `${docs}/documents/d0`, body: { set: { seen: true } }, write: true, spec: '/collections/{name}/documents/{id}' },
  { method: 'POST', url: `${docs}/documents/update`, body: { updates: [{ id: 'd0', text: 'updated' }] }, write: true, spec: '/collections/{name}/documents/update' },
  { method: 'DELETE', url: `${docs}/documents/d3`, write: true, spec: '/collections/{name}/documents/{id}' },
  { method: 'POST', url: '/aliases', body: { alias: 'current', collection: COLLECTION }, write: true, spec: '/aliases' },
  { method: 'PUT', url: '/aliases/current', body: { collection: COLLECTION }, write: true, spec: '/aliases/{alias}' },
  { method: 'DELETE', url: '/aliases/current', write: true, spec: '/aliases/{alias}' },
  { method: 'POST', url: `${docs}/cache/lookup`, body: { vector: seedVector(0) }, spec: '/collections/{name}/cache/lookup' },
  { method: 'POST', url: `${docs}/cache/entries`, body: { vector: seedVector(0), answer: 'cached' }, write: true, spec: '/collections/{name}/cache/entries' },
  { method: 'POST', url: `${docs}/cache/evict`, body: {}, write: true, spec: '/collections/{name}/cache/evict' },
  { method: 'POST', url: '/backup', body: {}, write: true, spec: '/backup' },
  { method: 'DELETE', url: docs, write: true, spec: '/collections/{name}' },
];

let t: TestApp;
/** Where POST /backup writes. */
const backupDir = mkdtempSync(join(tmpdir(), 'quiver-auth-backups-'));

beforeAll(async () => {
  t = await makeApp({ apiKey: KEY, readOnlyKey: READ_ONLY_KEY, backupDir });
  // Seeding through HTTP needs the key: do it with one.
  await send(t.app, 'POST', '/collections', { name: COLLECTION, dimension: 4 }, { 'x-api-key': KEY });
  await send(
    t.app,
    'POST',
    `${docs}/documents`,
    { documents: Array.from({ length: 6 }, (_, i) => ({ id: `d${i}`, vector: seedVector(i), metadata: { group: i % 3 } })) },
    { 'x-api-key': KEY },
  );
});

afterAll(async () => {
  await t.close();
  rmSync(backupDir, { recursive: true, force: true });
});

const call = (route: Route, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => send(t.app, route.method, route.url, route.body, headers);

describe('API keys', () => {
  it('the route list covers every route in the OpenAPI document', async () => {
    const spec = (await call({ method: 'GET', url: '/openapi.json' }, { 'x-api-key': KEY })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const tested = new Set(ROUTES.filter((r) => r.spec).map((r) => `${r.method} ${r.spec}`));
    expect(documented.filter((operation) => !tested.has(operation))).toEqual([]);
  });

  it('without a key: 401 UNAUTHORIZED on every route but /health and /health/ready, and nothing changes', async () => {
    const before = await digest(t.db);
    for (const route of ROUTES) {
      const reply = await call(route);
      if (route.open) {
        expect(reply.statusCode, route.url).toBe(200);
      } else {
        expect({ route: `${route.method} ${route.url}`, status: reply.statusCode, code: errorOf(reply).code }).toEqual({
          route: `${route.method} ${route.url}`,
          status: 401,
          code: 'UNAUTHORIZED',
        });
      }
    }
    // Unknown routes too: a caller without a key learns nothing about what exists.
    expect(errorOf(await send(t.app, 'GET', '/nowhere')).code).toBe('UNAUTHORIZED');
    expect(await digest(t.db)).toBe(before);
  });

  it('a wrong key, an empty bearer, or another scheme is 401', async () => {
    const route = ROUTES.find((r) => r.url === '/collections' && r.method === 'GET')!;
    const attempts: Record<string, string>[] = [
      { 'x-api-key': 'wrong-key-0123456789' },
      { authorization: 'Bearer wrong-key-0123456789' },
      { authorization: 'Bearer ' },
      { authorization: `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}` },
      { authorization: KEY },
      { 'x-api-key': KEY.slice(0, -1) },
    ];
    for (const headers of attempts) {
      const reply = await call(route, headers);
      expect({ headers, status: reply.statusCode, code: errorOf(reply).code }).toEqual({ headers, status: 401, code: 'UNAUTHORIZED' });
    }
  });

  it('the read-only key can search, get, list, count, describe, read metrics and the docs, and gets 403 FORBIDDEN on writes', async () => {
    const before = await digest(t.db);
    for (const route of ROUTES) {
      const forms: Record<string, string>[] = [{ authorization: `Bearer ${READ_ONLY_KEY}` }, { 'x-api-key': READ_ONLY_KEY }];
      for (const headers of forms) {
        const reply = await call(route, headers);
        const label = `${route.method} ${route.url} ${Object.keys(headers)[0]}`;
        if (route.write) {
          expect({ label, status: reply.statusCode, code: errorOf(reply).code }).toEqual({ label, status: 403, code: 'FORBIDDEN' });
        } else {
          expect({ label, status: reply.statusCode }).toEqual({ label, status: 200 });
        }
      }
    }
    expect(await digest(t.db)).toBe(before);
  });

  it('the Bearer scheme is case-insensitive (RFC 9110), for both keys', async () => {
    const route = ROUTES.find((r) => r.url === '/collections' && r.method === 'GET')!;
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await call(route, { authorization: `${scheme} ${KEY}` })).statusCode).toBe(200);
      expect((await call(route, { authorization: `${scheme}  ${READ_ONLY_KEY}` })).statusCode).toBe(200);
    }
  });

  it('an unknown route is 404 ROUTE_NOT_FOUND to either key, and 401 without one', async () => {
    for (const key of [KEY, READ_ONLY_KEY]) {
      for (const [method, url] of [['GET', '/nowhere'], ['POST', '/collections/x/nothing'], ['DELETE', '/collections/x/documents']] as const) {
        const reply = await send(t.app, method, url, undefined, { 'x-api-key': key });
        expect({ key, method, url, status: reply.statusCode, code: errorOf(reply).code }).toEqual({ key, method, url, status: 404, code: 'ROUTE_NOT_FOUND' });
      }
    }
    expect(errorOf(await send(t.app, 'GET', '/nowhere')).code).toBe('UNAUTHORIZED');
  });

  it('the read-write key can use every route, in both header forms', async () => {
    const forms = [(key: string) => ({ authorization: `Bearer ${key}` }), (key: string) => ({ 'x-api-key': key })];
    let i = 0;
    for (const route of ROUTES) {
      const reply = await call(route, forms[i++ % 2]!(KEY));
      expect({ route: `${route.method} ${route.url}`, status: reply.statusCode < 300 }).toEqual({ route: `${route.method} ${route.url}`, status: true });
    }
    expect(t.db.hasCollection(COLLECTION)).toBe(false);
    expect(t.db.hasCollection('created')).toBe(true);
  });
});

describe('without keys', () => {
  it('the API is open', async () => {
    const open = await makeApp();
    expect((await send(open.app, 'GET', '/collections')).statusCode).toBe(200);
    expect((await send(open.app, 'POST', '/collections', { name: 'x', dimension: 2 })).statusCode).toBe(201);
    await open.close();
  });
});
