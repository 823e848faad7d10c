/**
 * Section 4's setup: the peer engines (peer-engines.ts, bench/peers) built
 * on each data set, with build time, memory and reopen to first answer
 * (JSON `builds`) and whether each ran (JSON `engines`), then closed; and
 * Quiver's own reopen to first answer beside theirs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/harness.js';
import type { PeerIndex, Reopened, Peer } from '../peers/types.js';
import { CONFIG, log, MB, QUICK } from './config.js';
import { engineStatuses, memory, type BuildRow, type EngineStatus } from './engines.js';
import type { Dataset } from './ground-truth.js';
import { isUnavailable, metricNote, PEERS, reasonOf } from './peer-engines.js';
import { quiverReopen } from './quiver-reopen.js';

/** A peer engine built on one data set. */
export interface BuiltPeer {
  peer: Peer;
  index: PeerIndex;
}

/**
 * Quiver's reopen to first answer and first filtered query on `ds`, beside
 * the peers' (quiver-reopen.ts): set on Quiver's build row.
 */
export async function quiverReopenOn(ds: Dataset, builds: BuildRow[], tmp: string): Promise<void> {
  const row = builds.find((b) => b.dataset === ds.name && b.engine === 'Quiver');
  if (!row) return;
  try {
    const reopen = await quiverReopen({
      path: join(tmp, `quiver-reopen-${ds.name.replace(/[^A-Za-z0-9]/g, '_')}`), base: ds.base, dim: ds.dim, metric: ds.metric,
      hnsw: CONFIG.hnsw, query: ds.queries[0]!, k: CONFIG.k, log: (message) => log(`${ds.name}: ${message}`),
    });
    Object.assign(row, { reopenSeconds: reopen.seconds, reopenWhat: reopen.what, firstFilteredSeconds: reopen.firstFilteredSeconds });
  } catch (error) {
    row.reopenWhat = `failed: ${reasonOf(error)}`;
  }
}

/** Builds every peer on `ds`; one that throws is recorded as failed and left out. */
export async function buildPeers(ds: Dataset, tmp: string): Promise<{ built: BuiltPeer[]; builds: BuildRow[] }> {
  const built: BuiltPeer[] = [];
  const builds: BuildRow[] = [];
  for (const peer of PEERS) {
    const status: EngineStatus = {
      dataset: ds.name, engine: peer.engine, package: peer.package, version: peer.version ? peer.version() : packageVersionOf(peer.package),
      status: 'ok', reason: null, kind: peer.kind, index: peer.index, notes: [],
    };
    const note = metricNote(peer, ds);
    if (note) status.notes.push(note);
    engineStatuses.push(status);
    const unavailable = peer.unavailable?.() ?? null;
    if (unavailable !== null) {
      status.status = 'skipped';
      status.reason = unavailable;
      log(`${ds.name}: ${peer.engine} skipped: ${unavailable}`);
      continue;
    }
    const limit = CONFIG.peerMaxCount[peer.engine] ?? null;
    if (limit !== null && ds.count > limit) {
      status.status = 'skipped';
      status.reason = `${ds.count.toLocaleString()} rows is above the ${limit.toLocaleString()} this benchmark builds ${peer.engine} with${QUICK ? ' in --quick' : ''}`;
      log(`${ds.name}: ${peer.engine} skipped: ${status.reason}`);
      continue;
    }
    try {
      const before = memory();
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const index = await peer.build(ds, { k: CONFIG.k, ...CONFIG.hnsw, tmp, log });
      const seconds = (performance.now() - started) / 1000;
      const cpuUsed = process.cpuUsage(cpuStarted);
      const after = memory();
      // A first search proves the index answers before it is timed.
      await index.search(0);
      let reopen: Reopened | null = null;
      if (index.reopen) {
        try {
          reopen = await index.reopen();
          log(`${ds.name}: ${peer.engine} reopen to first answer ${reopen.seconds.toFixed(3)} s, first filtered query ${reopen.firstFilteredSeconds?.toFixed(3) ?? '-'} s`);
        } catch (error) {
          status.notes.push(`reopen to first answer failed: ${reasonOf(error)}`);
        }
      }
      if (index.sharesBuildOf === undefined) {
        builds.push({
          dataset: ds.name, engine: peer.engine, count: ds.count, seconds, cpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
          docsPerSecond: ds.count / seconds, rssDeltaMiB: (after.rss - before.rss) / MB, heapDeltaMiB: (after.heapUsed - before.heapUsed) / MB,
          engineSizeMiB: index.sizeMiB, engineSizeWhat: index.sizeWhat,
          reopenSeconds: reopen?.seconds ?? null, reopenWhat: reopen?.what ?? null, firstFilteredSeconds: reopen?.firstFilteredSeconds ?? null,
        });
      }
      status.notes.push(...index.notes);
      built.push({ peer, index });
      log(`${ds.name}: ${peer.engine} built in ${seconds.toFixed(1)} s${index.sharesBuildOf ? ` (${index.sharesBuildOf}'s table and index)` : ''}`);
    } catch (error) {
      status.status = isUnavailable(error) ? 'skipped' : 'failed';
      status.reason = reasonOf(error);
      log(`${ds.name}: ${peer.engine} ${status.status === 'skipped' ? 'skipped' : 'FAILED'}: ${status.reason}`);
    }
  }
  return { built, builds };
}

function packageVersionOf(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Stops the peers' servers and releases what they hold (a failure is a note, not a stop). */
export async function closePeers(ds: Dataset, built: BuiltPeer[]): Promise<void> {
  for (const p of built) {
    if (!p.index.close) continue;
    try {
      await p.index.close();
    } catch (error) {
      engineStatuses.find((e) => e.dataset === ds.name && e.engine === p.peer.engine)?.notes.push(`closing failed: ${reasonOf(error)}`);
    }
  }
}
