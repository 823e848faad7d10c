/**
 * Database.observeSearches: every search of every collection is reported
 * with its plan and engine time, without asking it for explain (the server's
 * latency histogram used to force explain on every HTTP search to get it).
 */
import { describe, expect, it } from 'vitest';
import { openDatabase, type SearchEvent } from '../../src/index.js';

const silent = { info() {}, warn() {}, error() {} };

describe('observeSearches', () => {
  it('reports each search with its plan and time, until stopped', async () => {
    const db = await openDatabase({ logger: silent, workers: 0 });
    try {
      const docs = await db.createCollection('docs', { dimension: 2 });
      await docs.upsert([
        { id: 'a', vector: [1, 0], text: 'red apple' },
        { id: 'b', vector: [0, 1], text: 'green pear' },
      ]);
      const events: SearchEvent[] = [];
      const stop = db.observeSearches((event) => events.push(event));
      const plain = await docs.search({ vector: [1, 0], k: 1, exact: true });
      expect(plain).toEqual([expect.objectContaining({ id: 'a' })]);
      await docs.search({ vector: [1, 0], k: 1, exact: false });
      await docs.search({ text: 'apple', k: 1 });
      const explained = await docs.search({ vector: [1, 0], text: 'apple', k: 1, explain: true });
      expect(events.map((event) => [event.collection, event.plan])).toEqual([
        ['docs', 'exact'], ['docs', 'hnsw'], ['docs', 'keyword'], ['docs', 'hybrid'],
      ]);
      for (const event of events) expect(event.seconds).toBeGreaterThanOrEqual(0);
      // The explained search reports the same time as its explain says (milliseconds there, seconds here).
      expect(events[3]!.seconds).toBeCloseTo(explained.explain.timings.search / 1000, 9);
      stop();
      await docs.search({ vector: [1, 0], k: 1 });
      expect(events).toHaveLength(4);
    } finally {
      await db.close();
    }
  });
});
