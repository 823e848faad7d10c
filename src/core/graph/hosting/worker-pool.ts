/**
 * Threads that host HNSW segments (segment-worker.ts), so graph searches run
 * on every core and graph inserts never run on the caller's event loop.
 *
 * `SegmentHost` is what a segmented graph talks to: a worker of the pool, or
 * `localHost()`, the same SegmentServer in the calling thread (`workers: 0`).
 * Each worker has its own hnswlib graphs: a segment lives on exactly one
 * worker, so memory does not grow with the number of workers.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { GraphHits } from '../hnsw-index.js';
import { SegmentServer, type SegmentReply, type SegmentRequest, type SegmentServerStats } from './segment-server.js';
import { SearchLane } from './search-lane.js';
import { startWorker } from '../../threads.js';

export interface SegmentHost {
  call(request: SegmentRequest, transfer?: ArrayBuffer[]): Promise<SegmentReply>;
  /** A search answered synchronously: only hosts in the calling thread have it. */
  searchNow?(segment: number, query: Float32Array, k: number, ef: number, allow: Uint32Array | undefined): GraphHits;
}

export interface PoolStats {
  workers: number;
  /** Requests sent and not yet answered, over all workers. */
  inFlight: number;
  /** Changes queued inside the workers, waiting to be applied. */
  queued: number;
  /** Seconds changes waited in worker queues before they started, in total. */
  waitedSeconds: number;
  /** Requests answered since the pool started. */
  requests: number;
  /** Of those, searches answered through a search lane (search-lane.ts), not by message. */
  laneSearches: number;
}

interface Pending {
  resolve: (reply: SegmentReply) => void;
  reject: (error: Error) => void;
}

interface Reply {
  id: number;
  reply?: SegmentReply;
  error?: string;
}

/**
 * What travels between a pool and a worker: every request (or reply) made
 * in one turn of the sender's event loop, in one message. Under load this
 * cuts the per-search cost of messaging several times.
 */
export interface RequestBatch {
  requests: { id: number; request: SegmentRequest }[];
}

/** What a segment worker starts with. */
export interface SegmentWorkerData {
  /** Its search lane's memory (search-lane.ts). */
  lane: SharedArrayBuffer;
}

export interface ReplyBatch {
  replies: Reply[];
  stats: SegmentServerStats;
}

/**
 * Longest a caller blocks waiting for a lane's answer (see search-lane.ts);
 * a longer search is waited for without blocking, so a heavy search never
 * holds the event loop for longer than this.
 */
const LANE_BLOCK_MS = 1;
/** With a core to spare for it, the caller spins this long before it sleeps on a lane (waking costs tens of µs). */
const LANE_SPIN_MS = 0.5;

class WorkerHost implements SegmentHost {
  readonly #worker: Worker;
  readonly #lane = new SearchLane();
  readonly #schedule: () => void;
  readonly #pending = new Map<number, Pending>();
  #outbox: RequestBatch['requests'] = [];
  #transfer: ArrayBuffer[] = [];
  #nextId = 0;
  /** The request whose answer the lane will carry. */
  #laneId = -1;
  #failure: Error | undefined;
  stats: SegmentServerStats = { queued: 0, waitedMs: 0 };
  answered = 0;
  laneAnswered = 0;

