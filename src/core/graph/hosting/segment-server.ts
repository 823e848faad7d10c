/**
 * The HNSW segments one thread hosts, and the messages that drive them.
 *
 * A collection's graph is split into segments (label % segments); each
 * segment is an `HnswIndex` hosted either on a worker thread
 * (`segment-worker.ts`, the default) or in the calling thread (`workers: 0`).
 * Both hosts run this class, so the two modes share every line of graph
 * handling and differ only in where it runs:
 *
 * - Searches are answered at once, between slices of other work.
 * - Everything else (create, load, write, remove, save, drop) is applied in
 *   arrival order. On a worker, writes are applied in slices of `sliceMs`, so
 *   a large batch never holds a search back for longer than one slice; in the
 *   calling thread they are applied at once (`sliceMs: Infinity`).
 * - Searches come first: while searches arrive (one in the last
 *   SEARCHING_MS), slices are half as long, so a search waits less for the
 *   one running, and each is followed by a pause at least as long, so
 *   background inserts take at most half of this thread's core and the
 *   threads answering searches are not kept waiting for a CPU. An idle
 *   server builds at full speed.
 * - `save` runs after every change sent before it and before any change
 *   sent after it, so a saved graph is exactly the state the sender asked for.
 *   The file is written on libuv's thread pool, so searches go on meanwhile;
 *   changes wait only until the graph is written, not for the checksum,
 *   fsync and rename that follow.
 */
import { open, rename } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { hasLabel } from '../../bitset.js';
import { HnswIndex, type GraphHits, type HnswParams } from '../hnsw-index.js';
import type { Metric } from '../../options.js';

export interface SegmentSpec {
  dimension: number;
  metric: Metric;
  params: HnswParams;
}

export type SegmentRequest =
  | { type: 'create'; segment: number; spec: SegmentSpec; capacity: number }
  | { type: 'load'; segment: number; spec: SegmentSpec; file: string; states: Uint8Array }
  | { type: 'write'; segment: number; labels: Int32Array; vectors: Float32Array }
  | { type: 'remove'; segment: number; labels: Int32Array }
  | { type: 'search'; segment: number; query: Float32Array; k: number; ef: number; allow?: Uint32Array }
  | { type: 'save'; segment: number; file: string }
  /** Lays the segment out afresh in memory through `file` (see HnswIndex.relayout). */
  | { type: 'relayout'; segment: number; file: string }
  | { type: 'drop'; segment: number };

/** What a `save` reports: the file's size and checksum, computed where it was written. */
export interface SavedSegment {
  bytes: number;
  crc32: number;
}

/** What a `relayout` reports: the size of the file the segment went through. */
export interface RelaidSegment {
  bytes: number;
}

export type SegmentReply = GraphHits | SavedSegment | RelaidSegment | null;

interface Queued {
  request: Exclude<SegmentRequest, { type: 'search' | 'load' | 'create' | 'drop' }>;
  /** How far into a `write` batch the slices have got. */
  done: number;
  started: boolean;
  enqueuedAt: number;
  resolve: (reply: SegmentReply) => void;
  reject: (error: Error) => void;
}

export interface SegmentServerStats {
  /** Changes waiting to be applied, in requests. */
  queued: number;
  /** Milliseconds changes spent queued before they were started, in total. */
  waitedMs: number;
}

/** Bytes checksummed per step of a background save. */
const CRC_CHUNK = 4 * 1024 * 1024;

/**
 * Checksums the graph file hnswlib wrote to `temp` a chunk at a time,
 * fsyncs it and renames it to `file`. It reads only the file, so the
 * segment takes changes meanwhile.
 */
