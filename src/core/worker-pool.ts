/**
 * Threads that host HNSW segments (segment-worker.ts), so graph searches run
 * on every core and graph inserts never run on the caller's event loop.
 *
 * `SegmentHost` is what a segmented graph talks to: a worker of the pool, or
 * `localHost()`, the same SegmentServer in the calling thread (`workers: 0`).
 * Each worker has its own hnswlib graphs: a segment lives on exactly one
 * worker, so memory does not grow with the number of workers.
 */
import type { Worker } from 'node:worker_threads';
import type { GraphHits } from './hnsw-index.js';
import { SegmentServer, type SegmentReply, type SegmentRequest, type SegmentServerStats } from './segment-server.js';
import { startWorker } from './threads.js';

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

export interface ReplyBatch {
  replies: Reply[];
  stats: SegmentServerStats;
}

class WorkerHost implements SegmentHost {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #outbox: RequestBatch['requests'] = [];
  #transfer: ArrayBuffer[] = [];
  #nextId = 0;
  #failure: Error | undefined;
  stats: SegmentServerStats = { queued: 0, waitedMs: 0 };
  answered = 0;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (batch: ReplyBatch) => {
      this.stats = batch.stats;
      for (const message of batch.replies) {
        const pending = this.#pending.get(message.id);
        this.answered++;
        if (!pending) continue;
        this.#pending.delete(message.id);
        if (message.error !== undefined) pending.reject(new Error(message.error));
        else pending.resolve(message.reply ?? null);
      }
      if (this.#pending.size === 0) this.#worker.unref();
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`segment worker exited with code ${code}`)));
    // An idle pool must not keep the process alive.
    worker.unref();
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  call(request: SegmentRequest, transfer: ArrayBuffer[] = []): Promise<SegmentReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      if (this.#outbox.length === 0) queueMicrotask(() => this.#flush());
      this.#outbox.push({ id, request });
      this.#transfer.push(...transfer);
    });
  }

  #flush(): void {
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

  constructor(size: number) {
    this.size = size;
  }

  /** The worker for segment number `n` (round robin); workers start on first use. */
  host(n: number): SegmentHost {
    const index = n % this.size;
    while (this.#hosts.length <= index) this.#hosts.push(new WorkerHost(startWorker('segment-worker')));
    return this.#hosts[index]!;
  }

  get stats(): PoolStats {
    let inFlight = 0;
    let queued = 0;
    let waitedMs = 0;
    let requests = 0;
    for (const host of this.#hosts) {
      inFlight += host.inFlight;
      queued += host.stats.queued;
      waitedMs += host.stats.waitedMs;
      requests += host.answered;
    }
    return { workers: this.size, inFlight, queued, waitedSeconds: waitedMs / 1000, requests };
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
