/**
 * Section 1: recall@10 and QPS across ef for Quiver, raw hnswlib-node (both
 * copies), usearch and the HNSW peers, timed in interleaved samples on the
 * same queries (JSON `sweep`), with the per-query latency at `latencyEf`.
 */
import { fmt, spread } from '../lib/harness.js';
import { mean, median } from '../lib/stats.js';
import type { UsearchIndex } from '../peers/js-peers.js';
import { CONFIG, log } from './config.js';
import { engineStatuses, makeUsearch, usearch, type Engines } from './engines.js';
import { recallOf, type Dataset } from './ground-truth.js';
import { latencyPercentiles, latencyRows } from './latency.js';
import { reasonOf } from './peer-engines.js';
import type { BuiltPeer } from './peers.js';
import { measurePasses, qps, type PassTiming } from './timing.js';

/** Keeps results observable so no timed work can be optimised away. */
export let sink = 0;

export interface SweepRow {
  dataset: string;
  ef: number;
  /** usearch: null when it is not in this run (engines says why). */
  recall: { quiver: number; hnswlib: number; usearch: number | null };
  qps: { quiver: number; hnswlib: number; usearch: number | null; hnswlibCopy: number };
  /** Quiver QPS / raw hnswlib QPS (by CPU time; see measurePasses). */
  ratio: number;
  /** The second raw copy's QPS / the first's: how far identical graphs differ by where they sit in memory. */
  copyRatio: number;
  /** Quiver QPS / the mean QPS of both raw copies: the figure the target is held to. */
  ratioVsCopies: number;
  /** The same by wall clock. */
  wallRatio: number;
  /** Median µs per query: Quiver end-to-end minus raw hnswlib. */
  quiverOverheadUs: number;
  /** Median of Quiver's own `explain.timings.search` (the graph search + re-score), µs. */
  quiverSearchStageUs: number;
  /** Median `explain.timings.filter` (validation, normalisation, filter evaluation), µs. */
  quiverFilterStageUs: number;
  quiverPlans: string;
  spreads: { quiver: number; hnswlib: number; usearch: number | null };
  cpuShare: number;
  timings: { quiver: PassTiming; hnswlib: PassTiming; usearch: PassTiming | null };
  /** HNSW peers (peer-engines.ts) timed in the same interleaved samples, by engine name. */
  peers: Record<string, PeerPoint>;
}

export interface PeerPoint {
  recall: number;
  /** By CPU time, as the three engines above; `wallQps` by wall clock. */
  qps: number;
  wallQps: number;
  spread: number;
  timing: PassTiming;
}

/** `dataset/engine` of peers that failed to change ef in the sweep and sit out the rest of it. */
const droppedPeers = new Set<string>();

