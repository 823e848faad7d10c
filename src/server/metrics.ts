/**
 * Prometheus metrics (prom-client), one registry per app: requests and
 * latency per route and status, search latency per plan, the result cache,
 * documents and collections, plus prom-client's process metrics (event-loop
 * lag, memory, CPU).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResultCache } from '../core/cache.js';
import type { CollectionInfo } from '../core/collection.js';
import type { Database, PoolStats } from '../core/database.js';

export interface Metrics {
  registry: Registry;
  searchSeconds: Histogram<'plan'>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export function registerMetrics(app: FastifyInstance, db: Database, cache: ResultCache): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const requests = new Counter({
    name: 'quiver_http_requests_total',
    help: 'HTTP requests by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'quiver_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const searchSeconds = new Histogram({
    name: 'quiver_search_duration_seconds',
    help: 'Engine time per search (cache misses) by plan: exact, hnsw, keyword, hybrid.',
    labelNames: ['plan'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const cacheCounter = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  cacheCounter('quiver_cache_hits', 'Result cache hits since start.', () => cache.stats.hits);
  cacheCounter('quiver_cache_misses', 'Result cache misses since start.', () => cache.stats.misses);
  cacheCounter('quiver_cache_evictions', 'Result cache entries evicted for room since start.', () => cache.stats.evictions);
  cacheCounter('quiver_cache_entries', 'Entries in the result cache.', () => cache.stats.entries);
  cacheCounter('quiver_cache_bytes', 'Bytes held by the result cache.', () => cache.stats.bytes);
  cacheCounter('quiver_cache_hit_ratio', 'Hits / (hits + misses) since start.', () => {
    const { hits, misses } = cache.stats;
    return hits + misses === 0 ? 0 : hits / (hits + misses);
  });
  new Gauge({
    name: 'quiver_collections',
    help: 'Collections in the database.',
    registers: [registry],
    collect() {
      this.set(db.closed ? 0 : db.listCollections().length);
    },
  });
  /** A gauge with one value per ready collection, read from its info when scraped. */
  const collectionGauge = (name: string, help: string, read: (info: CollectionInfo) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['collection'] as const,
      registers: [registry],
      collect() {
        this.reset();
        if (db.closed) return;
        for (const info of db.listCollections()) if (info.state === 'ready') this.set({ collection: info.name }, read(info));
      },
    });
  collectionGauge('quiver_documents', 'Documents per collection.', (info) => info.count);
  collectionGauge('quiver_indexing_backlog', 'Documents per collection whose graph insert has not run yet (searched exactly meanwhile).', (info) => info.indexingBacklog);

  const workerGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({ name, help, registers: [registry], collect() { const stats = db.workerStats; this.set(stats ? read(stats) : 0); } });
  workerGauge('quiver_workers', 'Worker threads hosting HNSW segments (0: segments on the main thread).', (stats) => stats.workers);
  workerGauge('quiver_worker_requests_in_flight', 'Requests sent to the workers and not yet answered (queue depth).', (stats) => stats.inFlight);
  workerGauge('quiver_worker_queued_changes', 'Graph changes queued inside the workers.', (stats) => stats.queued);
  workerGauge('quiver_worker_wait_seconds_total', 'Seconds graph changes waited in worker queues before they started.', (stats) => stats.waitedSeconds);

  // The labelled children per route, method and status, looked up once: prom-client hashes a
  // labels object on every call, which costs more than the rest of a cached search's reply.
  const children = new Map<string, { count: { inc(): void }; seconds: { observe(value: number): void } }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${route} ${request.method} ${reply.statusCode}`;
    let child = children.get(key);
    if (child === undefined) {
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      child = { count: requests.labels(labels), seconds: requestSeconds.labels(labels) };
      children.set(key, child);
    }
    child.count.inc();
    child.seconds.observe(reply.elapsedTime / 1000);
    done();
  });
  return { registry, searchSeconds };
}
