import { describe, expect, it } from 'vitest';
import { DEFAULT_HNSW_NS_PER_EF, Planner, SAMPLE_EVERY, filteredEf } from '../../../src/core/query/planner.js';

const base = { total: 100_000, k: 10, ef: 64, dimension: 128 };

describe('planner', () => {
  it('scans few candidates exactly and searches the graph for many', () => {
    const planner = new Planner();
    expect(planner.plan({ ...base, candidates: 1_000, filtered: true }).kind).toBe('exact');
    expect(planner.plan({ ...base, candidates: 100_000, filtered: false }).kind).toBe('hnsw');
  });

  it('uses the exact scan when there are no more candidates than k', () => {
    expect(new Planner().plan({ ...base, total: 5, candidates: 5, filtered: false }).kind).toBe('exact');
  });

  it('small collections are scanned exactly', () => {
    expect(new Planner().plan({ ...base, total: 500, candidates: 500, filtered: false }).kind).toBe('exact');
  });

  it('raises ef for selective filters, within bounds', () => {
    expect(filteredEf(64, 10, 1)).toBe(64);
    expect(filteredEf(64, 10, 0.5)).toBe(96);
    expect(filteredEf(64, 100, 0.5)).toBe(150);
    expect(filteredEf(64, 10, 1e-6)).toBe(64 * 8);
  });

  it('moves its crossover after measuring that the graph is slower than assumed', () => {
    const planner = new Planner();
    const input = { ...base, total: 20_000, candidates: 20_000, filtered: false };
    const before = planner.plan(input);
    expect(before.kind).toBe('hnsw');
    for (let i = 0; i < 200; i++) planner.record(before, before.estimates.exact * 4);
    expect(planner.plan(input).kind).toBe('exact');
  });

  it('runs its second choice now and then, so an estimate gone stale is measured again', () => {
    const planner = new Planner();
    const input = { ...base, total: 20_000, candidates: 20_000, filtered: false };
    // The first graph searches were slow (workers not lingering yet): the exact scan took over.
    const first = planner.plan(input);
    for (let i = 0; i < 200; i++) planner.record(first, first.estimates.exact * 2);
    expect(planner.plan(input).kind).toBe('exact');
    // In truth the graph costs a third of the scan. Only plans the caller learns from explore.
    const exactNs = planner.plan(input).estimates.exact;
    for (let i = 0; i < 100; i++) expect(planner.plan(input).explored).toBe(false);
    let explored = 0;
    let plans = 0;
    while (planner.plan(input).kind === 'exact' && plans < 5_000) {
      const plan = planner.plan(input, true);
      plans++;
      if (plan.explored) explored++;
      planner.record(plan, plan.kind === 'exact' ? exactNs : exactNs / 3);
    }
    expect(planner.plan(input).kind).toBe('hnsw');
    expect(explored).toBeGreaterThan(0);
    expect(explored).toBeLessThanOrEqual(Math.ceil(plans / 8));
    // A second choice estimated far worse is never run: a 1% filter never explores the graph.
    const selective = { ...base, candidates: 1_000, filtered: true };
    for (let i = 0; i < 100; i++) expect(planner.plan(selective, true)).toMatchObject({ kind: 'exact', explored: false });
  });

  describe('a search from begin to end', () => {
    const input = { ...base, total: 20_000, candidates: 20_000, filtered: false };
    /** The next timed graph plan: one begin in SAMPLE_EVERY is timed (the untimed ones are dropped before they run). */
    function timedGraphPlan(planner: Planner) {
      for (let i = 0; i < SAMPLE_EVERY; i++) {
        const plan = planner.begin(input, 'hnsw');
        if (plan.timing) return plan;
      }
      throw new Error(`no timed plan in ${SAMPLE_EVERY} searches`);
    }

    it('runs the kind the request forces, and says so', () => {
      const planner = new Planner();
      const small = { ...base, total: 500, candidates: 500, filtered: false };
      const chosen = planner.begin(small);
      expect([chosen.kind, chosen.forced]).toEqual(['exact', false]);
      expect(planner.begin(small, 'hnsw')).toMatchObject({ kind: 'hnsw', forced: true, explored: false });
    });

    it('falls back to the exact scan when the graph finds fewer than k of at least k candidates, or fails', () => {
      const planner = new Planner();
      const plan = planner.begin({ ...input, k: 10, candidates: 20_000 }, 'hnsw');
      expect([planner.fallsBack(plan, 10), planner.fallsBack(plan, 9), planner.fallsBack(plan, undefined)]).toEqual([false, true, true]);
      const few = planner.begin({ ...input, k: 10, candidates: 4, filtered: true }, 'hnsw');
      expect([planner.fallsBack(few, 4), planner.fallsBack(few, 3)]).toEqual([false, true]);
    });

    it('learns from a timed graph search that ran alone, by what it took on the workers', () => {
      const planner = new Planner();
      const plan = timedGraphPlan(planner);
      planner.sendingToGraph(plan);
      planner.end(plan, false, plan.ef * DEFAULT_HNSW_NS_PER_EF * 4);
      expect(planner.rates.hnswNsPerEf).toBeGreaterThan(DEFAULT_HNSW_NS_PER_EF);
    });

    it('does not learn from a graph search that overlapped another, nor from one that fell back', () => {
      const planner = new Planner();
      const other = planner.begin(input, 'hnsw');
      planner.sendingToGraph(other);
      const overlapped = timedGraphPlan(planner);
      planner.sendingToGraph(overlapped);
      planner.end(other);
      planner.end(overlapped, false, overlapped.ef * DEFAULT_HNSW_NS_PER_EF * 4);
      const fellBack = timedGraphPlan(planner);
      planner.sendingToGraph(fellBack);
      planner.end(fellBack, true, fellBack.ef * DEFAULT_HNSW_NS_PER_EF * 4);
      expect(planner.rates.hnswNsPerEf).toBe(DEFAULT_HNSW_NS_PER_EF);
      // Both ended: the next one alone is learned from.
      const alone = timedGraphPlan(planner);
      planner.sendingToGraph(alone);
      planner.end(alone, false, alone.ef * DEFAULT_HNSW_NS_PER_EF * 4);
      expect(planner.rates.hnswNsPerEf).toBeGreaterThan(DEFAULT_HNSW_NS_PER_EF);
    });
  });
});
