/**
 * A search lane: one graph search at a time between the calling thread and
 * a segment worker, through shared memory instead of messages.
 *
 * A message to a worker costs a structured clone each way and, worse on a
 * virtual machine, two thread wake-ups through the event loops (tens of
 * microseconds each, as long as half a search: see docs/DESIGN.md, "Round
 * trips to the workers"). While a worker lingers after a search it watches
 * its lane: the caller writes a query there and flips the lane's state, the
 * worker picks it up within a microsecond, writes the hits back and bumps
 * the reply number, on which the caller waits with `Atomics.wait`.
 *
 * The lane is only ever a shortcut: a caller uses it when the worker is
 * lingering (the state flip fails otherwise) and nothing else is on the way
 * to that worker, and sends a message as before when not.
 *
 * Layout (one SharedArrayBuffer): a header of Int32 fields, then a data
 * area of 32-bit words holding the request (query, then the allowed-label
 * bitset), overwritten by the reply (labels, then scores, or an error's
 * UTF-8 bytes).
 */
import type { GraphHits } from '../hnsw-index.js';

/** Bytes of one lane: queries up to MAX dimensions and allow bitsets of several million labels fit. */
export const LANE_BYTES = 1 << 20;

/** Header fields (Int32 indexes). */
const STATE = 0;
const REPLY = 1;
const SEGMENT = 2;
const K = 3;
const EF = 4;
const QUERY_WORDS = 5;
/** Words of the allow bitset; -1 when the search is not filtered. */
const ALLOW_WORDS = 6;
/** Hits in the reply; -1 when it holds an error message. */
const HITS = 7;
const ERROR_BYTES = 8;
/** Byte offset of the reply's searchNs (a Float64 after the Int32 fields). */
const SEARCH_NS_AT = 48;
const HEADER_BYTES = 64;
const DATA_WORDS = (LANE_BYTES - HEADER_BYTES) / 4;

/** The worker is in its event loop: the lane is not watched. */
const ASLEEP = 0;
/** The worker lingers and watches the lane. */
const WATCHING = 1;
/** A request is in the lane and the worker has not taken it yet. */
const REQUESTED = 2;
/** The worker is answering the request. */
const ANSWERING = 3;

export interface LaneSearch {
  segment: number;
  query: Float32Array;
  k: number;
  ef: number;
  allow?: Uint32Array;
}

/** What a lane carries, as the caller posts it and the worker reads it. */
function fits(search: LaneSearch): boolean {
  const request = search.query.length + (search.allow?.length ?? 0);
  return request <= DATA_WORDS && 2 * search.k <= DATA_WORDS;
}

/** `Atomics.waitAsync` (Node 16 and later; ES2024, newer than this project's TypeScript library). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** The caller's end of a lane. */
export class SearchLane {
  readonly buffer: SharedArrayBuffer;
  readonly #header: Int32Array;
  readonly #words: Int32Array;
  readonly #floats: Float32Array;
  readonly #searchNs: Float64Array;
  #posted = false;
  #replyBefore = 0;

  constructor(buffer = new SharedArrayBuffer(LANE_BYTES)) {
    this.buffer = buffer;
    this.#header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#words = new Int32Array(buffer, HEADER_BYTES, DATA_WORDS);
    this.#floats = new Float32Array(buffer, HEADER_BYTES, DATA_WORDS);
    this.#searchNs = new Float64Array(buffer, SEARCH_NS_AT, 1);
  }

  /** True while a posted search has not been read back (`reply`). */
  get busy(): boolean {
    return this.#posted;
  }

