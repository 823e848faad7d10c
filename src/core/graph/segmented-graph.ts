/**
 * A collection's HNSW graph as `segments` hnswlib graphs (label % segments),
 * each hosted by a SegmentHost (a worker thread, or the calling thread).
 *
 * - Searches go to every segment at once; the hits are merged by score. With
 *   segments on different workers they run in parallel.
 * - Changes are recorded here at once (label states, counts) and sent to the
 *   segments in order, batched per segment. Until a segment acknowledges a
 *   write, the label is *pending*: the collection scans pending labels
 *   exactly, so a search sees every acknowledged write whether or not its
 *   graph insert has run yet. While deletes recorded here are not applied
 *   by every segment, a hit may be on a deleted label: searches fetch that
 *   many more hits and say so (`SegmentHits.stale`), and the collection,
 *   which decides every hit's validity, drops those.
 * - `backlog` (pending labels) lets writers slow down to the pace of the
 *   graph builders instead of queueing without bound.
 * - A new graph allocates nothing on its hosts until its first change:
 *   every hnswlib graph holds GRAPH_FIXED_BYTES (2.5 MiB) however empty, so
 *   empty collections would otherwise cost that much per segment.
 */
import { join } from 'node:path';
import { GRAPH_FIXED_BYTES, type GraphHits } from './hnsw-index.js';
import { LabelStates } from './label-states.js';
import type { RelaidSegment, SavedSegment, SegmentRequest, SegmentSpec } from './hosting/segment-server.js';
import type { SegmentHost } from './hosting/worker-pool.js';

/** Labels per write message: acknowledgements come back steadily during a bulk load. */
const WRITE_CHUNK = 256;
/** At most this many extra hits are fetched to make up for deletes a segment has not applied yet. */
const MAX_OVERFETCH = 256;

let nextSegmentId = 0;

/** A graph search's hits, best first. */
export interface SegmentHits extends GraphHits {
  /**
   * Deletes recorded here were not applied by every segment when the
   * search was sent: some hits may be on deleted labels (the caller drops
   * them), and up to MAX_OVERFETCH more than k were fetched to make up.
   */
  stale?: true;
}

/** Where segment number `n` of a graph lives. */
export interface SegmentHosting {
  host(n: number): SegmentHost;
  /** True when hosts apply changes in the calling thread: then changes are sent at once, not batched. */
  readonly inline: boolean;
}

type Op = { type: 'write'; labels: number[]; vectors: Float32Array[] } | { type: 'remove'; labels: number[] };

export class SegmentedGraph {
  readonly spec: SegmentSpec;
  readonly #hosts: SegmentHost[];
  readonly #ids: number[];
  readonly #inline: boolean;
  readonly #onError: (error: Error) => void;
  /** As of the last change recorded here (the segments may be behind). */
  #states = new LabelStates();
  /** Label -> the write op carrying its newest vector, until that op is acknowledged. */
  readonly #pending = new Map<number, Op>();
  /** `#pending`'s labels as a list, until it next changes. */
  #pendingList: Int32Array | undefined;
  /** Deletes recorded here that segments have not applied yet. */
  #unappliedRemoves = 0;
  /** Changes not sent yet, per segment, in order. */
  readonly #outbox: Op[][];
  #flushScheduled = false;
  #inFlight = 0;
  /** Searches sent to worker hosts and not answered yet. */
  #searchesInFlight = 0;
  /** Callers waiting for the segments to catch up; #wake resolves each once `ready` holds. */
  #waiters: { ready: () => boolean; resolve: () => void }[] = [];
  #failure: Error | undefined;
  /** Segments' room (labels each) to create them with at the first change; undefined once they exist on their hosts. */
  #uncreated: number | undefined;
  #dropped = false;

  private constructor(spec: SegmentSpec, hosting: SegmentHosting, segments: number, onError: (error: Error) => void) {
    this.spec = spec;
    this.#inline = hosting.inline;
    this.#onError = onError;
    this.#ids = Array.from({ length: segments }, () => nextSegmentId++);
    // Consecutive segment ids spread one collection's segments over the workers.
    this.#hosts = this.#ids.map((id) => hosting.host(id));
    this.#outbox = this.#ids.map(() => []);
  }

