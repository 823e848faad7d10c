/**
 * bench:ann's configuration (sizes, ef values, timing, targets: written to
 * ann.json as `config`) and its progress log.
 */
import { createProgress, quickMode, SMOKE, type TimingOptions } from '../lib/harness.js';

export const QUICK = quickMode();
const SYNTHETIC_COUNT = SMOKE ? 2_000 : QUICK ? 20_000 : 100_000;
const SMOKE_TIMING = { warmupMs: 5, minSampleMs: 5, samples: 3 } satisfies TimingOptions;

export const CONFIG = {
  quick: QUICK,
  smoke: SMOKE,
  k: 10,
  hnsw: { m: 16, efConstruction: 200, seed: 100 },
  efs: SMOKE ? [10, 64] : [10, 16, 32, 64, 128, 256],
  /** siftsmall is skipped in a smoke run (10k rows with efConstruction 200 take seconds per engine). */
  siftsmall: !SMOKE,
  synthetic: {
    count: SYNTHETIC_COUNT, dim: 128, queries: SMOKE ? 40 : 200, metric: 'cosine' as const,
    model: { rank: 16, clusters: 8, clusterSpread: 1.5, noise: 0.25, offset: 0.5, seed: 7 },
    dataSeed: 1, querySeed: 2,
  },
  buckets: 1000,
  /** `bucket < lt` selects lt / 1000 of the documents. */
  selectivities: [
    { name: 'none (no filter)', lt: null, required: false },
    { name: '100% (filter)', lt: 1000, required: false },
    { name: '50%', lt: 500, required: true },
    { name: '10%', lt: 100, required: true },
    { name: '1%', lt: 10, required: true },
    { name: '0.1%', lt: 1, required: true },
  ],
  filteredEf: 64,
  upsertBatch: 5_000,
  threads: 1,
  /** Each sample runs whole passes over the query set (see measurePasses). */
  timing: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 60, minSampleMs: 30, samples: 7 } : { warmupMs: 150, minSampleMs: 60, samples: 11 }) satisfies TimingOptions,
  /**
   * Filtered HNSW at 1% and 0.1% takes tens of milliseconds a query: those cases time passes over
   * the first `slowQueries` queries only, fewer samples (recall still uses every query).
   */
  /** Section 2 (four engines per case, exact scans of up to 100k rows): fewer samples to keep the run short. */
  filterTiming: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 60, minSampleMs: 30, samples: 5 } : { warmupMs: 150, minSampleMs: 60, samples: 7 }) satisfies TimingOptions,
  slowTiming: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 0, minSampleMs: 30, samples: 5 } : { warmupMs: 0, minSampleMs: 60, samples: 5 }) satisfies TimingOptions,
  slowQueries: 20,
  slowRecallQueries: 50,
  /** Queries per selectivity when the planner is asked again at the end. */
  recheckQueries: 5,
  targets: { qpsRatio: 0.9, recallTolerance: 0.01, filteredRecall: 0.95, filteredSpeedup: 20, filteredAt: '1%' },
  /**
   * Section 4: the exact engines (brute force: Orama and vectra take 15-20 ms a query at 20k rows, about
   * 5x that at 100k) time and score the first `exactQueries` queries (recall is 1 wherever they rank by the data set's metric).
   */
  exactQueries: SMOKE ? 20 : 100,
  exactTiming: (SMOKE ? SMOKE_TIMING : QUICK ? { warmupMs: 0, minSampleMs: 30, samples: 3 } : { warmupMs: 0, minSampleMs: 60, samples: 5 }) satisfies TimingOptions,
  /** Per-query latency percentiles: HNSW engines at this ef, each query timed alone, `latencyPasses` passes over the queries. */
  latencyEf: 64,
  latencyPasses: SMOKE ? 1 : 3,
  /** Rows above which a peer is not built (recorded as skipped with the reason); vectra writes all vectors as JSON text. */
  peerMaxCount: { 'hnswlib-wasm': null, orama: null, vectra: QUICK ? 20_000 : 100_000 } as Record<string, number | null>,
} as const;

/** Progress lines on stderr, timed from the start of the run. */
export const progress = createProgress();
export const log = progress.log;

export const MB = 2 ** 20;

/** One requirement checked at the end of the run (JSON `targets`). */
export interface Target {
  name: string;
  value: string;
  target: string;
  met: boolean;
}
