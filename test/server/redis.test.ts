/**
 * The Redis second cache level against a real redis-server that the test
 * starts on a free loopback port: a search cached by one app is a hit in
 * another app sharing the Redis, and a Redis that goes away never fails a
 * search. Needs `redis-server` on PATH (CI: apt-get install -y redis-server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../fixtures/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/server/cache/redis-cache.js';
import { openDatabase } from '../../src/index.js';
import { COLLECTION, expectStatus, makeApp, seed, seedVector, send, silent, type TestApp } from './helpers.js';

async function startRedis(): Promise<{ process: ChildProcess; url: string }> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server is not installed or does not run (${probe.error?.message ?? probe.stderr}); ` +
        'the Redis cache tests start their own: install it with `apt-get update && apt-get install -y redis-server`',
    );
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) return { process: child, url: `redis://127.0.0.1:${port}` };
    child.kill('SIGKILL');
    // Another process may have taken the port between freePort and the spawn: try another.
    if (attempt >= 3) throw new Error(`redis-server did not start:\n${output}`);
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

let redis: { process: ChildProcess; url: string };
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  if (redis) await stop(redis.process);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * An app sharing the test's Redis as second level, over a new data directory
 * or over a copy of `copyOf` (as replicas serving the same data would be).
 */
async function appWithRedis(copyOf?: TestApp): Promise<TestApp & { redisCache: RedisCache }> {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-redis-'));
  dirs.push(dir);
  if (copyOf?.db.path !== undefined) cpSync(copyOf.db.path, dir, { recursive: true, filter: (source) => !source.endsWith('quiver.lock') });
  const redisCache = new RedisCache(redis.url);
  await redisCache.ready();
  const app = await makeApp({ secondLevelCache: redisCache }, await openDatabase({ path: dir, logger: silent }));
  return Object.assign(app, { redisCache });
}

describe('Redis second level', () => {
  it('a search cached by app A is a hit in app B', async () => {
    // Two servers over copies of the same data: the same collection (uid) at the same version.
    const a = await appWithRedis();
    await seed(a.app);
    const b = await appWithRedis(a);
    try {
      expect(a.db.collection(COLLECTION).version).toBe(b.db.collection(COLLECTION).version);
      expect(a.db.collection(COLLECTION).uid).toBe(b.db.collection(COLLECTION).uid);

      const query = { vector: seedVector(5), k: 4, include: ['metadata', 'vector'] };
      const fromA = expectStatus(await send(a.app, 'POST', `/collections/${COLLECTION}/search`, query), 200);
      expect(fromA.json().cached).toBe(false);
      expect(a.cache.stats).toMatchObject({ misses: 1, hits: 0 });

      const fromB = expectStatus(await send(b.app, 'POST', `/collections/${COLLECTION}/search`, query), 200);
      expect(fromB.json().cached).toBe(true);
      expect(fromB.headers['x-cache']).toBe('HIT');
      expect(fromB.json().hits).toEqual(fromA.json().hits);
      expect(b.cache.stats).toMatchObject({ hits: 1, misses: 0, secondLevelHits: 1, secondLevelErrors: 0 });

      // B now holds it in its own LRU too: the next hit does not go to Redis.
      expectStatus(await send(b.app, 'POST', `/collections/${COLLECTION}/search`, query), 200);
      expect(b.cache.stats).toMatchObject({ hits: 2, secondLevelHits: 1 });

      // A write in B moves B to a new version: its next search is a miss, not A's entry.
      expectStatus(await send(b.app, 'POST', `/collections/${COLLECTION}/documents`, { documents: [{ id: 'extra', vector: seedVector(5) }] }), 200);
      const afterWrite = expectStatus(await send(b.app, 'POST', `/collections/${COLLECTION}/search`, query), 200).json();
      expect(afterWrite.cached).toBe(false);
      expect(afterWrite.hits.map((h: { id: string }) => h.id)).toContain('extra');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('unrelated databases never share entries, even with the same collection name and version', async () => {
    const a = await appWithRedis();
    const b = await appWithRedis();
    try {
      await seed(a.app);
      await seed(b.app);
      expect(a.db.collection(COLLECTION).version).toBe(b.db.collection(COLLECTION).version);
      const query = { vector: seedVector(7), k: 3 };
      expect(expectStatus(await send(a.app, 'POST', `/collections/${COLLECTION}/search`, query), 200).json().cached).toBe(false);
      expect(expectStatus(await send(b.app, 'POST', `/collections/${COLLECTION}/search`, query), 200).json().cached).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a batch search in B finds what A cached', async () => {
    const a = await appWithRedis();
    await seed(a.app);
    const b = await appWithRedis(a);
    try {
      const searches = [{ vector: seedVector(11), k: 2 }, { vector: seedVector(12), k: 2 }];
      const fromA = expectStatus(await send(a.app, 'POST', `/collections/${COLLECTION}/search/batch`, { searches }), 200).json();
      expect(fromA.results.map((r: { cached: boolean }) => r.cached)).toEqual([false, false]);
      const fromB = expectStatus(await send(b.app, 'POST', `/collections/${COLLECTION}/search/batch`, { searches: [...searches, { vector: seedVector(13), k: 2 }] }), 200).json();
      expect(fromB.results.map((r: { cached: boolean }) => r.cached)).toEqual([true, true, false]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('when Redis goes away, searches still answer (misses), and errors are counted', async () => {
    const own = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), 'quiver-redis-'));
    dirs.push(dir);
    const redisCache = new RedisCache(own.url);
    await redisCache.ready();
    const app = await makeApp({ secondLevelCache: redisCache }, await openDatabase({ path: dir, logger: silent }));
    try {
      await seed(app.app);
      expect(expectStatus(await send(app.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(1) }), 200).json().cached).toBe(false);
      await stop(own.process);
      for (let i = 2; i < 5; i++) {
        const reply = expectStatus(await send(app.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(i) }), 200);
        expect(reply.json().cached).toBe(false);
      }
      // The local level still serves what it holds.
      expect(expectStatus(await send(app.app, 'POST', `/collections/${COLLECTION}/search`, { vector: seedVector(1) }), 200).json().cached).toBe(true);
      expect(app.cache.stats.secondLevelErrors).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});
