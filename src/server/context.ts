/** What route plugins share: the engine facade, the result cache and the metrics. */
import type { ResultCache } from './cache/result-cache.js';
import type { Database } from '../core/database.js';
import type { Metrics } from './metrics.js';

export interface AppContext {
  db: Database;
  cache: ResultCache;
  metrics: Metrics;
  /** True once shutdown began: readiness fails so load balancers drain. */
  draining: () => boolean;
}
