/** What route plugins share: the engine facade, the result cache and the metrics. */
import type { ResultCache } from './cache/result-cache.js';
import type { Engine } from './engine.js';
import type { Metrics } from './metrics.js';

export interface AppContext {
  db: Engine;
  cache: ResultCache;
  metrics: Metrics;
  /** True once shutdown began: readiness fails so load balancers drain. */
  draining: () => boolean;
}
