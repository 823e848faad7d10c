/**
 * Every error code the HTTP layer can produce, asserted by code and status,
 * and the one code -> status map checked against the error table and
 * docs/errors.md.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ERROR_CODES, QuiverError } from '../../src/core/errors.js';
import { ERRORS, openDatabase, type ErrorCode } from '../../src/index.js';
import { STATUS } from '../../src/server/error-handler.js';
import { COLLECTION, base64, errorOf, expectStatus, makeApp, seed, seedVector, send, silent, type TestApp } from './helpers.js';

type HttpCode = (typeof HTTP_ERROR_CODES)[number];
type CoreCode = Exclude<ErrorCode, HttpCode>;

const CODES = Object.keys(ERRORS) as ErrorCode[];
const KEY = 'read-write-key-0123456789';
const READ_ONLY_KEY = 'read-only-key-0123456789';

let t: TestApp;

beforeAll(async () => {
  t = await makeApp();
  await seed(t.app);
});

afterAll(async () => {
  await t.close();
});

function expectError(response: LightMyRequestResponse, code: ErrorCode): void {
  const body = errorOf(response);
  expect({ code: body.code, status: response.statusCode }).toEqual({ code, status: STATUS[code] });
}

describe('the status map', () => {
  it('gives every code in the error table a 4xx or 5xx status', () => {
    expect(Object.keys(STATUS).sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      expect(STATUS[code]).toBeGreaterThanOrEqual(400);
      expect(STATUS[code]).toBeLessThan(600);
    }
  });

  it('every code has an entry in docs/errors.md, whose status table agrees with STATUS', () => {
    const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Map<string, string[][]>();
    for (const line of docs.split('\n')) {
      const match = /^\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
      if (!match) continue;
      const cells = match[2]!.split('|').map((cell) => cell.trim());
      rows.set(match[1]!, [...(rows.get(match[1]!) ?? []), cells]);
    }
    const undocumented = CODES.filter((code) => !rows.has(code));
    expect(undocumented, 'codes without a row in docs/errors.md').toEqual([]);
    for (const code of CODES) {
      // One row explains when the code happens; the status table gives its status.
      const cells = rows.get(code)!;
      expect(cells.some((row) => row.some((cell) => cell.length > 20)), `${code} has no explanation`).toBe(true);
      const statuses = cells.filter((row) => /^\d{3}$/.test(row[0]!)).map((row) => Number(row[0]));
      expect(statuses.length, `${code} has no status in docs/errors.md`).toBeGreaterThan(0);
      for (const status of statuses) expect({ code, status }).toEqual({ code, status: STATUS[code] });
    }
    const documented = [...rows.keys()].filter((code) => !(code in ERRORS));
    expect(documented, 'rows for codes that no longer exist').toEqual([]);
  });

  it('lists as HTTP codes only codes of the error table', () => {
    for (const code of HTTP_ERROR_CODES) expect(CODES).toContain(code);
  });

  it('turns every code thrown by a route into its status with the standard body', async () => {
    const app = await makeApp();
    app.app.get<{ Params: { code: ErrorCode } }>('/throw/:code', async (request) => {
      throw new QuiverError(request.params.code, `thrown ${request.params.code}`);
    });
    for (const code of CODES) {
      const reply = await send(app.app, 'GET', `/throw/${code}`);
      expectError(reply, code);
      if (code === 'RATE_LIMITED') expect(reply.headers['retry-after']).toBe('1');
    }
    await app.close();
  });
});

describe('core codes that reach HTTP', () => {
  /**
   * A request that produces each core code, or why none can: the route
   * schemas reject some inputs before the engine sees them, and some codes
   * come only from opening a database. A new core code without an entry
   * here fails to compile.
   */
  const triggers: Record<CoreCode, (() => Promise<LightMyRequestResponse>) | { unreachable: string; schemaCatches?: () => Promise<LightMyRequestResponse> }> = {
    DOCUMENT_NOT_FOUND: () => send(t.app, 'GET', `/collections/${COLLECTION}/documents/nope`),
    CLUSTER_UNAVAILABLE: { unreachable: 'cluster mode only: test/cluster reaches it over REST on a cluster node' },
    EMBEDDING_FAILED: async () => {
      await send(t.app, 'POST', '/collections', { name: 'embedded', dimension: 2, embedder: { provider: 'openai', url: 'http://127.0.0.1:9/v1', model: 'm', maxRetries: 0, timeoutMs: 2000 } });
      return send(t.app, 'POST', '/collections/embedded/documents', { documents: [{ id: 'a', text: 'nobody listens on port 9' }] });
    },
    EMBEDDER_UNAVAILABLE: async () => {
      await send(t.app, 'POST', '/collections', { name: 'local-embedded', dimension: 2, embedder: { provider: 'local', model: 'not-in-this-process' } });
      return send(t.app, 'POST', '/collections/local-embedded/search', { text: 'query' });
    },
    EMBEDDER_MISMATCH: async () => {
      await send(t.app, 'POST', '/collections', { name: 'model-a', dimension: 2, embedder: { provider: 'local', model: 'a' } });
      return send(t.app, 'POST', '/collections/model-a/search', { vector: [1, 0], model: 'b' });
    },
    ALIAS_NOT_FOUND: () => send(t.app, 'PUT', '/aliases/nope', { collection: COLLECTION }),
    ALIAS_EXISTS: async () => {
      expectStatus(await send(t.app, 'POST', '/aliases', { alias: 'current', collection: COLLECTION }), 201);
      return send(t.app, 'POST', '/aliases', { alias: 'current', collection: COLLECTION });
    },
    INVALID_OPTIONS: {
      unreachable: 'the create-collection schema checks every option first (INVALID_REQUEST)',
      schemaCatches: () => send(t.app, 'POST', '/collections', { name: 'x', dimension: 0 }),
    },
    INVALID_COLLECTION_NAME: {
      unreachable: 'the schemas check names in bodies and paths first (INVALID_REQUEST)',
      schemaCatches: () => send(t.app, 'POST', '/collections', { name: 'bad name!', dimension: 2 }),
    },
    LIMIT_EXCEEDED: () => send(t.app, 'POST', `/collections/${COLLECTION}/search`, { text: Array.from({ length: 65 }, (_, i) => `word${i}x`).join(' ') }),
    // Its client is gone when it is raised (see reads.test.ts); a route that throws it shows the status a proxy would log.
    REQUEST_ABORTED: async () => {
      const app = await makeApp();
      app.app.get('/aborted', async () => {
        throw new QuiverError('REQUEST_ABORTED', ERRORS.REQUEST_ABORTED('read'));
      });
      try {
        return await send(app.app, 'GET', '/aborted');
      } finally {
        await app.close();
      }
    },
    DATABASE_LOCKED: { unreachable: 'raised by openDatabase when the server starts, before any request' },
    DATA_DAMAGED: { unreachable: 'raised by openDatabase when the server starts, before any request' },
    KERNEL_ABORT: { unreachable: 'needs a kernel called with output buffers too small for it, which the engine never does' },
    OUT_OF_MEMORY: async () => {
      const small = await makeApp({}, await openDatabase({ logger: silent, memoryLimit: 1024 * 1024 }));
      try {
        expect((await send(small.app, 'POST', '/collections', { name: 'big', dimension: 128 })).statusCode).toBe(201);
        const documents = Array.from({ length: 100 }, (_, i) => ({ id: `d${i}`, vector: Array.from({ length: 128 }, (_, d) => (d === i % 128 ? 1 : 0.5)) }));
        const reply = await send(small.app, 'POST', '/collections/big/documents', { documents });
        // Nothing of the rejected batch was stored.
        expect((await send(small.app, 'GET', '/collections/big')).json()).toMatchObject({ count: 0, version: 0, state: 'ready' });
        return reply;
      } finally {
        await small.close();
      }
    },
    INDEX_UNAVAILABLE: async () => {
      const path = mkdtempSync(join(tmpdir(), 'quiver-server-degraded-'));
      try {
        const db = await openDatabase({ path, logger: silent });
        const docs = await db.createCollection('big', { dimension: 2 });
        await docs.upsert([{ id: 'a', vector: [1, 2], text: 'kept' }]);
        await db.close();
        const reopened = await makeApp({}, await openDatabase({ path, logger: silent, memoryLimit: 1 }));
        try {
          // The collection says why it cannot be searched; its documents are still served.
          const info = (await send(reopened.app, 'GET', '/collections/big')).json() as { state: string; reason?: string; count: number };
          expect(info).toMatchObject({ state: 'degraded', count: 1, reason: expect.stringMatching(/memoryLimit/) });
          expect((await send(reopened.app, 'GET', '/collections/big/documents/a')).json()).toMatchObject({ id: 'a', text: 'kept' });
          return await send(reopened.app, 'POST', '/collections/big/search', { vector: [1, 2] });
        } finally {
          await reopened.close();
        }
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
    INVALID_ARGUMENT: () => send(t.app, 'POST', `/collections/${COLLECTION}/documents/list`, { after: '9'.repeat(400) }),
    COLLECTION_NOT_FOUND: () => send(t.app, 'POST', '/collections/nope/search', { vector: seedVector(0) }),
    COLLECTION_EXISTS: () => send(t.app, 'POST', '/collections', { name: COLLECTION, dimension: 4 }),
    DIMENSION_MISMATCH: () => send(t.app, 'POST', `/collections/${COLLECTION}/documents`, { documents: [{ id: 'x', vector: [1, 2, 3] }] }),
    INVALID_VECTOR: () => send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: [0, 0, 0, 0] }),
    INVALID_ID: () => send(t.app, 'POST', `/collections/${COLLECTION}/documents/get`, { ids: ['€'.repeat(200)] }),
    DUPLICATE_ID: () =>
      send(t.app, 'POST', `/collections/${COLLECTION}/documents`, {
        documents: [
          { id: 'x', vector: [1, 2, 3, 4] },
          { id: 'x', vector: [4, 3, 2, 1] },
        ],
      }),
    INVALID_DOCUMENT: () =>
      send(t.app, 'POST', `/collections/${COLLECTION}/documents`, { documents: [{ id: 'x', vector: [1, 2, 3, 4], metadata: { big: 'x'.repeat(70_000) } }] }),
    INVALID_FILTER: () => send(t.app, 'POST', `/collections/${COLLECTION}/count`, { filter: { price: { $near: 1 } } }),
    DATABASE_CLOSED: async () => {
      const closed = await makeApp();
      await closed.db.close();
      try {
        return await send(closed.app, 'GET', '/collections');
      } finally {
        await closed.close();
      }
    },
    COLLECTION_UNAVAILABLE: async () => {
      const path = mkdtempSync(join(tmpdir(), 'quiver-server-broken-'));
      try {
        const db = await openDatabase({ path, logger: silent });
        await db.createCollection('broken', { dimension: 2 });
        await db.close();
        const raw = new BetterSqlite3(join(path, 'quiver.db'));
        raw.prepare("UPDATE collections SET config = '{\"dimension\": -1}' WHERE name = 'broken'").run();
        raw.close();
        const reopened = await makeApp({}, await openDatabase({ path, logger: silent }));
        try {
          // The collection list says why; describing it is a 503; dropping it still works.
          const list = (await send(reopened.app, 'GET', '/collections')).json() as { collections: { name: string; state: string; reason?: string }[] };
          expect(list.collections).toEqual([{ name: 'broken', state: 'unavailable', reason: expect.any(String) }]);
          const reply = await send(reopened.app, 'POST', '/collections/broken/search', { vector: [1, 2] });
          expect((await send(reopened.app, 'DELETE', '/collections/broken')).statusCode).toBe(204);
          return reply;
        } finally {
          await reopened.close();
        }
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
  };

  for (const code of CODES.filter((c): c is CoreCode => !(HTTP_ERROR_CODES as readonly string[]).includes(c))) {
    const trigger = triggers[code];
    if (typeof trigger === 'function') {
      it(`${code} answers ${STATUS[code]}`, async () => {
        expectError(await trigger(), code);
      });
    } else if (trigger.schemaCatches) {
      const catches = trigger.schemaCatches;
      it(`${code} cannot reach HTTP: ${trigger.unreachable}`, async () => {
        expectError(await catches(), 'INVALID_REQUEST');
      });
    } else {
      // Still mapped (see 'turns every code thrown by a route…'): a server-side condition, so a 5xx.
      it(`${code} cannot reach HTTP: ${trigger.unreachable}`, () => {
        expect(STATUS[code]).toBeGreaterThanOrEqual(500);
      });
    }
  }

  it('more ways to each code: base64 of a wrong length, a wrong dimension, non-finite numbers, bad ids', async () => {
    const docs = `/collections/${COLLECTION}`;
    expectError(await send(t.app, 'POST', `${docs}/search`, { vector: base64([1, 2, 3, 4]).replace(/=*$/, '') + 'AA==' }), 'INVALID_VECTOR');
    expectError(await send(t.app, 'POST', `${docs}/search`, { vector: base64([1, 2, 3]) }), 'DIMENSION_MISMATCH');
    expectError(await send(t.app, 'POST', `${docs}/documents`, { documents: [{ id: 'x', vector: base64([1, 2, 3, 4, 5]) }] }), 'DIMENSION_MISMATCH');
    expectError(await send(t.app, 'POST', `${docs}/documents`, { documents: [{ id: 'x', vector: [1, 2, 3, 1e39] }] }), 'INVALID_VECTOR');
    expectError(await send(t.app, 'POST', `${docs}/search`, { vector: base64([1, 2, Number.NaN, 4]) }), 'INVALID_VECTOR');
    expectError(await send(t.app, 'POST', `${docs}/documents`, '{"documents":[{"id":"x","vector":[1,2,3,4],"metadata":{"a":1e999}}]}'), 'INVALID_DOCUMENT');
    expectError(await send(t.app, 'POST', `${docs}/documents/delete`, { ids: ['€'.repeat(200)] }), 'INVALID_ID');
    // 171 characters (under the schema's 512) but 513 UTF-8 bytes.
    expectError(await send(t.app, 'GET', `${docs}/documents/${encodeURIComponent('€'.repeat(171))}`), 'INVALID_ID');
    expectError(await send(t.app, 'POST', `${docs}/documents/delete`, { filter: { $and: 'x' } }), 'INVALID_FILTER');
    expectError(await send(t.app, 'POST', `${docs}/documents/list`, { filter: { price: { $gt: 'a', $in: 3 } } }), 'INVALID_FILTER');
    expectError(await send(t.app, 'DELETE', '/collections/nope'), 'COLLECTION_NOT_FOUND');
  });
});