async function sealSegmentFile(temp: string, file: string): Promise<SavedSegment> {
  const handle = await open(temp, 'r');
  let checksum = 0;
  let bytes = 0;
  try {
    const buffer = Buffer.allocUnsafe(CRC_CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CRC_CHUNK, bytes);
      if (bytesRead === 0) break;
      checksum = crc32(buffer.subarray(0, bytesRead), checksum);
      bytes += bytesRead;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  return { bytes, crc32: checksum };
}

/**
 * hnswlib's filter callback for the labels set in `allow`. Made here, not
 * inline in searchSegment: a closure there would put `allow` in a context
 * that every search allocates, filtered or not.
 */
function bitsetFilter(allow: Uint32Array): (label: number) => boolean {
  return (label) => hasLabel(allow, label);
}

/** Writes run at half speed for this long after a search arrives. */
const SEARCHING_MS = 200;
/** While searches arrive, each slice of writes is followed by a pause this many times as long. */
const PAUSE_PER_SLICE = 1;

export class SegmentServer {
  readonly #segments = new Map<number, HnswIndex>();
  readonly #queue: Queued[] = [];
  readonly #sliceMs: number;
  readonly #yield: (resume: () => void) => void;
  #draining = false;
  #waitedMs = 0;
  /** Segments dropped here: late requests for them are no-ops, not errors. */
  readonly #dropped = new Set<number>();
  #lastSearch = Number.NEGATIVE_INFINITY;

  /**
   * `sliceMs`: how long writes may run before searches get a turn
   * (Infinity in the calling thread); `yieldTo` lets queued messages in.
   */
  constructor(sliceMs: number, yieldTo: (resume: () => void) => void = setImmediate) {
    this.#sliceMs = sliceMs;
    this.#yield = yieldTo;
  }

  /** True when no change is queued or running: nothing here needs the event loop. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#draining;
  }

  get stats(): SegmentServerStats {
    return { queued: this.#queue.length, waitedMs: this.#waitedMs };
  }

  handle(request: SegmentRequest): Promise<SegmentReply> {
    if (request.type === 'search') {
      try {
        return Promise.resolve(this.search(request));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    if (request.type === 'load') return this.load(request);
    if (request.type === 'create') {
      // At once, not behind other segments' queued writes: searches may reach the new segment before its first write.
      const { segment, spec, capacity } = request;
      this.#segments.set(segment, new HnswIndex(spec.dimension, spec.metric, spec.params, capacity));
      return Promise.resolve(null);
    }
    if (request.type === 'drop') {
      this.#drop(request.segment);
      return Promise.resolve(null);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, done: 0, started: false, enqueuedAt: performance.now(), resolve, reject });
      if (!this.#draining) this.#drain();
    });
  }

  /** Answers a search at once; writes yield to searches for a while after it (SEARCHING_MS). */
  search(request: Extract<SegmentRequest, { type: 'search' }>): GraphHits {
    const started = performance.now();
    this.#lastSearch = started;
    const hits = this.searchSegment(request.segment, request.query, request.k, request.ef, request.allow);
    hits.searchNs = (performance.now() - started) * 1e6;
    return hits;
  }

  /** `search` without the request object: the calling-thread host's searches make none. */
  searchSegment(id: number, query: Float32Array, k: number, ef: number, allow: Uint32Array | undefined): GraphHits {
    const segment = this.#live(id);
    if (!segment) return { labels: [], scores: [] };
    return segment.search(query, k, ef, allow && bitsetFilter(allow));
  }

  /**
   * Drops a segment's queued writes and removes at once (a dropped or closed
   * collection's bulk load is not worth finishing); a write already running
   * stops as a no-op. Queued saves still run (a snapshot may be writing it):
   * the segment is freed after the last of them.
   */
  #drop(id: number): void {
    this.#dropped.add(id);
    const running = this.#draining ? this.#queue[0] : undefined;
    const kept = this.#queue.filter((item) => item === running || item.request.segment !== id || item.request.type === 'save');
    for (const item of this.#queue) if (!kept.includes(item)) item.resolve(null);
    this.#queue.splice(0, this.#queue.length, ...kept);
    this.#freeIfDropped(id);
  }

  #freeIfDropped(id: number): void {
    // A save or relayout still reads the graph on libuv's thread pool: it is freed when that one ends.
    const reading = this.#queue.some((item) => item.request.segment === id && (item.request.type === 'save' || item.request.type === 'relayout'));
    if (!this.#dropped.has(id) || reading) return;
    this.#segments.get(id)?.free();
    this.#segments.delete(id);
  }

  /** Applies queued changes in order, yielding to searches every `sliceMs`. */
  #drain(): void {
    this.#draining = true;
    const sliceStart = performance.now();
    const searching = sliceStart - this.#lastSearch < SEARCHING_MS;
    const sliceMs = searching ? this.#sliceMs / 2 : this.#sliceMs;
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (!head.started) {
        head.started = true;
        this.#waitedMs += performance.now() - head.enqueuedAt;
      }
      if (head.request.type === 'save' || head.request.type === 'relayout') {
        this.#holdQueueFor(head as Queued & { request: { type: 'save' | 'relayout' } });
        return;
      }
      let finished: boolean;
      let reply: SegmentReply = null;
      try {
        ({ finished, reply } = this.#step(head, sliceStart + sliceMs));
      } catch (error) {
        this.#queue.shift();
        head.reject(error as Error);
        continue;
      }
      if (finished) {
        this.#queue.shift();
        head.resolve(reply);
      }
      const now = performance.now();
      if (now - sliceStart >= sliceMs) {
        if (now - this.#lastSearch < SEARCHING_MS) setTimeout(() => this.#drain(), Math.ceil(PAUSE_PER_SLICE * (now - sliceStart)));
        else this.#yield(() => this.#drain());
        return;
      }
    }
    this.#draining = false;
  }

  /**
   * A save or a relayout. hnswlib writes the graph on libuv's thread pool,
   * reading it as it goes (a relayout then reads the file back into a new
   * copy): the queue (changes only) waits for that, searches do not. A save's
   * checksum, fsync and rename read only the file: changes go on meanwhile,
   * and the reply comes when the file is in place.
   */
  #holdQueueFor(head: Queued & { request: { type: 'save' | 'relayout' } }): void {
    const { segment, file } = head.request;
    const temp = `${file}.tmp`;
    const release = () => {
      this.#queue.shift();
      this.#freeIfDropped(segment);
      this.#drain();
    };
    // Resolves when the queue may go on, to what finishes the request after that.
    const held: Promise<() => SegmentReply | Promise<SegmentReply>> = head.request.type === 'save'
      ? Promise.resolve().then(() => this.#segment(segment).save(temp)).then(() => () => sealSegmentFile(temp, file))
      : Promise.resolve().then(() => this.#live(segment)?.relayout(file)).then((relaid) => () => relaid ?? { bytes: 0 });
    held.then(
      (finish) => {
        release();
        return finish();
      },
      (error: Error) => {
        release();
        throw error;
      },
    ).then((reply) => head.resolve(reply), (error: Error) => head.reject(error));
  }

  /** Runs (part of) one queued write or remove (saves and relayouts: #holdQueueFor); a write stops early when its slice is used up. */
  #step(item: Queued, sliceEnd: number): { finished: boolean; reply: SegmentReply } {
    const request = item.request as Extract<SegmentRequest, { type: 'write' | 'remove' }>;
    switch (request.type) {
      case 'write': {
        const segment = this.#live(request.segment);
        if (!segment) return { finished: true, reply: null };
        const { labels, vectors } = request;
        const dimension = segment.dimension;
        while (item.done < labels.length) {
          const i = item.done++;
          segment.add(labels[i]!, vectors.subarray(i * dimension, (i + 1) * dimension));
          // One insert into a large graph takes a few hundred microseconds: check the clock after each.
          if (performance.now() >= sliceEnd) return { finished: item.done === labels.length, reply: null };
        }
        return { finished: true, reply: null };
      }
      case 'remove': {
        const segment = this.#live(request.segment);
        if (!segment) return { finished: true, reply: null };
        for (const label of request.labels) segment.remove(label);
        return { finished: true, reply: null };
      }
    }
  }

  /**
   * Loads a saved segment on libuv's thread pool. Not queued: the caller
   * loads segments before it sends them anything else.
   */
  async load(request: Extract<SegmentRequest, { type: 'load' }>): Promise<null> {
    const { spec } = request;
    const index = await HnswIndex.read(request.file, spec.dimension, spec.metric);
    this.#segments.set(request.segment, new HnswIndex(spec.dimension, spec.metric, spec.params, 0, { index, states: request.states }));
    return null;
  }

  #segment(id: number): HnswIndex {
    const segment = this.#segments.get(id);
    if (!segment) throw new Error(`no segment ${id} on this thread`);
    return segment;
  }

  /** The segment, or undefined when it was dropped here; any other missing segment is an error. */
  #live(id: number): HnswIndex | undefined {
    return this.#dropped.has(id) ? undefined : this.#segment(id);
  }
}
