/**
 * The route other cluster nodes open their shard-call connection on: an
 * HTTP upgrade that passes the router's key check before the engine takes
 * the socket. Without a key, or with a wrong one, the upgrade is refused
 * and the engine never sees the socket; a plain GET is a clear 400; an
 * upgrade to any other route is answered as a request and closed.
 */
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/index.js';
import { buildApp, type QuiverApp } from '../../src/server/app.js';
import type { Engine } from '../../src/server/engine.js';
import { PeerLinks, servePeer, WIRE_PATH, WIRE_PROTOCOL } from '../../src/cluster/peers.js';
import { QuiverError } from '../../src/core/errors.js';
import { silent } from './helpers.js';

const KEY = 'read-write-key-0123456789';
const READ_ONLY_KEY = 'read-only-key-0123456789';

let db: Database;
let built: QuiverApp;
let url: string;
/** Sockets the engine was handed. */
const accepted: Duplex[] = [];

beforeAll(async () => {
  db = await openDatabase({ logger: silent });
  // An embedded database that also takes peer connections, answering each call with what it was sent.
  const engine = new Proxy(db, {
    get(target, key) {
      if (key === 'acceptPeer') {
        return (socket: Duplex, head: Buffer) => {
          accepted.push(socket);
          servePeer(socket, head, async (call) => ({ echo: call }), () => {});
        };
      }
      if (key === 'status') return () => ({ nodeId: 'n1', replicas: [] });
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Engine;
  built = await buildApp(engine, { apiKey: KEY, readOnlyKey: READ_ONLY_KEY, rateLimitMax: 0 });
  url = await built.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await built.app.close();
  await db.close();
});

/** The status and body of an upgrade request to `path`, and whether the connection closed after it. */
function upgrade(path: string, key?: string): Promise<{ status: number; body: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'Upgrade', upgrade: WIRE_PROTOCOL };
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    const opening = request(new URL(path, url), { headers, agent: false });
    let closed: Promise<void> = Promise.resolve();
    opening.on('socket', (socket) => (closed = new Promise((done) => socket.once('close', () => done()))));
    opening.on('upgrade', (reply, socket) => {
      socket.destroy();
      resolve({ status: reply.statusCode!, body: '', closed: false });
    });
    opening.on('response', (reply) => {
      let body = '';
      reply.on('data', (chunk: Buffer) => (body += chunk.toString()));
      reply.on('end', () => void closed.then(() => resolve({ status: reply.statusCode!, body, closed: true })));
    });
    opening.on('error', reject);
    opening.end();
  });
}

describe('GET /_cluster/wire', () => {
  it('hands the connection to the engine with either key, and calls are answered on it', async () => {
    for (const key of [KEY, READ_ONLY_KEY]) {
      const links = new PeerLinks(key, 2000);
      await expect(links.call(url, { op: 'count', shard: 0 })).resolves.toEqual({ echo: { op: 'count', shard: 0 } });
      links.close();
    }
    expect(accepted).toHaveLength(2);
  });

  it('refuses an upgrade without a valid key with 401 UNAUTHORIZED, and the engine never gets it', async () => {
    const before = accepted.length;
    for (const key of [undefined, 'wrong-key-0123456789']) {
      const reply = await upgrade(WIRE_PATH, key);
      expect(reply.status).toBe(401);
      expect(JSON.parse(reply.body).code).toBe('UNAUTHORIZED');
      expect(reply.closed).toBe(true);
    }
    const refused = await new PeerLinks('wrong-key-0123456789', 2000).call(url, {}).catch((error: unknown) => error);
    expect((refused as QuiverError).code).toBe('UNAUTHORIZED');
    expect(accepted.length).toBe(before);
  });

  it('answers a plain GET with 400 INVALID_REQUEST', async () => {
    const reply = await built.app.inject({ method: 'GET', url: WIRE_PATH, headers: { authorization: `Bearer ${KEY}` } });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().code).toBe('INVALID_REQUEST');
  });

  it('answers an upgrade to another route as a plain request, then closes the connection', async () => {
    const before = accepted.length;
    const reply = await upgrade('/collections', KEY);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ collections: [] });
    expect(reply.closed).toBe(true);
    expect((await upgrade('/nowhere', KEY)).status).toBe(404);
    expect(accepted.length).toBe(before);
  });
});