export async function sweep(ds: Dataset, engines: Engines, tunable: BuiltPeer[]): Promise<SweepRow[]> {
  const { k } = CONFIG;
  const nq = ds.queries.length;
  const rows: SweepRow[] = [];
  for (const ef of CONFIG.efs) {
    const { quiver, hnsw, hnswCopy } = engines;
    hnsw.setEf(ef);
    hnswCopy.setEf(ef);
    let us: UsearchIndex | null = null;
    if (usearch && engines.usearchFile) {
      us = makeUsearch(usearch, ds, ef);
      us.load(engines.usearchFile);
    }
    // Peers that cannot search at this ef have no point here (their notes say why).
    const atEf: BuiltPeer[] = [];
    for (const p of tunable) {
      if (p.index.efUnsupported?.(ef)) continue;
      if (droppedPeers.has(`${ds.name}/${p.peer.engine}`)) continue;
      try {
        await p.index.setEf!(ef);
        atEf.push(p);
      } catch (error) {
        // A peer that cannot be set to this ef (e.g. its server did not come back) drops out of the rest of the sweep.
        droppedPeers.add(`${ds.name}/${p.peer.engine}`);
        const status = engineStatuses.find((e) => e.dataset === ds.name && e.engine === p.peer.engine);
        status?.notes.push(`dropped from the sweep at ef ${ef}: ${reasonOf(error)}`);
        log(`${ds.name} ef=${ef}: ${p.peer.engine} dropped: ${reasonOf(error)}`);
      }
    }
    const peerFns = Object.fromEntries(atEf.map((p) => [p.peer.engine, (q: number) => p.index.search(q)]));
    log(`${ds.name} ef=${ef}: timing Quiver, hnswlib${us ? ', usearch' : ''}${atEf.map((p) => `, ${p.peer.engine}`).join('')} (${nq} queries rotating, samples interleaved)`);
    const core: Record<string, (q: number) => unknown> = {
      quiver: (q: number) => quiver.search({ vector: ds.queries[q]!, k, ef, exact: false, include: [] }),
      hnswlib: (q: number) => {
        sink += hnsw.searchKnn(ds.queryArrays[q]!, k).neighbors[0]!;
      },
      hnswlibCopy: (q: number) => {
        sink += hnswCopy.searchKnn(ds.queryArrays[q]!, k).neighbors[0]!;
      },
    };
    if (us) {
      const index = us;
      core.usearch = (q: number) => {
        sink += index.search(ds.queries[q]!, k, CONFIG.threads).distances[0]!;
      };
    }
    const serverPeers = new Set(atEf.filter((p) => p.index.qpsClock === 'wall').map((p) => p.peer.engine));
    const measured = await measurePasses<string>(`${ds.name} ef=${ef}`, { ...core, ...peerFns }, nq, CONFIG.timing, serverPeers);
    const { cpuShare } = measured;
    const timings = { quiver: measured.timings.quiver!, hnswlib: measured.timings.hnswlib!, usearch: measured.timings.usearch ?? null };
    const copyQps = qps(measured.timings.hnswlibCopy!);
    if (ef === CONFIG.latencyEf) {
      log(`${ds.name} ef=${ef}: per-query latency, ${CONFIG.latencyPasses} pass(es) over ${nq} queries, engines rotating`);
      latencyRows.push(...await latencyPercentiles(ds, ef, {
        Quiver: core.quiver!, hnswlib: core.hnswlib!, ...(core.usearch ? { usearch: core.usearch } : {}), ...peerFns,
      }, nq, CONFIG.latencyPasses));
    }
    // Recall passes after the timing, one engine at a time (so each runs warm, as it was timed). Quiver runs
    // twice with explain: the first pass gives recall and plans, the second the search-stage times.
    const recalls = { quiver: [] as number[], hnswlib: [] as number[], usearch: [] as number[] };
    const stage: number[] = [];
    const filterStage: number[] = [];
    const plans = new Map<string, number>();
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < nq; q++) {
        const result = await quiver.search({ vector: ds.queries[q]!, k, ef, exact: false, include: [], explain: true });
        if (pass === 1) {
          stage.push(result.explain.timings.search);
          filterStage.push(result.explain.timings.filter);
          continue;
        }
        recalls.quiver.push(recallOf(result.hits.map((h) => Number(h.id)), ds.truth[q]!));
        const plan = `${result.explain.plan}${result.explain.fallback ? '+fallback' : ''} ef ${result.explain.ef}`;
        plans.set(plan, (plans.get(plan) ?? 0) + 1);
      }
    }
    for (let q = 0; q < nq; q++) recalls.hnswlib.push(recallOf(hnsw.searchKnn(ds.queryArrays[q]!, k).neighbors, ds.truth[q]!));
    for (let q = 0; q < nq && us; q++) {
      recalls.usearch.push(recallOf(Array.from(us.search(ds.queries[q]!, k, CONFIG.threads).keys, Number), ds.truth[q]!));
    }
    const peers: Record<string, PeerPoint> = {};
    for (const p of atEf) {
      const list: number[] = [];
      for (let q = 0; q < nq; q++) list.push(recallOf(await p.index.search(q), ds.truth[q]!));
      const timing = measured.timings[p.peer.engine]!;
      const wallQps = 1e9 / timing.wallMedianNs;
      // A server's search runs in its own process: its QPS is by wall clock (PeerIndex.qpsClock).
      const peerQps = p.index.qpsClock === 'wall' ? wallQps : qps(timing);
      const peerSpread = p.index.qpsClock === 'wall' ? (Math.max(...timing.wallSamplesNs) - Math.min(...timing.wallSamplesNs)) / timing.wallMedianNs : spread(timing);
      peers[p.peer.engine] = { recall: mean(list), qps: peerQps, wallQps, spread: peerSpread, timing };
    }
    const row: SweepRow = {
      dataset: ds.name,
      ef,
      recall: { quiver: mean(recalls.quiver), hnswlib: mean(recalls.hnswlib), usearch: timings.usearch ? mean(recalls.usearch) : null },
      qps: { quiver: qps(timings.quiver), hnswlib: qps(timings.hnswlib), usearch: timings.usearch ? qps(timings.usearch) : null, hnswlibCopy: copyQps },
      ratio: timings.hnswlib.medianNs / timings.quiver.medianNs,
      copyRatio: copyQps / qps(timings.hnswlib),
      ratioVsCopies: qps(timings.quiver) / ((qps(timings.hnswlib) + copyQps) / 2),
      wallRatio: timings.hnswlib.wallMedianNs / timings.quiver.wallMedianNs,
      quiverOverheadUs: (timings.quiver.medianNs - timings.hnswlib.medianNs) / 1e3,
      quiverSearchStageUs: median(stage) * 1e3,
      quiverFilterStageUs: median(filterStage) * 1e3,
      quiverPlans: [...plans].map(([p, n]) => `${p} ${n}/${nq}`).join(', '),
      spreads: { quiver: spread(timings.quiver), hnswlib: spread(timings.hnswlib), usearch: timings.usearch ? spread(timings.usearch) : null },
      cpuShare,
      timings,
      peers,
    };
    log(
      `${ds.name} ef=${ef}: recall Q ${row.recall.quiver.toFixed(4)} / H ${row.recall.hnswlib.toFixed(4)} / U ${row.recall.usearch?.toFixed(4) ?? '-'}; ` +
        `QPS Q ${fmt(row.qps.quiver)} / H ${fmt(row.qps.hnswlib)} / H copy ${fmt(row.qps.hnswlibCopy)} / U ${row.qps.usearch === null ? '-' : fmt(row.qps.usearch)}; ` +
        `Q/H ${row.ratio.toFixed(2)}x, H copy/H ${row.copyRatio.toFixed(2)}x, Q/both H ${row.ratioVsCopies.toFixed(2)}x` +
        Object.entries(peers).map(([name, p]) => `; ${name} recall ${p.recall.toFixed(4)}, ${fmt(p.qps)} QPS`).join(''),
    );
    rows.push(row);
  }
  return rows;
}