  /**
   * An empty graph of `segments` segments with room for `capacity` labels in
   * all. Its segments are made on their hosts at the first change (or save),
   * not now: see `fixedBytes`.
   */
  static create(spec: SegmentSpec, hosting: SegmentHosting, segments: number, capacity: number, onError: (error: Error) => void): SegmentedGraph {
    const graph = new SegmentedGraph(spec, hosting, segments, onError);
    graph.#uncreated = Math.ceil(capacity / segments);
    return graph;
  }

  /**
   * Bytes the segments hold however few nodes they have (hnswlib's per-graph
   * cost, GRAPH_FIXED_BYTES each), once they exist; 0 before the first change.
   */
  get fixedBytes(): number {
    return this.#uncreated === undefined && !this.#dropped ? this.#ids.length * GRAPH_FIXED_BYTES : 0;
  }

  /** Makes the segments on their hosts, if not yet: before the first message that needs them. */
  #ensureCreated(): void {
    const capacity = this.#uncreated;
    if (capacity === undefined) return;
    this.#uncreated = undefined;
    const { spec } = this;
    this.#ids.forEach((segment, i) => this.#track(this.#hosts[i]!.call({ type: 'create', segment, spec, capacity })));
  }

  /**
   * Loads the segment files a snapshot saved (one per segment, in order)
   * with the label states saved beside them. Rejects if any fails to load.
   */
  static async load(spec: SegmentSpec, hosting: SegmentHosting, files: readonly string[], states: Uint8Array, onError: (error: Error) => void): Promise<SegmentedGraph> {
    const graph = new SegmentedGraph(spec, hosting, files.length, onError);
    graph.#states = new LabelStates(states);
    const segments = files.length;
    await Promise.all(graph.#ids.map((segment, i) => {
      const own = new Uint8Array(states.length);
      for (let label = i; label < states.length; label += segments) own[label] = states[label]!;
      return graph.#hosts[i]!.call({ type: 'load', segment, spec, file: files[i]!, states: own });
    }));
    return graph;
  }

  get segments(): number {
    return this.#ids.length;
  }

  /** Labels searchable now (tombstones excluded). */
  get size(): number {
    return this.#states.live;
  }

  /** Deleted labels still in the graph; compaction removes them. */
  get tombstones(): number {
    return this.#states.tombstones;
  }

  /** Per-label states to save with the graph (0 absent, 1 live, 2 deleted). */
  get states(): Uint8Array {
    return this.#states.bytes;
  }

  /** Labels written whose graph insert has not been acknowledged yet. */
  get backlog(): number {
    return this.#pending.size;
  }

  /** Labels of every live node, ascending. */
  liveLabels(): number[] {
    return this.#states.liveLabels();
  }

  /** Labels still pending (see the file comment), for an exact scan. */
  pendingLabels(): Int32Array {
    // Searches ask far more often than the pending set changes: the list is rebuilt only after a change.
    this.#pendingList ??= Int32Array.from(this.#pending.keys());
    return this.#pendingList;
  }

  /**
   * Adds `vector` at `label`, or replaces the vector there. The graph keeps
   * `vector` until it is sent (then copied into the message): the caller
   * hands it over and must not change it. Not copying here saves an
   * off-heap allocation per document, which in a bulk load was enough to
   * set off a full garbage collection every few seconds.
   */
  add(label: number, vector: Float32Array): void {
    this.#states.markLive(label);
    const op = this.#enqueue(label, 'write') as Extract<Op, { type: 'write' }>;
    op.labels.push(label);
    op.vectors.push(vector);
    this.#pending.set(label, op);
    this.#pendingList = undefined;
    this.#afterChange();
  }

  remove(label: number): void {
    if (!this.#states.markDeleted(label)) return;
    if (this.#pending.delete(label)) this.#pendingList = undefined;
    this.#enqueue(label, 'remove').labels.push(label);
    this.#unappliedRemoves++;
    this.#afterChange();
  }

  /**
   * Approximate top k of every segment, merged, best first; pending labels
   * are the caller's to scan, and hits on deleted labels the caller's to
   * drop (see SegmentHits.stale).
   */
  search(query: Float32Array, k: number, ef: number, allow?: Uint32Array): SegmentHits | Promise<SegmentHits> {
    // Never changed: nothing to find, and no segment on the hosts to ask.
    if (this.#uncreated !== undefined) return { labels: [], scores: [] };
    if (this.#flushScheduled) this.flush();
    const stale = this.#unappliedRemoves > 0;
    const fetch = stale ? k + Math.min(this.#unappliedRemoves, MAX_OVERFETCH) : k;
    // Hosts in this thread answer at once: the result comes back synchronously, with no promise on the hot path.
    // One segment (the default with `workers: 0`) skips the request list and the merge: folding it into the
    // general inline path measured 0.5-0.8 µs a query slower on siftsmall at ef 16 (about 25 µs a query).
    if (this.#inline && this.#ids.length === 1) return marked(this.#hosts[0]!.searchNow!(this.#ids[0]!, query, fetch, ef, allow), stale);
    if (this.#inline) return merge(this.#ids.map((segment, i) => this.#hosts[i]!.searchNow!(segment, query, fetch, ef, allow)), fetch, stale);
    // A message carries a typed array's whole buffer: a query that is a view into a larger array
    // (a row of a batch) would copy all of it to every worker, and page-fault it in, per search.
    const sent = { query: ownBuffer(query), allow: allow && ownBuffer(allow) };
    const requests = this.#ids.map((segment) => ({ type: 'search' as const, segment, query: sent.query, k: fetch, ef, allow: sent.allow }));
    const replies = Promise.all(requests.map((request, i) => this.#hosts[i]!.call(request) as Promise<GraphHits>));
    this.#searchesInFlight++;
    const answered = () => {
      this.#searchesInFlight--;
      this.#wake();
    };
    replies.then(answered, answered);
    return replies.then((all) => merge(all, fetch, stale));
  }

  /** Resolves once fewer than `below` labels are pending (writers call it to slow down). */
  async backlogBelow(below: number): Promise<void> {
    this.flush();
    // A failed graph takes no more changes: writers are not held back by it.
    await this.#until(() => this.#pending.size < below || this.#failure !== undefined);
  }

  /** Resolves once every change sent so far has been applied. */
  async idle(): Promise<void> {
    this.flush();
    await this.#until(() => this.#inFlight === 0);
  }

  /**
   * Resolves once no request to the hosts is in flight: every change sent
   * applied and every search answered. A worker thread stopped in the
   * middle of a graph call aborts the whole process (hnswlib-node's error
   * path cannot run while the thread is being torn down), so whoever ends
   * the process waits for this first.
   */
  async settled(): Promise<void> {
    this.flush();
    await this.#until(() => this.#inFlight === 0 && this.#searchesInFlight === 0);
  }

  #until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ ready, resolve }));
  }

  /**
   * Saves each segment to `files[i]` (written by its host, fsynced, renamed
   * into place) after every change made before this call; resolves to each
   * file's size and checksum (the label states they reflect are `states`
   * as of this call).
   */
  async save(files: readonly string[]): Promise<SavedSegment[]> {
    // A snapshot holds a file per segment, so an unchanged graph is made now (empty) to be written.
    this.#ensureCreated();
    this.flush();
    return Promise.all(this.#ids.map((segment, i) => this.#hosts[i]!.call({ type: 'save', segment, file: files[i]! }) as Promise<SavedSegment>));
  }

  /**
   * Lays every segment out afresh in memory (HnswIndex.relayout), each
   * through a temporary file in `dir`, after every change made before this
   * call. Searches go on meanwhile; later changes wait. A failed relayout
   * leaves the segment as it was. Resolves to each segment's file size.
   */
  async relayout(dir: string): Promise<RelaidSegment[]> {
    if (this.#uncreated !== undefined) return [];
    this.flush();
    const calls = this.#ids.map((segment, i) => this.#hosts[i]!.call({ type: 'relayout', segment, file: join(dir, `relayout-${process.pid}-${segment}.hnsw`) }) as Promise<RelaidSegment>);
    // Counted like changes, so close waits for it, but a failure does not fail the graph.
    this.#inFlight++;
    const all = Promise.all(calls);
    const done = () => {
      this.#inFlight--;
      this.#wake();
    };
    all.then(done, done);
    return all;
  }

  /** Frees the segments' memory on their hosts. */
  drop(): void {
    this.#outbox.forEach((ops) => (ops.length = 0));
    // Segments never made are not made now; the drop still goes to their hosts, so that any late request is a no-op there.
    this.#uncreated = undefined;
    this.#dropped = true;
    this.#ids.forEach((segment, i) => this.#track(this.#hosts[i]!.call({ type: 'drop', segment })));
  }

  /** Sends every recorded change to its segment. */
  flush(): void {
    this.#flushScheduled = false;
    this.#outbox.forEach((ops, i) => {
      for (const op of ops) this.#send(i, op);
      ops.length = 0;
    });
  }

  #send(i: number, op: Op): void {
    const segment = this.#ids[i]!;
    const labels = Int32Array.from(op.labels);
    let request: SegmentRequest;
    let transfer: ArrayBuffer[] = [];
    if (op.type === 'write') {
      const { dimension } = this.spec;
      const vectors = new Float32Array(labels.length * dimension);
      op.vectors.forEach((vector, j) => vectors.set(vector, j * dimension));
      request = { type: 'write', segment, labels, vectors };
      transfer = [vectors.buffer as ArrayBuffer];
    } else {
      request = { type: 'remove', segment, labels };
    }
    this.#track(this.#hosts[i]!.call(request, transfer).then(() => {
      if (op.type === 'remove') this.#unappliedRemoves -= op.labels.length;
      else {
        for (const label of op.labels) if (this.#pending.get(label) === op) this.#pending.delete(label);
        this.#pendingList = undefined;
      }
    }));
  }

  #track(call: Promise<unknown>): void {
    this.#inFlight++;
    call.catch((error: Error) => {
      this.#failure ??= error;
      this.#onError(error);
    }).finally(() => {
      this.#inFlight--;
      this.#wake();
    });
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (w.ready()) w.resolve();
      else this.#waiters.push(w);
    }
  }

  #enqueue(label: number, type: Op['type']): Op {
    this.#ensureCreated();
    const ops = this.#outbox[label % this.#ids.length]!;
    const last = ops[ops.length - 1];
    if (last && last.type === type && last.labels.length < WRITE_CHUNK) return last;
    const op: Op = type === 'write' ? { type, labels: [], vectors: [] } : { type, labels: [] };
    ops.push(op);
    return op;
  }

  #afterChange(): void {
    if (this.#inline) this.flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        if (this.#flushScheduled) this.flush();
      });
    }
  }

}

