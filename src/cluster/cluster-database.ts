/**
 * A Quiver node in cluster mode: the embedded Database holding this node's
 * shard replicas (each a local collection named `<uid>_<shard>`), over
 * PostgreSQL as the store of record (see docs/DESIGN.md, "Cluster mode").
 *
 * No node leads. Every `heartbeatMs` a node records its heartbeat, reads
 * the collections, the live nodes and the placements, and reconciles: it
 * holds shard s of a collection when it is among the `replicas` live nodes
 * that rank highest for it (shard-hash.ts replicasOf), catches such a
 * replica up from PostgreSQL, and records its state and applied version in
 * the placement table, where coordinators find ready replicas. A node that
 * stops heartbeating for `nodeTimeoutMs` drops out of every placement.
 */
import { copyFileSync, existsSync, writeFileSync, readFileSync, renameSync } from 'node:fs';
import { restoreBackup } from '../core/backup.js';
import { DATABASE_FILE } from '../core/storage/store.js';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { AliasInfo, BackupResult, CollectionStatus, Logger, SearchEvent } from '../core/api.js';
import type { EmbeddingsLike } from '../core/embedding/embedder.js';
import type { Collection } from '../core/collection/collection.js';
import { resolveCollectionOptions, storedOptions, type CollectionOptions } from '../core/collection/collection-options.js';
import { Database, defaultLogger, type DatabaseOptions, type FieldCacheStats, type PoolStats } from '../core/database.js';
import { createError } from '../core/errors.js';
import { COLLECTION_NAME_PATTERN, isIntegerIn } from '../core/options.js';
import { isPlainObject } from '../core/validate.js';
import { ClusterCollection, type ClusterServices } from './cluster-collection.js';
import { Coordinator, placementKey, type Placement, type ShardCall } from './coordinator.js';
import { servePeer } from './peers.js';
import { CHANGES_CHANNEL, PgStore, storeError, type ClusterCollectionRow } from './pg-store.js';
import { ShardReplica } from './replica.js';
import { replicasOf, SHARD_HASH } from './shard-hash.js';

export interface ClusterOptions {
  /** PostgreSQL connection URL (postgres://user@host:port/db): the store of record. */
  store: string;
  /** This node's name: unique in the cluster and the same across restarts. */
  nodeId: string;
  /**
   * The base URL of this node's REST API as other nodes reach it
   * (http://host:port). Without it no other node sends this node shard
   * calls: it writes, coordinates and serves the replicas it holds to itself.
   */
  advertise?: string;
  /** The API key other nodes accept, sent with shard calls. */
  apiKey?: string;
  /**
   * Hold a replica of every shard of every collection, whatever the
   * placement ranks (a node that reads everything locally, or a standby).
   * Default false: the shards this node ranks for.
   */
  holdAll?: boolean;
  /**
   * A node snapshot (a directory another node's `backup` wrote) a new node
   * starts from when its data directory is empty, replaying only what
   * PostgreSQL took since.
   */
  bootstrap?: string;
  /** Milliseconds between heartbeats and polls. Default 500. */
  heartbeatMs?: number;
  /**
   * Milliseconds without a heartbeat after which a node is taken for dead and
   * its shards placed elsewhere. Default 10000: a node busy applying a bulk
   * load can miss heartbeats for seconds, and moving its shards then would
   * add work where there is too much. Reads do not wait for it: a replica
   * that does not answer is skipped at once.
   */
  nodeTimeoutMs?: number;
  /** Milliseconds a replica waits to reach a read's version. Default 5000. */
  consistencyTimeoutMs?: number;
  /** Milliseconds a shard call to another node may take before the next replica is tried. Default 2000. */
  peerTimeoutMs?: number;
}

/** A collection's cluster settings, beside its usual options. */
export interface ClusterCollectionOptions extends CollectionOptions {
  /** Shards, fixed at creation. Default 1. */
  shards?: number;
  /** Copies of each shard on distinct nodes (as many as there are live nodes, at most). Default 2. */
  replicas?: number;
}

type CheckedClusterOptions = Required<Omit<ClusterOptions, 'advertise' | 'apiKey' | 'bootstrap'>> & Pick<ClusterOptions, 'advertise' | 'apiKey' | 'bootstrap'>;

