/**
 * Chooses how one vector search runs, from measured costs.
 *
 * | plan  | cost model (nanoseconds)                                      |
 * |-------|---------------------------------------------------------------|
 * | exact | candidates * dimension * scanNsPerFloat                       |
 * | hnsw  | ef * hnswNsPerEf                    (no filter)               |
 * | hnsw  | (ef / selectivity) * filteredNsPerEf (filter: hnswlib visits  |
 * |       |  about ef / selectivity nodes, one JavaScript callback each)  |
 *
 * The three rates start from figures measured on the reference machine
 * (`npm run bench:ann`, planner section) and are then tracked per collection
 * as exponentially weighted averages of what each executed plan actually
 * cost, so the crossover follows the machine and the data it runs on.
 * Qdrant and Weaviate make the same switch to brute force below a
 * cardinality threshold; here the threshold is the crossover of two measured
 * costs rather than a constant.
 *
 * A rate is learned only from the plan that runs, so an estimate that went
 * wrong would never be measured again once the other plan wins (with the
 * graph on worker threads, its first searches, before the workers linger,
 * cost several times the later ones, and the exact scan then won for good
 * at 20,000 x 128, at half the speed the graph gave). Every
 * EXPLORE_EVERY-th plan the caller learns from therefore runs the other
 * plan when its estimate is within EXPLORE_WITHIN of the chosen one's.
 */
import { MAX_EF } from '../options.js';

export type PlanKind = 'exact' | 'hnsw';

export interface PlanInput {
  /** Live documents in the collection. */
  total: number;
  /** Documents the filter allows (equal to total without a filter). */
  candidates: number;
  filtered: boolean;
  k: number;
  /** The requested search breadth (collection default or per query). */
  ef: number;
  dimension: number;
}

export interface Plan {
  kind: PlanKind;
  /** True when this plan is the planner's second choice, run to measure it again (see the file comment). */
  explored: boolean;
  /** Search breadth handed to HNSW (raised for selective filters). */
  ef: number;
  /** Estimated costs in nanoseconds, for `explain`. */
  estimates: { exact: number; hnsw: number };
  /** What the plan was made for. */
  input: PlanInput;
  /** True when the request chose the kind (its `exact`), not the planner. */
  forced: boolean;
  /** Set on a search `begin` chose to time: what the planner learns from at `end`. */
  timing: Timing | undefined;
}

/** A timed search (one in SAMPLE_EVERY) as `end` learns from it. */
export interface Timing {
  started: number;
  /** No other graph search was in flight when this one was sent. */
  alone: boolean;
}

/** Initial rates, measured on the reference machine (2-core x86-64, Node 20). */
export const DEFAULT_SCAN_NS_PER_FLOAT = 0.21;
export const DEFAULT_HNSW_NS_PER_EF = 2_500;
export const DEFAULT_FILTERED_NS_PER_EF = 1_500;
/** Weight of the newest observation in the running averages. */
const EWMA_WEIGHT = 0.05;
/** Scans of fewer floats, and graphs of fewer nodes, are dominated by fixed costs: not learned from. */
const MIN_LEARN_FLOATS = 100_000;
const MIN_LEARN_GRAPH = 2_000;
/** A learned rate stays within this factor of its measured default (a noisy neighbour cannot flip every plan). */
const MAX_DRIFT = 8;
/** The filtered graph search keeps at most this multiple of the requested ef. */
const MAX_FILTER_EF_BOOST = 8;
/** One search in this many is timed and learned from. */
export const SAMPLE_EVERY = 8;
/** One plan in this many that the caller learns from runs the second choice... */
const EXPLORE_EVERY = 8;
/** ...when its estimate is at most this multiple of the first choice's. */
const EXPLORE_WITHIN = 3;

export class Planner {
  #scanNsPerFloat = DEFAULT_SCAN_NS_PER_FLOAT;
  #hnswNsPerEf = DEFAULT_HNSW_NS_PER_EF;
  #filteredNsPerEf = DEFAULT_FILTERED_NS_PER_EF;
  #learningPlans = 0;
  #searches = 0;
  /** Graph searches sent and not ended: a search that overlapped another waited for it too, and is not learned from. */
  #graphSearches = 0;

  /**
   * The plan of one search of the collection: the request's `forced` kind
   * (its `exact`) or the planner's choice, timed once in SAMPLE_EVERY.
   * A plan that runs is ended by one `end`, a graph plan after
   * `sendingToGraph` as its search is sent; a plan dropped before it runs
   * (the caller plans again later) needs neither.
   */
  begin(input: PlanInput, forced?: PlanKind): Plan {
    const timed = ++this.#searches % SAMPLE_EVERY === 0;
    const plan = this.plan(input, timed && forced === undefined);
    if (forced !== undefined) {
      plan.kind = forced;
      plan.forced = true;
    }
    if (timed) plan.timing = { started: performance.now(), alone: false };
    return plan;
  }

  /** A graph plan's search is being sent. */
  sendingToGraph(plan: Plan): void {
    this.#graphSearches++;
    if (plan.timing) plan.timing.alone = this.#graphSearches === 1;
  }

