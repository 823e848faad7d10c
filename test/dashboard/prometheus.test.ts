/**
 * The metrics view's arithmetic (dashboard/src/prometheus.ts) against the
 * server's real /metrics: the request rate and latency percentiles between
 * two scrapes, the dashboard's own calls left out, and the cache hit rate.
 */
import { describe, expect, it } from 'vitest';
import { between, parseExposition, quantile, summarize } from '../../dashboard/src/prometheus.js';
import { makeApp, seed, send, COLLECTION } from '../server/helpers.js';

describe('reading /metrics', () => {
  it('parses samples with labels, escapes included, and skips comments', () => {
    const samples = parseExposition(
      ['# HELP x A metric.', '# TYPE x counter', 'x{route="/a",method="GET"} 3', 'y 1.5e3', 'z{path="a\\"b\\\\c"} -2', 'not a sample line', ''].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'x', labels: { route: '/a', method: 'GET' }, value: 3 },
      { name: 'y', labels: {}, value: 1500 },
      { name: 'z', labels: { path: 'a"b\\c' }, value: -2 },
    ]);
  });

  it('interpolates a quantile inside its bucket, as histogram_quantile does', () => {
    const before = new Map([
      [0.001, 0],
      [0.01, 0],
      [Infinity, 0],
    ]);
    // 100 requests: 50 under 1 ms, 40 between 1 and 10 ms, 10 above.
    const after = new Map([
      [0.001, 50],
      [0.01, 90],
      [Infinity, 100],
    ]);
    expect(quantile(0.25, before, after)).toBeCloseTo(0.0005, 9);
    expect(quantile(0.5, before, after)).toBeCloseTo(0.001, 9);
    expect(quantile(0.7, before, after)).toBeCloseTo(0.001 + 0.009 * (20 / 40), 9);
    // In the +Inf bucket: the highest finite bound.
    expect(quantile(0.99, before, after)).toBe(0.01);
    expect(quantile(0.5, after, after)).toBeNull();
  });

  it('turns two scrapes of a live server into its request rate, latency and cache hit rate, leaving out the dashboard\'s own calls', async () => {
    const t = await makeApp();
    try {
      await seed(t.app);
      const first = summarize(parseExposition((await send(t.app, 'GET', '/metrics')).body), 0);
      // 12 searches, the same one each time: 1 miss, then 11 hits. The dashboard's own calls between them do not count.
      for (let i = 0; i < 12; i++) {
        expect((await send(t.app, 'POST', `/collections/${COLLECTION}/search`, { vector: [1, 0, 0, 0], k: 3 })).statusCode).toBe(200);
        await send(t.app, 'GET', '/metrics');
        await send(t.app, 'GET', '/access');
      }
      const second = summarize(parseExposition((await send(t.app, 'GET', '/metrics')).body), 2_000);
      const figures = between(first, second, 0);
      expect(figures.at).toBe(2);
      expect(figures.requestsPerSecond).toBe(6);
      expect(figures.cacheHitRate).toBeCloseTo(11 / 12, 9);
      expect(figures.p50).toBeGreaterThan(0);
      expect(figures.p99).toBeGreaterThanOrEqual(figures.p50!);
      // Nothing between two identical scrapes.
      expect(between(second, { ...second, at: 4_000 }, 0)).toMatchObject({ requestsPerSecond: 0, p50: null, cacheHitRate: null });
    } finally {
      await t.close();
    }
  });
});
