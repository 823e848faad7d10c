/**
 * One shard replica on this node: a local collection that follows the
 * shard's rows in PostgreSQL through the embedded write path (upsert and
 * delete), and the version it has applied.
 *
 * A catch-up pass reads, in one snapshot, every row of the shard newer
 * than `applied` and applies them; only then does `applied` become the
 * snapshot's version, so a reader that waits for version v sees the shard
 * as it was at v or later, never a mix older than v. Rows hold each
 * document's latest state, so applying a row twice changes nothing: after
 * a crash the replica replays from the version it last recorded, which may
 * be older than what its local state holds, and ends in the same state.
 * NOTIFY only wakes a pass; the node's poll is the backstop.
 */
import type { Collection } from '../core/collection/collection.js';
import type { DocumentInput } from '../core/api.js';
import { createError } from '../core/errors.js';
import type { Logger } from '../core/api.js';
import { floatsOf, type DocumentRow, type PgStore } from './pg-store.js';

export type ReplicaState = 'catching-up' | 'ready';

export class ShardReplica {
  readonly uid: string;
  readonly shard: number;
  readonly local: Collection;
  /** The collection version this replica holds the shard at (or later). */
  applied: number;
  state: ReplicaState = 'catching-up';
  readonly #store: PgStore;
  readonly #log: Logger;
  readonly #onApplied: (replica: ShardReplica) => void;
  #pass: Promise<void> | undefined;
  #again = false;
  #waiters: { version: number; resolve: () => void }[] = [];
  #closed = false;
  /** Rows applied since this replica was made (for catch-up rates). */
  rowsApplied = 0;

  constructor(store: PgStore, local: Collection, uid: string, shard: number, applied: number, log: Logger, onApplied: (replica: ShardReplica) => void) {
    this.#store = store;
    this.local = local;
    this.uid = uid;
    this.shard = shard;
    this.applied = applied;
    this.#log = log;
    this.#onApplied = onApplied;
  }

  /** Starts a catch-up pass, or another after the running one; resolves when the pass it joined ends. */
  poke(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#pass !== undefined) {
      this.#again = true;
      return this.#pass;
    }
    this.#pass = this.#run().finally(() => {
      this.#pass = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.poke();
      }
    });
    return this.#pass;
  }

  /**
   * Resolves once the replica holds `version` or later; a pass is started at
   * once. CLUSTER_UNAVAILABLE after `timeoutMs` (PostgreSQL unreachable, or
   * the replica too far behind).
   */
  async waitFor(version: number, timeoutMs: number): Promise<void> {
    if (this.applied >= version) return;
    void this.poke();
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<void>((resolve) => this.#waiters.push({ version, resolve }));
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(createError('CLUSTER_UNAVAILABLE', 'read at the version asked for', `shard ${this.shard} has applied version ${this.applied}, not ${version}, after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([reached, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#closed = true;
  }

  async #run(): Promise<void> {
    try {
      const version = await this.#store.changes(this.uid, this.shard, this.applied, (pages) => this.#apply(pages));
      if (version === undefined || this.#closed) return;
      if (version > this.applied) {
        this.applied = version;
        this.#onApplied(this);
      }
      this.state = 'ready';
      const waiting = this.#waiters;
      this.#waiters = waiting.filter((waiter) => waiter.version > version);
      for (const waiter of waiting) if (waiter.version <= version) waiter.resolve();
    } catch (error) {
      if (!this.#closed) this.#log.warn(`shard ${this.shard} of ${this.uid}: catching up failed, retrying at the next poll: ${(error as Error).message}`);
    }
  }

  async #apply(pages: AsyncIterable<DocumentRow[]>): Promise<void> {
    for await (const rows of pages) {
      if (this.#closed) return;
      const deleted = rows.filter((row) => row.deleted).map((row) => row.id);
      const upserts = rows.filter((row) => !row.deleted).map(documentOf);
      if (deleted.length > 0) await this.local.delete(deleted);
      if (upserts.length > 0) await this.local.upsert(upserts);
      this.rowsApplied += rows.length;
    }
  }
}

/** A stored row as the embedded write path takes it. */
function documentOf(row: DocumentRow): DocumentInput {
  const document: DocumentInput = { id: row.id };
  if (row.vector !== null) document.vector = floatsOf(row.vector);
  if (row.text !== null) document.text = row.text;
  if (row.metadata !== null) document.metadata = JSON.parse(row.metadata) as DocumentInput['metadata'];
  return document;
}