  /**
   * Whether the graph's `found` hits (undefined: it could not answer) are
   * too few, so the exact scan answers instead: fewer than k where the
   * filter allows at least k.
   */
  fallsBack(plan: Plan, found: number | undefined): boolean {
    const { k, candidates } = plan.input;
    return found === undefined || found < Math.min(k, candidates);
  }

  /**
   * The search of `plan` is done; `fallback` when the exact scan answered
   * after the graph. `graphNs` is what the graph search took on worker
   * threads: the round trip varies with how recently the workers searched
   * (a sleeping one is slow to wake), and, learned from, it made the exact
   * scan win for good after a few slow first searches, with the workers
   * asleep for every graph search after that.
   */
  end(plan: Plan, fallback = false, graphNs?: number): void {
    if (plan.kind === 'hnsw') this.#graphSearches--;
    const timing = plan.timing;
    if (timing === undefined) return;
    if (plan.kind === 'exact') {
      this.record(plan, (performance.now() - timing.started) * 1e6);
    } else if (timing.alone && this.#graphSearches === 0 && !fallback) {
      this.record(plan, graphNs ?? (performance.now() - timing.started) * 1e6);
    }
  }

  /** `learning`: the caller will `record` what this plan cost, so it may be a second choice (see the file comment). */
  plan(input: PlanInput, learning = false): Plan {
    const { total, candidates, filtered, k, dimension } = input;
    const selectivity = total === 0 ? 1 : Math.max(candidates / total, 1 / Math.max(total, 1));
    const ef = filtered ? filteredEf(input.ef, k, selectivity) : Math.max(input.ef, k);
    const exact = candidates * dimension * this.#scanNsPerFloat;
    const hnsw = filtered ? (ef / selectivity) * this.#filteredNsPerEf : ef * this.#hnswNsPerEf;
    // The graph cannot return k hits from fewer than k candidates: scan them.
    let kind: PlanKind = candidates <= k || exact <= hnsw ? 'exact' : 'hnsw';
    let explored = false;
    if (learning && candidates > k && ++this.#learningPlans % EXPLORE_EVERY === 0) {
      const [chosen, other] = kind === 'exact' ? [exact, hnsw] : [hnsw, exact];
      if (other <= chosen * EXPLORE_WITHIN) {
        kind = kind === 'exact' ? 'hnsw' : 'exact';
        explored = true;
      }
    }
    // Every field set here, in one order: plans of one shape keep the search path's property reads monomorphic.
    return { kind, explored, ef, estimates: { exact, hnsw }, input, forced: false, timing: undefined };
  }

  /** Feeds back what an executed plan cost, so later estimates track this machine. */
  record(plan: Plan, elapsedNs: number): void {
    const input = plan.input;
    if (!(elapsedNs > 0)) return;
    if (plan.kind === 'exact') {
      // Tiny scans are all fixed overhead: learning from them would inflate the per-float rate.
      const floats = input.candidates * input.dimension;
      if (floats >= MIN_LEARN_FLOATS) this.#scanNsPerFloat = blend(this.#scanNsPerFloat, elapsedNs / floats, DEFAULT_SCAN_NS_PER_FLOAT);
    } else if (input.total >= MIN_LEARN_GRAPH) {
      if (input.filtered) {
        const selectivity = input.candidates / input.total;
        this.#filteredNsPerEf = blend(this.#filteredNsPerEf, (elapsedNs * selectivity) / plan.ef, DEFAULT_FILTERED_NS_PER_EF);
      } else {
        this.#hnswNsPerEf = blend(this.#hnswNsPerEf, elapsedNs / plan.ef, DEFAULT_HNSW_NS_PER_EF);
      }
    }
  }

  get rates(): { scanNsPerFloat: number; hnswNsPerEf: number; filteredNsPerEf: number } {
    return { scanNsPerFloat: this.#scanNsPerFloat, hnswNsPerEf: this.#hnswNsPerEf, filteredNsPerEf: this.#filteredNsPerEf };
  }
}

/**
 * A filter hides most of the graph's neighbourhoods from the result set, so
 * the search keeps more candidates: ef grows by half of log2(1 / selectivity)
 * (1.5x at 50%, 2.7x at 10%), capped at MAX_FILTER_EF_BOOST times the
 * requested ef. bench:ann measures its recall at 50% and 10% selectivity
 * (bench/README.md); a full doubling at 50% cost twice the time for no
 * better recall.
 */
export function filteredEf(ef: number, k: number, selectivity: number): number {
  const base = Math.max(ef, k);
  const boost = Math.min(MAX_FILTER_EF_BOOST, 1 + 0.5 * Math.log2(1 / Math.min(1, selectivity)));
  return Math.min(MAX_EF, Math.ceil(base * boost));
}

/** Moves the running average towards `observed`, kept within MAX_DRIFT of the measured default either way. */
function blend(current: number, observed: number, reference: number): number {
  const next = current + EWMA_WEIGHT * (observed - current);
  return Math.min(reference * MAX_DRIFT, Math.max(reference / MAX_DRIFT, next));
}