  constructor(schedule: () => void) {
    this.#schedule = schedule;
    const worker = startWorker(new URL('./segment-worker.js', import.meta.url), { lane: this.#lane.buffer } satisfies SegmentWorkerData);
    this.#worker = worker;
    worker.on('message', (batch: ReplyBatch) => {
      this.stats = batch.stats;
      for (const message of batch.replies) {
        if (message.error !== undefined) this.#settle(message.id, undefined, new Error(message.error));
        else this.#settle(message.id, message.reply ?? null);
      }
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`segment worker exited with code ${code}`)));
    // An idle pool must not keep the process alive.
    worker.unref();
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Requests made this turn and not sent yet. */
  get unsent(): number {
    return this.#outbox.length;
  }

  call(request: SegmentRequest, transfer: ArrayBuffer[] = []): Promise<SegmentReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#outbox.push({ id, request });
      this.#transfer.push(...transfer);
      this.#schedule();
    });
  }

  /**
   * Puts this turn's request in the lane when it is a lone search and the
   * worker watches its lane; true when it did.
   */
  postToLane(): boolean {
    const only = this.#outbox.length === 1 ? this.#outbox[0]! : undefined;
    if (!only || only.request.type !== 'search' || this.#pending.size !== 1 || this.#failure) return false;
    if (!this.#lane.post(only.request)) return false;
    this.#laneId = only.id;
    this.#outbox = [];
    this.#transfer = [];
    return true;
  }

  /** Waits for the lane's answer, blocking until `untilMs` at most (see LANE_BLOCK_MS), then without blocking. */
  awaitLane(untilMs: number, spinMs: number): void {
    if (this.#lane.waitUntil(untilMs, spinMs)) this.#takeLaneReply();
    else this.#lane.waitAsync().then(() => this.#takeLaneReply());
  }

  #takeLaneReply(): void {
    const id = this.#laneId;
    this.#laneId = -1;
    this.laneAnswered++;
    try {
      this.#settle(id, this.#lane.reply());
    } catch (error) {
      this.#settle(id, undefined, error as Error);
    }
  }

  #settle(id: number, reply: SegmentReply | undefined, error?: Error): void {
    this.answered++;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (error) pending.reject(error);
    else pending.resolve(reply ?? null);
    if (this.#pending.size === 0) this.#worker.unref();
  }

  /** Sends this turn's requests (those the lane did not take) in one message. */
  flush(): void {
    if (this.#outbox.length === 0) return;
    const batch: RequestBatch = { requests: this.#outbox };
    const transfer = this.#transfer;
    this.#outbox = [];
    this.#transfer = [];
    if (this.#failure) {
      for (const { id } of batch.requests) this.#pending.get(id)?.reject(this.#failure);
      return;
    }
    this.#worker.postMessage(batch, transfer);
  }

  async terminate(): Promise<void> {
    this.#failure ??= new Error('the worker pool is closed');
    await this.#worker.terminate();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

export class WorkerPool {
  readonly size: number;
  readonly #hosts: WorkerHost[] = [];
  readonly #cores = availableParallelism();
  #flushScheduled = false;

  constructor(size: number) {
    this.size = size;
  }

  /** The worker for segment number `n` (round robin); workers start on first use. */
  host(n: number): SegmentHost {
    const index = n % this.size;
    while (this.#hosts.length <= index) this.#hosts.push(new WorkerHost(() => this.#schedule()));
    return this.#hosts[index]!;
  }

  /** Requests made in one turn of the event loop are sent together, at its end. */
  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /**
   * Sends this turn's requests. A lone search per worker, with nothing else
   * on the way to any worker (one query at a time, the case where a wake-up
   * costs most), goes through the lanes of the workers that watch theirs,
   * and this thread waits for the answers there; everything else goes as
   * messages.
   */
  #flush(): void {
    this.#flushScheduled = false;
    const sending = this.#hosts.filter((host) => host.unsent > 0);
    const alone = this.#hosts.every((host) => host.inFlight === host.unsent);
    const laned = alone ? sending.filter((host) => host.postToLane()) : [];
    for (const host of sending) host.flush();
    if (laned.length === 0) return;
    const until = performance.now() + LANE_BLOCK_MS;
    // Spinning while every core runs a search would take a core from one of them.
    const spinMs = laned.length < this.#cores ? LANE_SPIN_MS : 0;
    for (const host of laned) host.awaitLane(until, spinMs);
  }

  get stats(): PoolStats {
    let inFlight = 0;
    let queued = 0;
    let waitedMs = 0;
    let requests = 0;
    let laneSearches = 0;
    for (const host of this.#hosts) {
      laneSearches += host.laneAnswered;
      inFlight += host.inFlight;
      queued += host.stats.queued;
      waitedMs += host.stats.waitedMs;
      requests += host.answered;
    }
    return { workers: this.size, inFlight, queued, waitedSeconds: waitedMs / 1000, requests, laneSearches };
  }

  async close(): Promise<void> {
    await Promise.all(this.#hosts.map((host) => host.terminate()));
    this.#hosts.length = 0;
  }
}

const pools = new Map<number, WorkerPool>();

/**
 * The process's pool of `size` workers, made on first use and shared by
 * every database that asks for that size (like libuv's thread pool). Its
 * idle workers never keep the process alive.
 */
export function sharedPool(size: number): WorkerPool {
  let pool = pools.get(size);
  if (!pool) {
    pool = new WorkerPool(size);
    pools.set(size, pool);
  }
  return pool;
}

/** Segments hosted in the calling thread: changes apply before `call` returns. */
export function localHost(): SegmentHost {
  const server = new SegmentServer(Number.POSITIVE_INFINITY);
  return { call: (request) => server.handle(request), searchNow: (segment, query, k, ef, allow) => server.searchSegment(segment, query, k, ef, allow) };
}
