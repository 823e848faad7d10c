/**
 * Approximate nearest neighbour benchmark: `npm run bench:ann [-- --quick]`.
 *
 * 1. Recall@10 and QPS across ef on TEXMEX siftsmall (10k x 128, l2, the
 *    published ground truth) and on a seeded embedding-like set (100k x 128,
 *    cosine; 20k with --quick; ground truth by a float64 brute force, cross-
 *    checked against Quiver's `exact: true`). Side by side on the same data
 *    with the same M, efConstruction and ef: Quiver through the library API,
 *    raw hnswlib-node HierarchicalNSW, and usearch (f32; installed in
 *    bench/peers with the other peers, and skipped with the reason without
 *    it, as they are). Build time and
 *    memory per engine. Raw hnswlib-node is built twice, before and after
 *    Quiver: identical graphs in different memory search up to 10% apart
 *    (at 100k rows), so the QPS target is held against both copies' mean
 *    and the copies' own ratio is printed beside it.
 * 2. Filtered search on the synthetic set at 50%, 10%, 1% and 0.1%
 *    selectivity (`bucket = i % 1000`, filter `bucket < x`; the buckets are
 *    independent of the vectors): Quiver with its planner against raw
 *    hnswlib-node with a JavaScript filter callback at ef 64.
 * 3. Planner calibration: the exact scan over candidate sets of 100 .. 100k,
 *    unfiltered and filtered HNSW, each forced with `exact`, converted to the
 *    planner's units next to its defaults, and whether the planner's choice
 *    at each selectivity was the faster plan.
 * 4. Peers on the same data in the same run (bench/ann/peer-engines.ts):
 *    hnswlib-wasm timed with the three engines above at every ef; the exact
 *    engines @orama/orama and vectra, with Quiver `exact: true` beside them,
 *    over the first `exactQueries` queries. A peer that fails to load or
 *    build is recorded in `engines` with the reason. Per-query latency
 *    percentiles of every engine (HNSW engines at ef `latencyEf`).
 *    Engines installed on demand in bench/peers (`npm run bench:peers`;
 *    skipped, with "not installed: run npm run bench:peers", without it):
 *    LanceDB IVF_HNSW_SQ (numPartitions 1, same M / efConstruction, 8-bit
 *    SQ) without refine and with refineFactor 2, on one table and index, and
 *    Chroma (its Rust server from the chromadb npm package in a child process
 *    on 127.0.0.1; HNSW with max_neighbors = M, same ef_construction), all
 *    swept across the same ef with the others, one query at a time from one
 *    client. LanceDB's ef must be >= refineFactor x k, so "refine 2" starts
 *    at ef 20. Chroma applies a new ef_search only when its server loads the
 *    collection: each ef is set with collection.modify, then the server is
 *    restarted on the same data (outside timing). Chroma searches in its
 *    server process, so its QPS is by wall clock; LanceDB's by this
 *    process's CPU time (its threads included) like the others. Build time
 *    and "reopen to first answer" per peer (LanceDB: open the table from disk
 *    in a fresh Node process and answer one query; Chroma: restart the
 *    server on its data and answer one query) are in `builds`.
 * 5. The default path (bench/ann/default-path.ts, issue 17): one query after
 *    another with `openDatabase()`'s defaults (and `workers: 0`, and
 *    `include: []`) against raw hnswlib-node on 20,000 x 128.
 *
 * `curves`, `latency` and `engines` in the JSON hold every engine in one
 * shape for the suite's report (bench/lib/report-md.ts). Without siftsmall
 * (../shared/data) that data set is skipped with the reason; with
 * QUIVER_BENCH_SMOKE=1 only a tiny synthetic set runs.
 *
 * All data is seeded and built before any timed function. Every timed
 * function rotates through the query set: each sample runs whole passes
 * over the same queries for every engine, after a warm-up, with the
 * competing engines' samples interleaved, and each QPS is the median of the
 * samples (`measurePasses`, bench/ann/timing.ts; tables, progress, machine
 * facts and JSON come from bench/lib/harness.ts). Recall passes run after
 * the timed runs. Each timed section also records the share of wall time
 * this process was on a CPU, so a run on a busy machine says so. Results:
 * printed tables, bench/results/ann.json and bench/results/ann-recall-qps.svg.
 *
 * The code is in bench/ann/, a file per section: config.ts (sizes, ef,
 * timing, targets), ground-truth.ts (data sets, brute force, recall),
 * engines.ts (Quiver, hnswlib-node, usearch: builds, memory, statuses),
 * timing.ts (`measurePasses`, CPU share), sweep.ts (1), filters.ts (2),
 * calibration.ts (3), peers.ts, peer-engines.ts and exact.ts (4),
 * latency.ts (percentiles), default-path.ts (5), quiver-reopen.ts (reopen
 * to first answer), curves.ts (JSON `curves`), print.ts (the tables) and
 * main.ts (the run, in order).
 */
import { main } from './ann/main.js';

await main();