  /**
   * Puts `search` in the lane if the worker watches it; false (and nothing
   * posted) when it does not or the search does not fit.
   */
  post(search: LaneSearch): boolean {
    if (this.#posted || !fits(search) || Atomics.load(this.#header, STATE) !== WATCHING) return false;
    const header = this.#header;
    header[SEGMENT] = search.segment;
    header[K] = search.k;
    header[EF] = search.ef;
    header[QUERY_WORDS] = search.query.length;
    this.#floats.set(search.query, 0);
    if (search.allow) {
      header[ALLOW_WORDS] = search.allow.length;
      new Uint32Array(this.#words.buffer, this.#words.byteOffset + search.query.length * 4, search.allow.length).set(search.allow);
    } else {
      header[ALLOW_WORDS] = -1;
    }
    this.#replyBefore = Atomics.load(header, REPLY);
    // Publishes the fields written above (Atomics are sequentially consistent). Fails if the worker stopped watching.
    if (Atomics.compareExchange(header, STATE, WATCHING, REQUESTED) !== WATCHING) return false;
    this.#posted = true;
    return true;
  }

  /** True once the worker has answered the posted search. */
  get answered(): boolean {
    return Atomics.load(this.#header, REPLY) !== this.#replyBefore;
  }

  /**
   * Blocks the calling thread until the answer is in or `untilMs`
   * (performance.now()) passes, spinning first for up to `spinMs` when a
   * core is free for it. Returns whether the answer is in.
   */
  waitUntil(untilMs: number, spinMs: number): boolean {
    const spinUntil = Math.min(untilMs, performance.now() + spinMs);
    while (performance.now() < spinUntil) if (this.answered) return true;
    for (;;) {
      if (this.answered) return true;
      const left = untilMs - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.#header, REPLY, this.#replyBefore, left);
    }
  }

  /** Resolves once the answer is in, without blocking the calling thread. */
  async waitAsync(): Promise<void> {
    while (!this.answered) {
      const waited = waitAsync(this.#header, REPLY, this.#replyBefore);
      if (waited.async) await waited.value;
    }
  }

  /** The posted search's hits (or throws its error); the lane is free again. */
  reply(): GraphHits {
    this.#posted = false;
    const n = this.#header[HITS]!;
    if (n < 0) {
      const bytes = new Uint8Array(this.#words.buffer, this.#words.byteOffset, this.#header[ERROR_BYTES]!);
      throw new Error(new TextDecoder().decode(bytes.slice()));
    }
    const labels = new Array<number>(n);
    const scores = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      labels[i] = this.#words[i]!;
      scores[i] = this.#floats[n + i]!;
    }
    return { labels, scores, searchNs: this.#searchNs[0]! };
  }
}

/** The worker's end of a lane. */
export class LaneWatch {
  readonly #header: Int32Array;
  readonly #words: Int32Array;
  readonly #floats: Float32Array;
  readonly #searchNs: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#words = new Int32Array(buffer, HEADER_BYTES, DATA_WORDS);
    this.#floats = new Float32Array(buffer, HEADER_BYTES, DATA_WORDS);
    this.#searchNs = new Float64Array(buffer, SEARCH_NS_AT, 1);
  }

  /** Starts watching: callers may post from now on. */
  watch(): void {
    Atomics.store(this.#header, STATE, WATCHING);
  }

  /** True when a search waits in the lane. */
  get requested(): boolean {
    return Atomics.load(this.#header, STATE) === REQUESTED;
  }

  /**
   * Stops watching. Returns false, still watching, when a search was posted
   * first: the caller must answer it before it tries again.
   */
  unwatch(): boolean {
    return Atomics.compareExchange(this.#header, STATE, WATCHING, ASLEEP) === WATCHING;
  }

  /** Answers the search in the lane with `search`, then watches again. */
  answer(search: (request: LaneSearch) => GraphHits): void {
    const header = this.#header;
    Atomics.store(header, STATE, ANSWERING);
    const queryWords = header[QUERY_WORDS]!;
    const allowWords = header[ALLOW_WORDS]!;
    const request: LaneSearch = {
      segment: header[SEGMENT]!,
      k: header[K]!,
      ef: header[EF]!,
      query: new Float32Array(this.#floats.buffer, this.#floats.byteOffset, queryWords),
      allow: allowWords < 0 ? undefined : new Uint32Array(this.#words.buffer, this.#words.byteOffset + queryWords * 4, allowWords),
    };
    try {
      const { labels, scores, searchNs } = search(request);
      this.#searchNs[0] = searchNs ?? 0;
      const n = labels.length;
      for (let i = 0; i < n; i++) {
        this.#words[i] = labels[i]!;
        this.#floats[n + i] = scores[i]!;
      }
      header[HITS] = n;
    } catch (error) {
      const bytes = new TextEncoder().encode((error as Error).message).subarray(0, DATA_WORDS * 4);
      new Uint8Array(this.#words.buffer, this.#words.byteOffset, bytes.length).set(bytes);
      header[ERROR_BYTES] = bytes.length;
      header[HITS] = -1;
    }
    // Watching again before the reply number moves: the caller may post its next search as soon as it sees it.
    Atomics.store(header, STATE, WATCHING);
    Atomics.add(header, REPLY, 1);
    Atomics.notify(header, REPLY);
  }
}
