/**
 * The figures the metrics view draws, read from two scrapes of /metrics
 * (Prometheus text exposition): the request rate between them, latency
 * percentiles of the requests between them (from the histogram's buckets,
 * as PromQL's histogram_quantile does), and the result cache's hit rate.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition; comments and malformed lines are skipped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let label = labelPattern.exec(match[2] ?? ''); label !== null; label = labelPattern.exec(match[2] ?? '')) {
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
    }
    const text = match[3]!;
    const value = text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
    if (Number.isNaN(value) && text !== 'NaN') continue;
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** One scrape, boiled down to what the view compares between scrapes. */
export interface Scrape {
  /** Milliseconds (the caller's clock) when it was read. */
  at: number;
  /** Requests so far, the dashboard's own (its files, /metrics, /access) left out. */
  requests: number;
  /** Cumulative request counts per latency bucket upper bound (seconds, Infinity last), the same requests. */
  buckets: Map<number, number>;
  cacheHits: number;
  cacheMisses: number;
}

/** Routes the dashboard itself calls on its own: they would otherwise count its polling as traffic. */
function isOwnRoute(route: string | undefined): boolean {
  return route === '/metrics' || route === '/access' || route === undefined || route.startsWith('/dashboard');
}

export function summarize(samples: readonly Sample[], at: number): Scrape {
  const scrape: Scrape = { at, requests: 0, buckets: new Map(), cacheHits: 0, cacheMisses: 0 };
  for (const sample of samples) {
    if (sample.name === 'quiver_http_request_duration_seconds_bucket' && !isOwnRoute(sample.labels.route)) {
      const bound = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
      scrape.buckets.set(bound, (scrape.buckets.get(bound) ?? 0) + sample.value);
    } else if (sample.name === 'quiver_http_request_duration_seconds_count' && !isOwnRoute(sample.labels.route)) {
      scrape.requests += sample.value;
    } else if (sample.name === 'quiver_cache_hits') {
      scrape.cacheHits = sample.value;
    } else if (sample.name === 'quiver_cache_misses') {
      scrape.cacheMisses = sample.value;
    }
  }
  return scrape;
}

export interface Figures {
  /** Seconds since the first scrape (chart x). */
  at: number;
  requestsPerSecond: number;
  /** Milliseconds; null when no request finished between the scrapes. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** 0..1; null when the cache was not asked between the scrapes. */
  cacheHitRate: number | null;
}

/**
 * The q-quantile of the requests counted between two cumulative bucket
 * sets, interpolated linearly inside its bucket; a quantile in the +Inf
 * bucket reads as the highest finite bound, as histogram_quantile does.
 */
export function quantile(q: number, before: Map<number, number>, after: Map<number, number>): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i]!;
    const cumulative = counts[i]!;
    if (cumulative >= rank) {
      if (bound === Infinity) return previousBound;
      const inBucket = cumulative - previousCount;
      return inBucket === 0 ? bound : previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket;
    }
    previousBound = bound;
    previousCount = cumulative;
  }
  return previousBound;
}

/** What happened between two scrapes; `origin` is the first scrape's time, for the chart's x. */
export function between(before: Scrape, after: Scrape, origin: number): Figures {
  const seconds = Math.max((after.at - before.at) / 1000, 1e-3);
  const toMs = (value: number | null) => (value === null ? null : value * 1000);
  const hits = after.cacheHits - before.cacheHits;
  const lookups = hits + after.cacheMisses - before.cacheMisses;
  return {
    at: (after.at - origin) / 1000,
    requestsPerSecond: Math.max(0, after.requests - before.requests) / seconds,
    p50: toMs(quantile(0.5, before.buckets, after.buckets)),
    p95: toMs(quantile(0.95, before.buckets, after.buckets)),
    p99: toMs(quantile(0.99, before.buckets, after.buckets)),
    cacheHitRate: lookups > 0 ? hits / lookups : null,
  };
}