/** `view` itself when it spans its whole buffer, else a copy that does: what a message to a worker copies. */
function ownBuffer<T extends Float32Array | Uint32Array>(view: T): T {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : (view.slice() as T);
}

/** Each segment's hits, already best first, merged: the best `limit`, ties by label. */
function merge(replies: readonly GraphHits[], limit: number, stale: boolean): SegmentHits {
  if (replies.length === 1) return marked(replies[0]!, stale);
  let searchNs: number | undefined;
  for (const reply of replies) if (reply.searchNs !== undefined) searchNs = Math.max(searchNs ?? 0, reply.searchNs);
  const order: { label: number; score: number }[] = [];
  for (const reply of replies) {
    for (let i = 0; i < reply.labels.length; i++) order.push({ label: reply.labels[i]!, score: reply.scores[i]! });
  }
  order.sort((a, b) => b.score - a.score || a.label - b.label);
  const n = Math.min(limit, order.length);
  const merged: SegmentHits = { labels: new Array<number>(n), scores: new Array<number>(n) };
  for (let i = 0; i < n; i++) {
    merged.labels[i] = order[i]!.label;
    merged.scores[i] = order[i]!.score;
  }
  if (searchNs !== undefined) merged.searchNs = searchNs;
  return marked(merged, stale);
}

function marked(hits: SegmentHits, stale: boolean): SegmentHits {
  if (stale) hits.stale = true;
  return hits;
}