describe('HTTP codes', () => {
  /** A request that produces each code only the HTTP layer raises; a new one without an entry here fails to compile. */
  const triggers: Record<HttpCode, () => Promise<LightMyRequestResponse>> = {
    INVALID_REQUEST: () => send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(0), k: '5' }),
    PAYLOAD_TOO_LARGE: async () => {
      const small = await makeApp({ bodyLimit: 1024 });
      try {
        return await send(small.app, 'POST', '/collections', { name: 'x', dimension: 2, padding: 'x'.repeat(2000) });
      } finally {
        await small.close();
      }
    },
    UNAUTHORIZED: async () => {
      const secured = await makeApp({ apiKey: KEY });
      try {
        return await send(secured.app, 'GET', '/collections', undefined, { authorization: 'Bearer wrong-key-0123456789' });
      } finally {
        await secured.close();
      }
    },
    FORBIDDEN: async () => {
      const secured = await makeApp({ apiKey: KEY, readOnlyKey: READ_ONLY_KEY });
      try {
        return await send(secured.app, 'POST', '/collections', { name: 'x', dimension: 2 }, { 'x-api-key': READ_ONLY_KEY });
      } finally {
        await secured.close();
      }
    },
    RATE_LIMITED: async () => {
      const limited = await makeApp({ rateLimitMax: 1 });
      try {
        await send(limited.app, 'GET', '/collections');
        return await send(limited.app, 'GET', '/collections');
      } finally {
        await limited.close();
      }
    },
    SERVER_BUSY: async () => {
      // Replies of a megabyte or more wait for their clients within pendingReplyBytes: this one alone is over it.
      const small = await makeApp({ pendingReplyBytes: 2 ** 20 });
      try {
        await send(small.app, 'POST', '/collections', { name: 'long', dimension: 2 });
        const documents = Array.from({ length: 3_000 }, (_, i) => ({ id: `d${i}`, vector: [1, i], text: 'x'.repeat(500) }));
        await send(small.app, 'POST', '/collections/long/documents', { documents });
        const reply = await send(small.app, 'POST', '/collections/long/documents/list', { limit: 3_000, include: ['text'] });
        expect(reply.headers['retry-after']).toBe('1');
        // A smaller page still goes through.
        expect((await send(small.app, 'POST', '/collections/long/documents/list', { limit: 100, include: ['text'] })).statusCode).toBe(200);
        return reply;
      } finally {
        await small.close();
      }
    },
    ROUTE_NOT_FOUND: () => send(t.app, 'GET', '/nowhere?x=1'),
    // A server started without --backup-dir (QUIVER_BACKUP_DIR) writes no backups.
    NOT_CONFIGURED: () => send(t.app, 'POST', '/backup', {}),
    INTERNAL_ERROR: async () => {
      const broken = await makeApp();
      broken.app.get('/boom', async () => {
        throw new TypeError('secret internals');
      });
      try {
        const reply = await send(broken.app, 'GET', '/boom');
        expect(reply.body).not.toContain('secret internals');
        return reply;
      } finally {
        await broken.close();
      }
    },
  };

  for (const code of HTTP_ERROR_CODES) {
    it(`${code} answers ${STATUS[code]}`, async () => {
      expectError(await triggers[code](), code);
    });
  }

  it('INVALID_REQUEST covers unreadable bodies: malformed JSON, empty JSON, unsupported content types, missing bodies', async () => {
    const url = `/collections/${COLLECTION}/search`;
    expectError(await send(t.app, 'POST', url, '{"vector": [1,2,3,4]'), 'INVALID_REQUEST');
    expectError(await send(t.app, 'POST', url, ''), 'INVALID_REQUEST');
    expectError(await send(t.app, 'POST', url, '{"vector":[1,2,3,4]}', { 'content-type': 'application/x-www-form-urlencoded' }), 'INVALID_REQUEST');
    expectError(await send(t.app, 'POST', url, '{"vector":[1,2,3,4]}', { 'content-type': 'text/plain' }), 'INVALID_REQUEST');
    expectError(await send(t.app, 'POST', url), 'INVALID_REQUEST');
    expectError(await send(t.app, 'POST', url, '{"vector":[1,2,3,4],"__proto__":{"k":1}}'), 'INVALID_REQUEST');
    expectError(await send(t.app, 'GET', `/collections/${'x'.repeat(65)}`), 'INVALID_REQUEST');
  });

  it('INVALID_REQUEST for malformed URLs and path parameters longer than any id', async () => {
    expectError(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/%E0%A4%A`), 'INVALID_REQUEST');
    expectError(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/${'x'.repeat(513)}`), 'INVALID_REQUEST');
    // Longer than the router's limit on one path parameter (3 x MAX_ID_BYTES).
    expectError(await send(t.app, 'GET', `/collections/${COLLECTION}/documents/${'x'.repeat(2000)}`), 'INVALID_REQUEST');
    expectError(await send(t.app, 'GET', `/collections/${'x'.repeat(2000)}`), 'INVALID_REQUEST');
  });

  it('the longest valid id (512 UTF-8 bytes) can be read back by path, percent-encoded', async () => {
    const id = `${'€'.repeat(170)}ab`;
    expect(Buffer.byteLength(id)).toBe(512);
    const write = await send(t.app, 'POST', `/collections/${COLLECTION}/documents`, { documents: [{ id, vector: [1, 2, 3, 4] }] });
    expect(write.statusCode).toBe(200);
    const reply = await send(t.app, 'GET', `/collections/${COLLECTION}/documents/${encodeURIComponent(id)}`);
    expect(reply.statusCode).toBe(200);
    expect(reply.json().id).toBe(id);
    expect((await send(t.app, 'POST', `/collections/${COLLECTION}/documents/delete`, { ids: [id] })).json().deleted).toBe(1);
  });

  it('ROUTE_NOT_FOUND for a known path with another method', async () => {
    expectError(await send(t.app, 'PUT', `/collections/${COLLECTION}`), 'ROUTE_NOT_FOUND');
    expectError(await send(t.app, 'PUT', `/collections/${COLLECTION}/documents/d1`), 'ROUTE_NOT_FOUND');
  });
});
