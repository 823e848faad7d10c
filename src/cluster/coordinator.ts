/**
 * Sends a shard call to one replica of the shard: this node's own when it
 * holds a ready one, otherwise a ready replica on a live node, trying the
 * next when one does not answer (killed, hung past the timeout, shutting
 * down). The replica waits until it has applied the call's `minVersion`
 * (session and strong reads) before it answers.
 *
 * Shard calls to other nodes travel on the node's links to them (peers.ts,
 * wire.ts); `runShardCall` answers one on the node that holds the replica,
 * whether the call came from this node or from another one.
 */
import type { Document, GetOptions, SearchHit, SearchRequest, SearchResult } from '../core/api.js';
import type { ShardSearch } from '../core/collection/checks.js';
import { createError } from '../core/errors.js';
import { PeerLinks, PeerUnreachable } from './peers.js';
import type { ShardReplica } from './replica.js';

/** BM25 statistics as they travel: df as an object. */
export interface WireKeywordStats {
  live: number;
  totalLength: number;
  df: Record<string, number>;
}

/** One call to one shard replica. */
export type ShardCall = { uid: string; shard: number; minVersion: number } & (
  /** `whole`: the shard is the collection's only one, and answers the request as the collection (see ClusterCollection.search). */
  | { op: 'search'; request: SearchRequest; whole?: boolean; depth?: number; keywordStats?: WireKeywordStats }
  | { op: 'termStats'; text: string }
  | { op: 'count'; filter?: Record<string, unknown> }
  | { op: 'get'; ids: string[]; include?: GetOptions['include'] }
);

/** Where the replicas of a shard live on live nodes: node id -> advertised URL and whether the replica is ready. */
export type Placement = Map<string, Map<string, { url: string; ready: boolean }>>;

export function placementKey(uid: string, shard: number): string {
  return `${uid}/${shard}`;
}

export interface CoordinatorSettings {
  nodeId: string;
  apiKey: string | undefined;
  /** How long a replica may take to answer before the next is tried. */
  peerTimeoutMs: number;
  /** How long a replica waits to reach a read's version. */
  consistencyTimeoutMs: number;
}

export class Coordinator {
  readonly #settings: CoordinatorSettings;
  readonly #replicas: ReadonlyMap<string, ShardReplica>;
  placement: Placement = new Map();
  /** Round-robin position per shard over its remote replicas. */
  #turn = 0;

  readonly #refresh: () => Promise<void>;
  readonly #peers: PeerLinks;

  /** `refresh` brings the node's view of collections, replicas and placement up to date. */
  constructor(settings: CoordinatorSettings, replicas: ReadonlyMap<string, ShardReplica>, refresh: () => Promise<void>) {
    this.#settings = settings;
    this.#replicas = replicas;
    this.#refresh = refresh;
    this.#peers = new PeerLinks(settings.apiKey, settings.peerTimeoutMs);
  }

  /** Closes the links to other nodes. */
  close(): void {
    this.#peers.close();
  }

  /**
   * The answer of one replica of the call's shard (see the file header):
   * ready replicas first, this node's own before others; then replicas
   * still catching up (they answer once they reach the call's version).
   * When none is known (a collection just made, a placement just moved),
   * the node's view is refreshed and the call tried again, until the
   * consistency timeout.
   */
  async call(call: ShardCall): Promise<unknown> {
    const deadline = Date.now() + this.#settings.consistencyTimeoutMs;
    const tried: string[] = [];
    for (;;) {
      for (const target of this.#targets(call)) {
        if (target === 'local') return await this.runShardCall(call);
        try {
          return await this.#peers.call(target.url, call);
        } catch (error) {
          if (!(error instanceof PeerUnreachable)) throw error;
          tried.push(`${target.node} (${error.message})`);
        }
      }
      if (Date.now() > deadline) break;
      await this.#refresh().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw createError('CLUSTER_UNAVAILABLE', 'reach a replica', `no replica of shard ${call.shard} answered${tried.length > 0 ? `: tried ${[...new Set(tried)].join(', ')}` : ''}`);
  }

  /** The replicas to try for a call, in order. */
  #targets(call: ShardCall): ('local' | { node: string; url: string })[] {
    const local = this.#replicas.get(placementKey(call.uid, call.shard));
    const placed = [...(this.placement.get(placementKey(call.uid, call.shard)) ?? [])].filter(([node]) => node !== this.#settings.nodeId);
    // Spread calls over the remote replicas, round robin.
    const start = this.#turn++ % Math.max(1, placed.length);
    const remote = placed.map((_, i) => placed[(start + i) % placed.length]!).map(([node, { url, ready }]) => ({ node, url, ready }));
    const targets: ('local' | { node: string; url: string })[] = [];
    if (local?.state === 'ready') targets.push('local');
    targets.push(...remote.filter((r) => r.ready));
    if (local !== undefined && local.state !== 'ready') targets.push('local');
    targets.push(...remote.filter((r) => !r.ready));
    return targets;
  }

  /** Answers a shard call with this node's replica of the shard. */
  async runShardCall(call: ShardCall): Promise<SearchHit[] | SearchResult | WireKeywordStats | number | (Document | null)[]> {
    const replica = this.#replicas.get(placementKey(call.uid, call.shard));
    if (replica === undefined) throw createError('CLUSTER_UNAVAILABLE', 'answer for this shard', `node ${this.#settings.nodeId} holds no replica of shard ${call.shard}`);
    await replica.waitFor(call.minVersion, this.#settings.consistencyTimeoutMs);
    const local = replica.local;
    switch (call.op) {
      case 'search': {
        if (call.whole === true) return local.search(call.request);
        const shard: ShardSearch = { depth: call.depth };
        if (call.keywordStats) shard.keywordStats = { ...call.keywordStats, df: new Map(Object.entries(call.keywordStats.df)) };
        return local.shardSearch(call.request, shard);
      }
      case 'termStats': {
        const stats = local.termStats(call.text);
        return { live: stats.live, totalLength: stats.totalLength, df: Object.fromEntries(stats.df) };
      }
      case 'count':
        return local.countWhere(call.filter);
      case 'get':
        return local.getMany(call.ids, call.include === undefined ? {} : { include: call.include });
    }
  }
}