const CLUSTER_KEYS = new Set(['store', 'nodeId', 'advertise', 'apiKey', 'bootstrap', 'holdAll', 'heartbeatMs', 'nodeTimeoutMs', 'consistencyTimeoutMs', 'peerTimeoutMs']);
const MAX_SHARDS = 256;
/** The file in a node's data directory that records each replica's applied version. */
const APPLIED_FILE = 'cluster-applied.json';

export class ClusterDatabase {
  readonly nodeId: string;
  readonly #local: Database;
  readonly #store: PgStore;
  readonly #options: CheckedClusterOptions;
  readonly #log: Logger;
  readonly #replicas = new Map<string, ShardReplica>();
  readonly #collections = new Map<string, ClusterCollection>();
  readonly #services: ClusterServices;
  readonly #coordinator: Coordinator;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;
  /** Closes each connection another node opened to this one. */
  readonly #peerSockets = new Set<() => void>();
  /** The reconcile under way or done last; reconciles run one at a time (see #reconcileNow). */
  #reconciled: Promise<void> = Promise.resolve();
  /** The reconcile queued after the one under way, shared by every call made meanwhile. */
  #queued: Promise<void> | undefined;
  /** Each replica's applied version as recorded when the node opened (APPLIED_FILE): where a replica of a local collection resumes. */
  readonly #appliedAtOpen: Record<string, number>;
  /** Each replica's placement row as last written (state and applied version), so unchanged rows are not written again. */
  readonly #placed = new Map<string, string>();
  /** Each collection's version (by uid) at the last heartbeat. */
  #latest = new Map<string, number>();
  /** Alias -> collection name, as of the last heartbeat (or this node's own alias change). */
  #aliases = new Map<string, string>();

