/**
 * The result cache never answers for a version older than the last
 * acknowledged write (issue 24, item 12: once, the first GET search after a
 * write answered `cached: true`). Searches by URL and by body (both kinds of
 * alias), vector, keyword and hybrid, run while writes change one
 * document's score; each write's scores are known, so every reply's score
 * names the version it was computed on. A reply must come from a version no
 * older than the writes acknowledged before it was sent, and no newer than
 * the writes begun before it came back; with a slow second cache level too,
 * whose lookups leave room for writes to land in between.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SecondLevelCache } from '../../src/server/cache/result-cache.js';
import { expectStatus, makeApp, send, type TestApp } from './helpers.js';

const NAME = 'live';
const WRITES = 60;

/** A second level that answers after a random few milliseconds, as a remote Redis does. */
function slowSecondLevel(): SecondLevelCache {
  const entries = new Map<string, string>();
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
  return {
    async get(key) {
      await pause();
      return entries.get(key);
    },
    async set(key, value) {
      await pause();
      entries.set(key, value);
    },
    async close() {},
  };
}

/** Document `a` at write `w`: its vector turns away from the query and its text grows, so each write gives it new scores. */
function documentA(w: number) {
  return { id: 'a', vector: [1, 0.02 * w, 0], text: `apple ${'pear '.repeat(w)}`.trim() };
}

interface Probe {
  name: string;
  /** `k` varies only the cache key (the collection holds two documents): readers keep missing, so searches are under way when writes land. */
  send(t: TestApp, k: number): ReturnType<typeof send>;
  /** The same search asked of the library, past the server's cache. */
  query: { vector?: number[]; text?: string; k: number };
}

const vector = Buffer.from(Float32Array.of(1, 0, 0).buffer).toString('base64');
const PROBES: Probe[] = [
  { name: 'GET vector', send: (t, k) => send(t.app, 'GET', `/collections/${NAME}/search?vector=${encodeURIComponent(vector)}&k=${k}`), query: { vector: [1, 0, 0], k: 2 } },
  { name: 'GET text', send: (t, k) => send(t.app, 'GET', `/collections/${NAME}/search?text=apple&k=${k}`), query: { text: 'apple', k: 2 } },
  { name: 'POST vector', send: (t, k) => send(t.app, 'POST', `/collections/${NAME}/search`, { vector: [1, 0, 0], k }), query: { vector: [1, 0, 0], k: 2 } },
  { name: 'POST hybrid', send: (t, k) => send(t.app, 'POST', `/collections/${NAME}/search`, { vector: [1, 0, 0], text: 'apple', k }), query: { vector: [1, 0, 0], text: 'apple', k: 2 } },
];

interface ScoredHit {
  id: string;
  score: number;
  vectorScore?: number;
  keywordScore?: number;
}

/** The scores of `a` among `hits`, as one string (a hybrid's fused score alone may not change: a stays first in both lists). */
function scoresOfA(hits: readonly ScoredHit[]): string {
  const hit = hits.find((h) => h.id === 'a');
  return hit ? JSON.stringify([hit.score, hit.vectorScore, hit.keywordScore]) : 'no hit for a';
}

function scoreOfA(body: string): string {
  return scoresOfA((JSON.parse(body) as { hits: ScoredHit[] }).hits);
}

describe.each([
  ['the in-process cache', false],
  ['a slow second cache level', true],
])('search replies and writes, with %s', (_label, secondLevel) => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('every reply comes from a version between the last write acknowledged before it and the last begun after', async () => {
    t = await makeApp(secondLevel ? { secondLevelCache: slowSecondLevel() } : {});
    expectStatus(await send(t.app, 'POST', '/collections', { name: NAME, dimension: 3, metric: 'cosine' }), 201);
    const write = async (w: number) =>
      expectStatus(await send(t.app, 'POST', `/collections/${NAME}/documents`, { documents: [documentA(w), ...(w === 0 ? [{ id: 'b', vector: [0, 1, 0], text: 'plum' }] : [])] }), 200);

    // expected[probe][w]: a's score in that probe after write w and before the next began, asked of the library (no cache).
    const expected = PROBES.map(() => [] as string[]);
    const firstAfterWrite: string[] = [];
    let acknowledged = -1;
    let begun = -1;
    const record = async () => {
      const collection = t.db.collection(NAME);
      for (const [p, probe] of PROBES.entries()) {
        const fresh = scoresOfA(await collection.search(probe.query));
        expected[p]![acknowledged] = fresh;
        const reply = expectStatus(await probe.send(t, 2), 200);
        const score = scoreOfA(reply.body);
        if (score !== fresh) firstAfterWrite.push(`${probe.name} after write ${acknowledged}: ${score} (x-cache ${reply.headers['x-cache']}), fresh ${fresh}`);
      }
    };
    const writer = async () => {
      for (let w = 0; w < WRITES; w++) {
        begun = w;
        await write(w);
        acknowledged = w;
        // The first search after a write: it must see that write, cached or not.
        await record();
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      }
    };

    const replies: { probe: number; from: number; to: number; score: string; cached: boolean }[] = [];
    let writing = true;
    // Readers over few keys are answered from the cache; readers over many keep missing, so searches are under way as writes land.
    const reader = async (offset: number, keys: number) => {
      for (let i = offset; writing; i++) {
        const probe = i % PROBES.length;
        const from = acknowledged;
        const reply = expectStatus(await PROBES[probe]!.send(t, 2 + (Math.floor(i / PROBES.length) % keys)), 200);
        if (from >= 0) replies.push({ probe, from, to: begun, score: scoreOfA(reply.body), cached: reply.headers['x-cache'] === 'HIT' });
      }
    };
    const readers = [reader(0, 4), reader(1, 4), reader(2, 400), reader(3, 400)];
    try {
      await writer();
    } finally {
      writing = false;
    }
    await Promise.all(readers);

    // Each write changed a's score in every probe, so a score names its version.
    for (const scores of expected) expect(new Set(scores).size).toBe(WRITES);
    expect(firstAfterWrite).toEqual([]);
    expect(replies.some((reply) => reply.cached)).toBe(true);
    const wrong = replies.filter(({ probe, from, to, score }) => {
      const versions = expected[probe]!.slice(from, to + 1);
      return !versions.includes(score);
    });
    expect(wrong.map((r) => `${PROBES[r.probe]!.name}: score ${r.score} (cached ${r.cached}) not among writes ${r.from}..${r.to}`)).toEqual([]);
  });
});
