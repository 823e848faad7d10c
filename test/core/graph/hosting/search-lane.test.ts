/**
 * The search lane (search-lane.ts): both ends in one thread, so each step
 * of the protocol can be checked in order. workers.test.ts checks it
 * between threads, through a database.
 */
import { describe, expect, it } from 'vitest';
import { LaneWatch, SearchLane } from '../../../../src/core/graph/hosting/search-lane.js';
import type { LaneSearch } from '../../../../src/core/graph/hosting/search-lane.js';

function pair(): { lane: SearchLane; watch: LaneWatch } {
  const lane = new SearchLane();
  return { lane, watch: new LaneWatch(lane.buffer) };
}

const query = Float32Array.from([0.5, -1, 2]);

describe('search lane', () => {
  it('takes no search while the worker does not watch it', () => {
    const { lane, watch } = pair();
    expect(lane.post({ segment: 1, query, k: 3, ef: 8 })).toBe(false);
    expect(lane.busy).toBe(false);
    watch.watch();
    expect(watch.unwatch()).toBe(true);
    expect(lane.post({ segment: 1, query, k: 3, ef: 8 })).toBe(false);
  });

  it('carries a search and its hits, in order, then takes the next', () => {
    const { lane, watch } = pair();
    watch.watch();
    const allow = Uint32Array.from([0b1010, 7]);
    expect(lane.post({ segment: 4, query, k: 2, ef: 16, allow })).toBe(true);
    expect(lane.busy).toBe(true);
    // Only one search at a time: a second post waits for the reply to be read.
    expect(lane.post({ segment: 4, query, k: 2, ef: 16 })).toBe(false);
    expect(watch.requested).toBe(true);
    expect(lane.answered).toBe(false);
    let seen: LaneSearch | undefined;
    watch.answer((request) => {
      seen = { ...request, query: request.query.slice(), allow: request.allow?.slice() };
      return { labels: [9, 3], scores: [0.75, -2.5], searchNs: 1234.5 };
    });
    expect(seen).toEqual({ segment: 4, query, k: 2, ef: 16, allow });
    expect(lane.answered).toBe(true);
    expect(lane.waitUntil(performance.now() + 1, 0)).toBe(true);
    // With what the search took on the worker, which the planner learns from.
    expect(lane.reply()).toEqual({ labels: [9, 3], scores: [0.75, -2.5], searchNs: 1234.5 });
    expect(lane.busy).toBe(false);
    // Still watched after an answer: the next search goes through, unfiltered this time.
    expect(lane.post({ segment: 5, query, k: 1, ef: 4 })).toBe(true);
    watch.answer((request) => {
      expect(request.allow).toBeUndefined();
      return { labels: [], scores: [] };
    });
    expect(lane.reply()).toEqual({ labels: [], scores: [], searchNs: 0 });
  });

  it('carries a failed search back as an error', () => {
    const { lane, watch } = pair();
    watch.watch();
    expect(lane.post({ segment: 0, query, k: 1, ef: 1 })).toBe(true);
    watch.answer(() => {
      throw new Error('segment 0 is gone: ü');
    });
    expect(() => lane.reply()).toThrow('segment 0 is gone: ü');
    expect(lane.busy).toBe(false);
  });

  it('keeps a worker watching when a search was posted just as it stopped', () => {
    const { lane, watch } = pair();
    watch.watch();
    expect(lane.post({ segment: 0, query, k: 1, ef: 1 })).toBe(true);
    expect(watch.unwatch()).toBe(false);
    watch.answer(() => ({ labels: [1], scores: [1] }));
    expect(lane.reply().labels).toEqual([1]);
    expect(watch.unwatch()).toBe(true);
  });

  it('times out without an answer and resolves once one comes', async () => {
    const { lane, watch } = pair();
    watch.watch();
    expect(lane.post({ segment: 0, query, k: 1, ef: 1 })).toBe(true);
    expect(lane.waitUntil(performance.now() + 2, 0.5)).toBe(false);
    const waiting = lane.waitAsync();
    setTimeout(() => watch.answer(() => ({ labels: [2], scores: [0] })), 5);
    await waiting;
    expect(lane.reply().labels).toEqual([2]);
  });

  it('refuses a search too large for it, which then goes by message', () => {
    const { lane, watch } = pair();
    watch.watch();
    expect(lane.post({ segment: 0, query, k: 1, ef: 1, allow: new Uint32Array(300_000) })).toBe(false);
    expect(lane.post({ segment: 0, query, k: 200_000, ef: 1 })).toBe(false);
    expect(lane.busy).toBe(false);
    expect(lane.post({ segment: 0, query, k: 10, ef: 1 })).toBe(true);
  });
});
