/**
 * Prometheus metrics (prom-client), one registry per app: requests and
 * latency per route and status, search latency per plan, the result cache,
 * documents and collections, plus prom-client's process metrics (event-loop
 * lag, memory, CPU).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricType } from 'prom-client';
import type { ResultCache } from './cache/result-cache.js';
import type { CollectionInfo } from '../core/api.js';
import type { FieldCacheStats, PoolStats } from '../core/database.js';
import type { Engine } from './engine.js';

export interface Metrics {
  registry: Registry;
  searchSeconds: Histogram<'plan'>;
  /** Semantic cache lookups (routes/semantic-cache.ts) by collection and result (hit or miss). */
  semanticCacheLookups: Counter<'collection' | 'result'>;
  /** What semantic cache hits saved: the sum of the hit entries' `savings` metadata (tokens, say). */
  semanticCacheSaved: Counter<'collection'>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

type RequestLabel = 'route' | 'method' | 'status';

/** One route, method and status: its latency buckets (not cumulative), sum and count. */
class LatencySeries {
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<RequestLabel, string>,
    readonly bounds: readonly number[],
  ) {
    this.buckets = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    if (i < bounds.length) this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * The request latency histogram, observed on every request. prom-client's
 * own `observe` validates, copies and hashes the labels on each call: 1.2 to
 * 1.5 µs, a tenth of a cached search's whole reply (`npm run bench:http`).
 * Here a request finds its series in a Map and adds to a few numbers;
 * prom-client gets the totals, in its own shape, when scraped.
 */
class RequestHistogram extends Histogram<RequestLabel | 'le'> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, LatencySeries>();

  constructor(config: { name: string; help: string; labelNames: RequestLabel[]; buckets: number[]; registers: Registry[] }) {
    super(config);
    this.#name = config.name;
    this.#help = config.help;
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /** The series of one route, method and status, made on first use. */
  series(route: string, method: string, status: number): LatencySeries {
    const key = `${route} ${method} ${status}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new LatencySeries({ route, method, status: String(status) }, this.#bounds);
      this.#series.set(key, series);
    }
    return series;
  }

  /** Every series observed so far. */
  allSeries(): Iterable<LatencySeries> {
    return this.#series.values();
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    if (#series in this) this.#series.clear();
  }

  override async get(): ReturnType<Histogram<RequestLabel | 'le'>['get']> {
    const values: Awaited<ReturnType<Histogram<RequestLabel | 'le'>['get']>>['values'] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.buckets[i]!;
        values.push({ labels: { ...series.labels, le: this.#bounds[i]! }, value: cumulative, metricName: `${this.#name}_bucket` });
      }
      values.push(
        { labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: `${this.#name}_bucket` },
        { labels: series.labels, value: series.sum, metricName: `${this.#name}_sum` },
        { labels: series.labels, value: series.count, metricName: `${this.#name}_count` },
      );
    }
    // prom-client's types declare `type` a numeric enum; at run time it is the string the exposition prints.
    return { name: this.#name, help: this.#help, type: 'histogram' as unknown as MetricType, aggregator: 'sum', collect: () => {}, values };
  }

  /** The registry's text exposition reads this instead of `get` when present (prom-client 15): the same values. */
  async getForPromString(): ReturnType<Histogram<RequestLabel | 'le'>['get']> {
    return this.get();
  }
}

export function registerMetrics(app: FastifyInstance, db: Engine, cache: ResultCache): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const requestSeconds = new RequestHistogram({
    name: 'quiver_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status code.',
    labelNames: ['route', 'method', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  // The request counts are the latency histogram's counts, copied when scraped: one update a request instead of two.
  new Counter({
    name: 'quiver_http_requests_total',
    help: 'HTTP requests by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const series of requestSeconds.allSeries()) this.inc(series.labels, series.count);
    },
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
        for (const info of db.listCollections()) if (info.state !== 'unavailable') this.set({ collection: info.name }, read(info));
      },
    });
  collectionGauge('quiver_documents', 'Documents per collection.', (info) => info.count);
  collectionGauge('quiver_indexing_backlog', 'Documents per collection whose graph insert has not run yet (searched exactly meanwhile).', (info) => info.indexingBacklog);
  collectionGauge('quiver_collection_degraded', 'Collections whose in-memory index could not be built (1): readable, not searchable.', (info) => (info.state === 'degraded' ? 1 : 0));
  collectionGauge('quiver_index_vector_bytes', 'Bytes of WebAssembly memory the collection\'s vectors (or int8 codes) hold.', (info) => info.memory.vectors);
  collectionGauge('quiver_index_graph_bytes', 'Estimated bytes of the collection\'s HNSW graph.', (info) => info.memory.graph);

  const workerGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({ name, help, registers: [registry], collect() { const stats = db.workerStats; this.set(stats ? read(stats) : 0); } });
  workerGauge('quiver_workers', 'Worker threads hosting HNSW segments (0: segments on the main thread).', (stats) => stats.workers);
  workerGauge('quiver_worker_requests_in_flight', 'Requests sent to the workers and not yet answered (queue depth).', (stats) => stats.inFlight);
  workerGauge('quiver_worker_queued_changes', 'Graph changes queued inside the workers.', (stats) => stats.queued);
  workerGauge('quiver_worker_requests_total', 'Requests the workers answered.', (stats) => stats.requests);
  workerGauge('quiver_worker_lane_searches_total', 'Graph searches answered through a search lane (shared memory, one query at a time) instead of by message.', (stats) => stats.laneSearches);
  workerGauge('quiver_worker_wait_seconds_total', 'Seconds graph changes waited in worker queues before they started.', (stats) => stats.waitedSeconds);

  const fieldCacheGauge = (name: string, help: string, read: (stats: FieldCacheStats) => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read(db.fieldCacheStats)); } });
  fieldCacheGauge('quiver_field_cache_bytes', 'Estimated bytes of hits\' text and metadata held in memory.', (stats) => stats.bytes);
  fieldCacheGauge('quiver_field_cache_hits_total', 'Hits whose text and metadata came from memory.', (stats) => stats.hits);
  fieldCacheGauge('quiver_field_cache_misses_total', 'Hits whose text and metadata were read from the store.', (stats) => stats.misses);

  app.addHook('onResponse', (request, reply, done) => {
    requestSeconds.series(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  });
  // The engine reports each search's plan and time; no search is asked for explain to feed this.
  const stopObserving = db.observeSearches((event) => searchSeconds.observe({ plan: event.plan }, event.seconds));
  app.addHook('onClose', async () => stopObserving());
  const semanticCacheLookups = new Counter({
    name: 'quiver_semantic_cache_lookups_total',
    help: 'Semantic cache lookups by collection and result (hit or miss); the hit rate is hits over all.',
    labelNames: ['collection', 'result'] as const,
    registers: [registry],
  });
  const semanticCacheSaved = new Counter({
    name: 'quiver_semantic_cache_saved_total',
    help: "What semantic cache hits saved: the sum of the hit entries' savings metadata (tokens, say).",
    labelNames: ['collection'] as const,
    registers: [registry],
  });
  return { registry, searchSeconds, semanticCacheLookups, semanticCacheSaved };
}