  private constructor(local: Database, store: PgStore, options: CheckedClusterOptions, log: Logger, embedders: ReadonlyMap<string, EmbeddingsLike>) {
    this.#local = local;
    this.#store = store;
    this.#options = options;
    this.#log = log;
    this.nodeId = options.nodeId;
    this.#coordinator = new Coordinator({
      nodeId: options.nodeId, apiKey: options.apiKey, peerTimeoutMs: options.peerTimeoutMs, consistencyTimeoutMs: options.consistencyTimeoutMs,
    }, this.#replicas, () => this.#reconcileNow());
    this.#appliedAtOpen = this.#loadApplied();
    this.#services = { store, coordinator: this.#coordinator, session: new Map(), replicasOf: (uid) => [...this.#replicas.values()].filter((replica) => replica.uid === uid), embedders };
  }

  /** Opens this node: its local database, PostgreSQL, and a first reconcile (its replicas start catching up). */
  static async open(options: DatabaseOptions & { cluster: ClusterOptions }): Promise<ClusterDatabase> {
    const { cluster, ...embedded } = options;
    const checked = checkClusterOptions(cluster);
    if (checked.bootstrap !== undefined) await bootstrap(checked.bootstrap, embedded.path);
    const store = await PgStore.open(checked.store, checked.nodeId);
    let local: Database;
    try {
      local = await Database.open(embedded);
    } catch (error) {
      await store.close();
      throw error;
    }
    // The local Database checked `embedders` as it opened.
    const db = new ClusterDatabase(local, store, checked, embedded.logger ?? defaultLogger, new Map(Object.entries(embedded.embedders ?? {})));
    try {
      const listening = await store.sql.listen(CHANGES_CHANNEL, (payload) => db.#changed(payload));
      db.#unlisten = () => listening.unlisten();
      await db.#reconcileNow();
    } catch (error) {
      await db.close();
      throw storeError(error, 'start the node');
    }
    db.#timer = setInterval(() => db.#heartbeat(), checked.heartbeatMs);
    return db;
  }

  /** This node's shard replicas, by `<uid>/<shard>` (for tests and the benchmark). */
  get replicas(): ReadonlyMap<string, ShardReplica> {
    return this.#replicas;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A node's answers are the cluster's, at versions this node does not hold: a server caches none of them. */
  readonly cacheable = false;

  /** The local database's worker threads, which host this node's replicas' graphs. */
  get workerStats(): PoolStats | undefined {
    return this.#local.workerStats;
  }

  get fieldCacheStats(): FieldCacheStats {
    return this.#local.fieldCacheStats;
  }

  /** Every search this node's replicas answer (a shard's part of a cluster search). */
  observeSearches(listener: (event: SearchEvent) => void): () => void {
    return this.#local.observeSearches(listener);
  }

  /** Every alias and the collection it names, by alias, as this node last saw them. */
  listAliases(): AliasInfo[] {
    this.#assertOpen();
    return [...this.#aliases].map(([alias, collection]) => ({ alias, collection })).sort((a, b) => (a.alias < b.alias ? -1 : 1));
  }

  /** Makes `alias` another name for `collection` on every node (see Database.createAlias). */
  async createAlias(alias: string, collection: string): Promise<void> {
    this.#assertOpen();
    if (typeof alias !== 'string' || !COLLECTION_NAME_PATTERN.test(alias)) throw createError('INVALID_COLLECTION_NAME', alias);
    await this.#aliasWrite(() => this.#store.setAlias(alias, collection, 'create'));
  }

  /** Points an existing alias at another collection, atomically, on every node. */
  async switchAlias(alias: string, collection: string): Promise<void> {
    this.#assertOpen();
    await this.#aliasWrite(() => this.#store.setAlias(alias, collection, 'switch'));
  }

  async dropAlias(alias: string): Promise<void> {
    this.#assertOpen();
    await this.#aliasWrite(() => this.#store.dropAlias(alias));
  }

  async #aliasWrite(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      throw storeError(error, 'change an alias');
    }
    await this.#reconcileNow();
  }

  /**
   * Writes a node snapshot into `dir`: this node's replicas (a backup of
   * its local database) and the version each had applied, which a new
   * node starts from (`cluster.bootstrap`) instead of replaying PostgreSQL
   * from the start. The versions are read before the copy, so the copy
   * holds at least them (a replay from there is idempotent, replica.ts).
   * The cluster's own backup is PostgreSQL's (pg_dump, or base backups
   * with WAL archiving): the store of record holds every document.
   */
  async backup(dir: string): Promise<BackupResult> {
    this.#assertOpen();
    const applied = this.#appliedVersions();
    const result = await this.#local.backup(dir);
    writeFileSync(join(dir, APPLIED_FILE), JSON.stringify(applied));
    return result;
  }

  async createCollection(name: string, options: ClusterCollectionOptions | Record<string, unknown>): Promise<ClusterCollection> {
    this.#assertOpen();
    if (typeof name !== 'string' || !COLLECTION_NAME_PATTERN.test(name)) throw createError('INVALID_COLLECTION_NAME', name);
    if (!isPlainObject(options)) throw createError('INVALID_OPTIONS', ['collection options must be an object']);
    const { shards = 1, replicas = 2, ...rest } = options as ClusterCollectionOptions;
    const problems: string[] = [];
    if (!isIntegerIn(shards, 1, MAX_SHARDS)) problems.push(`shards must be an integer from 1 to ${MAX_SHARDS}, got ${String(shards)}`);
    if (!isIntegerIn(replicas, 1, 64)) problems.push(`replicas must be an integer from 1 to 64, got ${String(replicas)}`);
    if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
    const resolved = resolveCollectionOptions(rest, Math.max(1, this.#local.workers));
    const row = { name, uid: randomBytes(8).toString('hex'), options: storedOptions(resolved), shards: shards as number, replicas: replicas as number, hash: SHARD_HASH };
    try {
      await this.#store.createCollection(row);
    } catch (error) {
      throw storeError(error, 'create a collection');
    }
    await this.#reconcileNow();
    return this.collection(name);
  }

  /** The collection with this name, as this node last saw the cluster's collections (COLLECTION_NOT_FOUND otherwise). */
  collection(name: string): ClusterCollection {
    this.#assertOpen();
    const collection = this.#collections.get(this.#aliases.get(name) ?? name);
    if (collection === undefined) throw createError('COLLECTION_NOT_FOUND', String(name));
    return collection;
  }

  hasCollection(name: string): boolean {
    this.#assertOpen();
    return this.#collections.has(this.#aliases.get(name) ?? name);
  }

  listCollections(): CollectionStatus[] {
    this.#assertOpen();
    return [...this.#collections.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((collection) => collection.info);
  }

  async dropCollection(name: string): Promise<void> {
    this.#assertOpen();
    const aliased = this.#aliases.get(name);
    if (aliased !== undefined) {
      throw createError('INVALID_ARGUMENT', 'collection name', `a collection's own name ('${name}' is an alias of '${aliased}': drop the alias with dropAlias, or the collection by its name)`, name);
    }
    try {
      await this.#store.dropCollection(name);
    } catch (error) {
      throw storeError(error, 'drop a collection');
    }
    await this.#reconcileNow();
  }

  /** This node and its replicas: each one's collection, shard, state, applied version, documents and graph backlog (GET /_cluster/status). */
  status(): { nodeId: string; advertise: string | null; replicas: { collection: string; shard: number; state: string; applied: number; documents: number; indexingBacklog: number }[] } {
    const names = new Map([...this.#collections.values()].map((collection) => [collection.uid, collection.name]));
    const replicas = [...this.#replicas.values()].map((replica) => ({
      collection: names.get(replica.uid) ?? replica.uid, shard: replica.shard, state: replica.state, applied: replica.applied,
      documents: replica.local.count, indexingBacklog: replica.local.info.indexingBacklog,
    }));
    return { nodeId: this.nodeId, advertise: this.#options.advertise ?? null, replicas };
  }

  /**
   * @internal Takes a connection from another node, upgraded by the server
   * (`GET /_cluster/wire`, its key checked), and answers the shard calls
   * that come on it until either side closes it.
   */
  acceptPeer(socket: Duplex, head: Buffer): void {
    if (this.#closed) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const close = servePeer(socket, head, async (call) => {
      this.#assertOpen();
      return this.#coordinator.runShardCall(call as ShardCall);
    }, (error) => this.#log.warn(`node ${this.nodeId}: a shard call from another node failed (${(error as Error).message})`));
    this.#peerSockets.add(close);
    socket.on('close', () => this.#peerSockets.delete(close));
  }

  /**
   * Resolves once every replica this node holds has applied its collection's
   * version as PostgreSQL holds it now (a whole replay can take minutes);
   * CLUSTER_UNAVAILABLE after `timeoutMs`.
   */
  async caughtUp(timeoutMs = 30 * 60_000): Promise<void> {
    await this.#reconcileNow();
    await Promise.all([...this.#replicas.values()].map(async (replica) => {
      const version = await this.#store.version(replica.uid);
      if (version !== undefined) await replica.waitFor(version, timeoutMs);
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#tick?.catch(() => {});
    this.#coordinator.close();
    for (const close of this.#peerSockets) close();
    for (const replica of this.#replicas.values()) replica.close();
    this.#saveApplied();
    await this.#unlisten?.().catch(() => {});
    try {
      await this.#store.sql`DELETE FROM quiver_placement WHERE node_id = ${this.nodeId}`;
      await this.#store.sql`DELETE FROM quiver_nodes WHERE node_id = ${this.nodeId}`;
    } catch {
      // PostgreSQL is down: the heartbeat's age takes this node out of the placements.
    }
    await this.#store.close();
    await this.#local.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw createError('DATABASE_CLOSED');
  }

  /** A NOTIFY: `<uid>:<version>` wakes that collection's replicas; a new or dropped collection reconciles. */
  #changed(payload: string): void {
    const [uid, what] = payload.split(':');
    if (what === '0' || what === 'dropped') {
      this.#heartbeat();
      return;
    }
    for (const replica of this.#replicas.values()) if (replica.uid === uid) void replica.poke();
  }

  #heartbeat(): void {
    if (this.#closed || this.#tick !== undefined) return;
    // Only replicas behind their collection's version: a heartbeat costs no query per idle replica.
    this.#tick = this.#reconcileNow()
      .then(() => Promise.all([...this.#replicas.values()].filter((replica) => replica.applied < (this.#latest.get(replica.uid) ?? Infinity)).map((replica) => replica.poke())).then(() => {}))
      .catch((error: unknown) => this.#log.warn(`node ${this.nodeId}: heartbeat failed (${(error as Error).message}); serving from local state`))
      .finally(() => {
        this.#tick = undefined;
      });
  }

  /**
   * A reconcile that starts after the one under way, if any, and is shared
   * by every call made meanwhile: two never run at once (both could make a
   * replica of the same shard), and each caller's reconcile reads the cluster
   * after its call (a collection it just created, say).
   */
  #reconcileNow(): Promise<void> {
    if (this.#queued === undefined) {
      const queued = this.#reconciled.then(() => {
        this.#queued = undefined;
        return this.#reconcile();
      });
      this.#queued = queued;
      this.#reconciled = queued.catch(() => {});
    }
    return this.#queued;
  }

  /** One heartbeat's work (see the file header). */
  async #reconcile(): Promise<void> {
    const sql = this.#store.sql;
    const timeout = `${this.#options.nodeTimeoutMs} milliseconds`;
    await sql`
      INSERT INTO quiver_nodes (node_id, advertise, heartbeat, started) VALUES (${this.nodeId}, ${this.#options.advertise ?? null}, now(), now())
      ON CONFLICT (node_id) DO UPDATE SET advertise = EXCLUDED.advertise, heartbeat = now()`;
    const [rows, nodes, placements, aliases] = await Promise.all([
      this.#store.collections(),
      sql`SELECT node_id FROM quiver_nodes WHERE heartbeat > now() - ${timeout}::interval AND (advertise IS NOT NULL OR node_id = ${this.nodeId})`,
      sql`
        SELECT p.collection, p.shard, p.node_id, n.advertise FROM quiver_placement p JOIN quiver_nodes n ON n.node_id = p.node_id
        WHERE n.advertise IS NOT NULL AND n.heartbeat > now() - ${timeout}::interval`,
      this.#store.aliases(),
    ]);
    if (this.#closed) return;
    this.#latest = new Map(rows.map((row) => [row.uid, row.version]));
    this.#aliases = new Map(aliases.map(({ alias, collection }) => [alias, collection]));
    const live = nodes.map((node) => node.node_id as string);
    const placement: Placement = new Map();
    for (const row of placements) {
      const key = placementKey(row.collection as string, row.shard as number);
      if (!placement.has(key)) placement.set(key, new Map());
      placement.get(key)!.set(row.node_id as string, { url: row.advertise as string, ready: row.state === 'ready' });
    }
    await this.#follow(rows, live, placement);
    this.#coordinator.placement = placement;
    for (const [key, replica] of this.#replicas) {
      const mark = `${replica.state}:${replica.applied}`;
      if (this.#placed.get(key) === mark) continue;
      await sql`
        INSERT INTO quiver_placement (collection, shard, node_id, state, applied) VALUES (${replica.uid}, ${replica.shard}, ${this.nodeId}, ${replica.state}, ${replica.applied})
        ON CONFLICT (collection, shard, node_id) DO UPDATE SET state = EXCLUDED.state, applied = EXCLUDED.applied`;
      this.#placed.set(key, mark);
    }
  }

  /** Makes this node's collections and replicas those the cluster's rows and live nodes call for. */
  async #follow(rows: readonly ClusterCollectionRow[], live: readonly string[], placement: Placement): Promise<void> {
    const byUid = new Map(rows.map((row) => [row.uid, row]));
    const byName = new Map(rows.map((row) => [row.name, row]));
    for (const [name, collection] of this.#collections) {
      const row = byName.get(name);
      if (row === undefined || row.uid !== collection.uid) this.#collections.delete(name);
      else collection.refresh(row);
    }
    for (const row of rows) if (!this.#collections.has(row.name)) this.#collections.set(row.name, new ClusterCollection(row, this.#services));
    for (const row of rows) {
      for (let shard = 0; shard < row.shards; shard++) {
        const key = placementKey(row.uid, shard);
        const ranked = this.#options.holdAll ? [this.nodeId] : replicasOf(row.uid, shard, live, row.replicas);
        const held = this.#replicas.get(key);
        if (held !== undefined && !ranked.includes(this.nodeId)) {
          // No longer this node's: dropped once every node that ranks for it holds it ready (until then it still serves).
          const others = placement.get(key);
          if (ranked.every((node) => others?.get(node)?.ready === true)) await this.#dropReplica(key, held);
          continue;
        }
        if (held !== undefined || !ranked.includes(this.nodeId)) continue;
        const localName = `${row.uid}_${shard}`;
        // A local collection from before this open resumes where it was recorded; a new one starts from nothing.
        const existing = this.#local.hasCollection(localName);
        const local = existing ? this.#local.collection(localName) : await this.#local.createCollection(localName, JSON.parse(row.options) as CollectionOptions);
        const resumeAt = existing ? (this.#appliedAtOpen[key] ?? 0) : 0;
        const replica = new ShardReplica(this.#store, local, row.uid, shard, resumeAt, this.#log, () => this.#saveApplied());
        this.#replicas.set(key, replica);
        void replica.poke();
      }
    }
    // Replicas of dropped collections go, and local collections no replica uses (left by an earlier placement).
    for (const [key, replica] of this.#replicas) if (!byUid.has(replica.uid)) await this.#dropReplica(key, replica);
    const used = new Set([...this.#replicas.values()].map((replica) => replica.local.name));
    for (const status of this.#local.listCollections()) {
      if (!used.has(status.name)) await this.#local.dropCollection(status.name).catch(() => {});
    }
  }

  async #dropReplica(key: string, replica: ShardReplica): Promise<void> {
    replica.close();
    this.#replicas.delete(key);
    this.#placed.delete(key);
    await this.#local.dropCollection(replica.local.name).catch(() => {});
    await this.#store.sql`DELETE FROM quiver_placement WHERE collection = ${replica.uid} AND shard = ${replica.shard} AND node_id = ${this.nodeId}`;
  }

  #appliedVersions(): Record<string, number> {
    const applied: Record<string, number> = {};
    for (const [key, replica] of this.#replicas) applied[key] = replica.applied;
    return applied;
  }

  #loadApplied(): Record<string, number> {
    const path = this.#local.path;
    if (path === undefined) return {};
    try {
      return JSON.parse(readFileSync(join(path, APPLIED_FILE), 'utf8')) as Record<string, number>;
    } catch {
      return {};
    }
  }

  /**
   * Records each replica's applied version. Written after the replica's
   * rows committed locally, so it is never ahead of the local state; behind
   * it only costs a replay (see replica.ts).
   */
  #saveApplied(): void {
    const path = this.#local.path;
    if (path === undefined) return;
    const applied = this.#appliedVersions();
    const file = join(path, APPLIED_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(applied));
    renameSync(`${file}.tmp`, file);
  }
}

/**
 * A new node's data directory from a node snapshot (`backup`): restored
 * when the directory holds no database yet, left alone otherwise (a
 * restarted node goes on from its own state).
 */
async function bootstrap(snapshot: string, path: string | undefined): Promise<void> {
  if (path === undefined) throw createError('INVALID_OPTIONS', ['cluster.bootstrap needs a data directory (path) to restore into']);
  if (existsSync(join(path, DATABASE_FILE))) return;
  await restoreBackup(snapshot, path);
  copyFileSync(join(snapshot, APPLIED_FILE), join(path, APPLIED_FILE));
}

/** The cluster options, checked, with defaults. */
function checkClusterOptions(options: unknown): CheckedClusterOptions {
  if (!isPlainObject(options)) throw createError('INVALID_OPTIONS', ['cluster must be an object { store, nodeId, advertise? }']);
  const problems = Object.keys(options).filter((key) => !CLUSTER_KEYS.has(key)).map((key) => `unknown cluster option '${key}'`);
  const { store, nodeId, advertise, apiKey, bootstrap: snapshot, holdAll = false, heartbeatMs = 500, nodeTimeoutMs = 10_000, consistencyTimeoutMs = 5000, peerTimeoutMs = 2000 } = options as unknown as ClusterOptions;
  if (typeof store !== 'string' || !/^postgres(ql)?:\/\//.test(store)) problems.push('cluster.store must be a postgres:// URL');
  if (typeof nodeId !== 'string' || !COLLECTION_NAME_PATTERN.test(nodeId)) problems.push('cluster.nodeId must be 1-64 letters, digits, _ or -');
  if (advertise !== undefined && (typeof advertise !== 'string' || !/^https?:\/\//.test(advertise))) problems.push('cluster.advertise must be an http:// URL');
  if (apiKey !== undefined && typeof apiKey !== 'string') problems.push('cluster.apiKey must be a string');
  if (snapshot !== undefined && (typeof snapshot !== 'string' || snapshot.length === 0)) problems.push('cluster.bootstrap must be a directory path');
  if (typeof holdAll !== 'boolean') problems.push('cluster.holdAll must be a boolean');
  for (const [name, value] of Object.entries({ heartbeatMs, nodeTimeoutMs, consistencyTimeoutMs, peerTimeoutMs })) {
    if (!isIntegerIn(value, 10, 600_000)) problems.push(`cluster.${name} must be an integer of milliseconds from 10 to 600000`);
  }
  if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
  return { store, nodeId, advertise, apiKey, bootstrap: snapshot, holdAll, heartbeatMs, nodeTimeoutMs, consistencyTimeoutMs, peerTimeoutMs };
}

export type { Collection };
