/**
 * Sends a shard call to one replica of the shard: this node's own when it
 * holds a ready one, otherwise a ready replica on a live node, trying the
 * next when one does not answer (killed, hung past the timeout, shutting
 * down). The replica waits until it has applied the call's `minVersion`
 * (session and strong reads) before it answers.
 *
 * Shard calls travel as JSON (peers.ts); `runShardCall` answers one on the
 * node that holds the replica, whether the call came from this node or
 * from another one.
 */
import type { Document, GetOptions, SearchHit, SearchRequest } from '../core/api.js';
import type { ShardSearch } from '../core/collection/checks.js';
import { createError } from '../core/errors.js';
import { callPeer, PeerUnreachable } from './peers.js';
import type { ShardReplica } from './replica.js';

/** BM25 statistics as they travel: df as an object. */
export interface WireKeywordStats {
  live: number;
  totalLength: number;
  df: Record<string, number>;
}

/** One call to one shard replica. */
export type ShardCall = { uid: string; shard: number; minVersion: number } & (
  | { op: 'search'; request: SearchRequest; depth?: number; keywordStats?: WireKeywordStats }
  | { op: 'termStats'; text: string }
  | { op: 'count'; filter?: Record<string, unknown> }
  | { op: 'get'; ids: string[]; include?: GetOptions['include'] }
);

/** Where the replicas of a shard live: node id -> advertised URL, for ready replicas on live nodes. */
export type Placement = Map<string, Map<string, string>>;

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

  constructor(settings: CoordinatorSettings, replicas: ReadonlyMap<string, ShardReplica>) {
    this.#settings = settings;
    this.#replicas = replicas;
  }

  /** The answer of one replica of the call's shard (see the file header). */
  async call(call: ShardCall): Promise<unknown> {
    const local = this.#replicas.get(placementKey(call.uid, call.shard));
    if (local?.state === 'ready') return wire(await this.runShardCall(call));
    const remote = [...(this.placement.get(placementKey(call.uid, call.shard)) ?? [])].filter(([node]) => node !== this.#settings.nodeId);
    if (remote.length === 0 && local !== undefined) return wire(await this.runShardCall(call));
    const start = this.#turn++ % Math.max(1, remote.length);
    const tried: string[] = [];
    for (let i = 0; i < remote.length; i++) {
      const [node, url] = remote[(start + i) % remote.length]!;
      try {
        return await callPeer(url, call, this.#settings.apiKey, this.#settings.peerTimeoutMs);
      } catch (error) {
        if (!(error instanceof PeerUnreachable)) throw error;
        tried.push(`${node} (${error.message})`);
      }
    }
    throw createError('CLUSTER_UNAVAILABLE', 'reach a replica', `no ready replica of shard ${call.shard} answered${tried.length > 0 ? `: tried ${tried.join(', ')}` : ''}`);
  }

  /** Answers a shard call with this node's replica of the shard. */
  async runShardCall(call: ShardCall): Promise<SearchHit[] | WireKeywordStats | number | (Document | null)[]> {
    const replica = this.#replicas.get(placementKey(call.uid, call.shard));
    if (replica === undefined) throw createError('CLUSTER_UNAVAILABLE', 'answer for this shard', `node ${this.#settings.nodeId} holds no replica of shard ${call.shard}`);
    await replica.waitFor(call.minVersion, this.#settings.consistencyTimeoutMs);
    const local = replica.local;
    switch (call.op) {
      case 'search': {
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

/** An answer as JSON carries it (a Float32Array becomes an array): what a remote replica's answer looks like too. */
export function wire<T>(answer: T): T {
  if (!Array.isArray(answer)) return answer;
  return answer.map((item: unknown) => {
    const vector = (item as { vector?: unknown } | null)?.vector;
    return vector instanceof Float32Array ? { ...(item as object), vector: Array.from(vector) } : item;
  }) as T;
}
