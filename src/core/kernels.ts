/**
 * The only user of WebAssembly in Quiver. Loads build/kernels.wasm once, owns
 * its linear memory and re-creates the typed-array views after any call that
 * can grow it (every `memory.grow` detaches the old ArrayBuffer).
 *
 * Memory regions, all allocated with the module's own allocator:
 * | owner        | contents                                     |
 * |--------------|----------------------------------------------|
 * | VectorArena  | f32 rows (capacity x dim), live-row bitset   |
 * | Int8Codes    | i8 rows (capacity x paddedDim), f32 norms,   |
 * |              | per-dimension center / step / 1 / step       |
 * | Scratch      | query, candidate bitset or labels, top-k out |
 */
import { readFileSync } from 'node:fs';
import { popcount } from './bitset.js';
import { createError } from './errors.js';

const WASM_URL = new URL('../../build/kernels.wasm', import.meta.url);

/** Kernel metric codes; cosine is dot over normalised vectors. */
export const KERNEL_DOT = 0;
export const KERNEL_L2 = 1;
export type KernelMetric = typeof KERNEL_DOT | typeof KERNEL_L2;

// @types/node 20 does not declare the WebAssembly global (it lives in the DOM
// lib), so the few parts used here are typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmRuntime {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmRuntime };

interface KernelExports {
  memory: WasmMemory;
  alloc(size: number): number;
  realloc(ptr: number, size: number): number;
  free(ptr: number): void;
  dot(a: number, b: number, dim: number): number;
  dotScalar(a: number, b: number, dim: number): number;
  l2sq(a: number, b: number, dim: number): number;
  l2sqScalar(a: number, b: number, dim: number): number;
  cosine(a: number, b: number, dim: number): number;
  cosineScalar(a: number, b: number, dim: number): number;
  dotI8(row: number, query16: number, paddedDim: number): number;
  dotI8Scalar(row: number, query16: number, dim: number): number;
  normalize(ptr: number, dim: number): number;
  scoreBatch(metric: number, query: number, base: number, count: number, dim: number, out: number): void;
  scoreBatchScalar(metric: number, query: number, base: number, count: number, dim: number, out: number): void;
  scoreBatchI8(query16: number, rows: number, count: number, paddedDim: number, out: number): void;
  topkScan(
    metric: number, query: number, base: number, count: number, dim: number,
    bitset: number, k: number, outLabels: number, outScores: number,
  ): number;
  topkLabels(
    metric: number, query: number, base: number, dim: number,
    labels: number, n: number, k: number, outLabels: number, outScores: number,
  ): number;
  /** `outLabels` and `outScores` need room for 2k entries (a selection buffer); `outCapacity` is how many they have. */
  topkScanI8(
    metric: number, query16: number, rows: number, count: number, paddedDim: number,
    scale: number, offset: number, norms: number,
    bitset: number, k: number, outLabels: number, outScores: number, outCapacity: number,
  ): number;
  selectTopK(scores: number, n: number, k: number, outLabels: number, outScores: number): number;
  quantizeRows(
    src: number, count: number, dim: number, paddedDim: number,
    center: number, inverseStep: number, dst: number,
  ): void;
  quantizeQuery(query: number, dim: number, paddedDim: number, step: number, dst16: number): number;
}

/** Best-first results of a top-k call; `labels[i]` scored `scores[i]`. */
export interface TopK {
  labels: Int32Array;
  scores: Float32Array;
}

let loaded: Kernels | undefined;

/** The process-wide kernel module, instantiated on first use. */
export function kernels(): Kernels {
  loaded ??= new Kernels(readFileSync(WASM_URL));
  return loaded;
}

export class Kernels {
  readonly #exports: KernelExports;
  #buffer: ArrayBuffer;
  #f32!: Float32Array;
  #i32!: Int32Array;
  #u32!: Uint32Array;
  #i16!: Int16Array;
  #i8!: Int8Array;
  #u8!: Uint8Array;
  #scratch = 0;
  #scratchBytes = 0;

  constructor(bytes: Uint8Array) {
    const module = new wasm.Module(bytes);
    const instance = new wasm.Instance(module, {
      env: {
        abort: (message: number, file: number, line: number, column: number) => {
          throw createError('KERNEL_ABORT', `${this.#readString(message)} at ${this.#readString(file)}:${line}:${column}`);
        },
      },
    });
    this.#exports = instance.exports as unknown as KernelExports;
    this.#buffer = this.#exports.memory.buffer;
    this.#makeViews();
  }

  /** The raw exports, for tests and benchmarks that compare kernels one by one. */
  get raw(): Readonly<KernelExports> {
    return this.#exports;
  }

  get f32(): Float32Array {
    this.#refresh();
    return this.#f32;
  }

  get i32(): Int32Array {
    this.#refresh();
    return this.#i32;
  }

  get u32(): Uint32Array {
    this.#refresh();
    return this.#u32;
  }

  get i16(): Int16Array {
    this.#refresh();
    return this.#i16;
  }

  get i8(): Int8Array {
    this.#refresh();
    return this.#i8;
  }

  get u8(): Uint8Array {
    this.#refresh();
    return this.#u8;
  }

  /** Bytes of linear memory in use by the module (grows, never shrinks). */
  get memoryBytes(): number {
    return this.#exports.memory.buffer.byteLength;
  }

  alloc(bytes: number): number {
    const ptr = this.#exports.alloc(Math.max(bytes, 16));
    this.#refresh();
    return ptr;
  }

  realloc(ptr: number, bytes: number): number {
    const moved = this.#exports.realloc(ptr, Math.max(bytes, 16));
    this.#refresh();
    return moved;
  }

  free(ptr: number): void {
    this.#exports.free(ptr);
  }

  /**
   * A scratch block of at least `bytes`, valid until the next scratch call.
   * Calls are synchronous and JavaScript is single-threaded, so one block
   * serves every search.
   */
  scratch(bytes: number): number {
    if (bytes > this.#scratchBytes) {
      if (this.#scratch !== 0) this.free(this.#scratch);
      this.#scratchBytes = Math.max(bytes, this.#scratchBytes * 2, 64 * 1024);
      this.#scratch = this.alloc(this.#scratchBytes);
    }
    return this.#scratch;
  }

  /** Copies `values` to `ptr` as f32. */
  writeF32(ptr: number, values: ArrayLike<number>): void {
    this.f32.set(values, ptr >>> 2);
  }

  /** Reads best-first top-k output into fresh arrays. */
  readTopK(labelsPtr: number, scoresPtr: number, count: number): TopK {
    return {
      labels: this.i32.slice(labelsPtr >>> 2, (labelsPtr >>> 2) + count),
      scores: this.f32.slice(scoresPtr >>> 2, (scoresPtr >>> 2) + count),
    };
  }

  #refresh(): void {
    const buffer = this.#exports.memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#makeViews();
    }
  }

  #makeViews(): void {
    const buffer = this.#buffer;
    this.#f32 = new Float32Array(buffer);
    this.#i32 = new Int32Array(buffer);
    this.#u32 = new Uint32Array(buffer);
    this.#i16 = new Int16Array(buffer);
    this.#i8 = new Int8Array(buffer);
    this.#u8 = new Uint8Array(buffer);
  }

  #readString(ptr: number): string {
    if (ptr === 0) return '';
    // AssemblyScript strings are UTF-16 with their byte length 4 bytes before the data.
    const length = this.u32[(ptr - 4) >>> 2]! >>> 1;
    return String.fromCharCode(...this.#makeUtf16(ptr, length));
  }

  #makeUtf16(ptr: number, length: number): Uint16Array {
    return new Uint16Array(this.#exports.memory.buffer, ptr, length);
  }
}

const BYTES_F32 = 4;
const GROWTH = 1.5;
/** Once this share of an arena is used, the memory its next growth needs is prepared in the background. */
const PREPARE_AT = 0.5;
/** Growths smaller than this take well under a millisecond: not worth preparing. */
const PREPARE_MIN_BYTES = 8 * 1024 * 1024;
/**
 * Bytes of new memory touched per turn of the event loop while preparing:
 * 0.5 ms here (4 MB took 2 ms, longer than a search's p99 during a bulk ingest).
 */
const PREPARE_CHUNK = 1024 * 1024;

function bitsetWords(capacity: number): number {
  return Math.ceil(capacity / 32);
}

/**
 * A growable block of `dim`-float rows in linear memory, indexed by label,
 * with a bitset of the rows that hold a live vector.
 */
export class VectorArena {
  readonly dim: number;
  readonly #k: Kernels;
  #rows: number;
  #live: number;
  #capacity: number;
  #highWater = 0;
  #liveCount = 0;
  /** The capacity whose growth was last prepared (see #prepareGrowth). */
  #preparedFor = 0;

  constructor(k: Kernels, dim: number, initialCapacity: number) {
    this.#k = k;
    this.dim = dim;
    this.#capacity = Math.max(1, initialCapacity);
    this.#rows = k.alloc(this.#capacity * dim * BYTES_F32);
    this.#live = k.alloc(bitsetWords(this.#capacity) * 4);
    k.u32.fill(0, this.#live >>> 2, (this.#live >>> 2) + bitsetWords(this.#capacity));
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** One past the highest label ever written: the rows a full scan covers. */
  get highWater(): number {
    return this.#highWater;
  }

  get liveCount(): number {
    return this.#liveCount;
  }

  /** Pointer to row 0; valid until the next call that can allocate. */
  get rowsPointer(): number {
    return this.#rows;
  }

  /** Pointer to the live bitset, or 0 when every row below highWater is live (no scan check needed). */
  get liveBitsetPointer(): number {
    return this.#liveCount === this.#highWater ? 0 : this.#live;
  }

  ensureCapacity(rows: number): void {
    if (rows <= this.#capacity) return;
    const capacity = Math.max(rows, Math.ceil(this.#capacity * GROWTH));
    const oldWords = bitsetWords(this.#capacity);
    this.#rows = this.#k.realloc(this.#rows, capacity * this.dim * BYTES_F32);
    this.#live = this.#k.realloc(this.#live, bitsetWords(capacity) * 4);
    this.#k.u32.fill(0, (this.#live >>> 2) + oldWords, (this.#live >>> 2) + bitsetWords(capacity));
    this.#capacity = capacity;
  }

  isLive(label: number): boolean {
    return label < this.#highWater && (this.#k.u32[(this.#live >>> 2) + (label >>> 5)]! & (1 << (label & 31))) !== 0;
  }

  /**
   * Writes a vector at `label`; with `normalize` scales it to unit length
   * first and returns the original norm (else 0).
   */
  write(label: number, vector: ArrayLike<number>, normalize: boolean): number {
    this.ensureCapacity(label + 1);
    if (label >= this.#capacity * PREPARE_AT && this.#preparedFor !== this.#capacity) this.#prepareGrowth();
    const ptr = this.#rowPointer(label);
    this.#k.writeF32(ptr, vector);
    const norm = normalize ? this.#k.raw.normalize(ptr, this.dim) : 0;
    if (!this.isLive(label)) {
      this.#setLive(label, true);
      this.#liveCount++;
    }
    if (label >= this.#highWater) this.#highWater = label + 1;
    return norm;
  }

  /** Marks a row dead; its memory is reused when the label is. */
  remove(label: number): void {
    if (!this.isLive(label)) return;
    this.#setLive(label, false);
    this.#liveCount--;
  }

  /** A copy of the stored row (normalised for cosine collections). */
  read(label: number): Float32Array {
    const start = this.#rowPointer(label) >>> 2;
    return this.#k.f32.slice(start, start + this.dim);
  }

  /**
   * Exact top k over every live row, or only rows set in `candidates` (a
   * bitset over labels, already restricted to live rows by the caller).
   */
  topK(metric: KernelMetric, query: ArrayLike<number>, k: number, candidates?: Uint32Array): TopK {
    const limit = Math.min(k, this.#liveCount);
    const { kernels: k_, queryPtr, bitsetPtr, labelsPtr, scoresPtr } = this.#prepare(query, limit, candidates);
    const found = k_.raw.topkScan(
      metric, queryPtr, this.#rows, this.#highWater, this.dim,
      bitsetPtr, limit, labelsPtr, scoresPtr,
    );
    return k_.readTopK(labelsPtr, scoresPtr, found);
  }

  /** Exact top k among the listed labels (each must be live). */
  topKOfLabels(metric: KernelMetric, query: ArrayLike<number>, labels: Int32Array, k: number): TopK {
    const limit = Math.min(k, labels.length);
    const k_ = this.#k;
    const queryBytes = align16(this.dim * BYTES_F32);
    const listBytes = align16(labels.length * 4);
    const outBytes = align16(limit * 4);
    const base = k_.scratch(queryBytes + listBytes + 2 * outBytes);
    const labelsIn = base + queryBytes;
    const labelsOut = labelsIn + listBytes;
    const scoresOut = labelsOut + outBytes;
    k_.writeF32(base, query);
    k_.i32.set(labels, labelsIn >>> 2);
    const found = k_.raw.topkLabels(metric, base, this.#rows, this.dim, labelsIn, labels.length, limit, labelsOut, scoresOut);
    return k_.readTopK(labelsOut, scoresOut, found);
  }

  /**
   * Views of the rows and the live bitset in linear memory, for writing a
   * snapshot. Valid only until the next call that can allocate.
   */
  exportViews(): { rows: Uint8Array; live: Uint8Array; highWater: number } {
    const u8 = this.#k.u8;
    const rowBytes = this.#highWater * this.dim * BYTES_F32;
    const liveBytes = bitsetWords(this.#highWater) * 4;
    return {
      rows: u8.subarray(this.#rows, this.#rows + rowBytes),
      live: u8.subarray(this.#live, this.#live + liveBytes),
      highWater: this.#highWater,
    };
  }

  /**
   * Makes room for `highWater` rows and returns views to fill with a
   * snapshot's rows and live bitset (read straight from the file, no copy);
   * then call `finishImport`. The views are valid until the next allocation.
   */
  prepareImport(highWater: number): { rows: Uint8Array; live: Uint8Array } {
    this.ensureCapacity(highWater);
    const u8 = this.#k.u8;
    u8.fill(0, this.#live, this.#live + bitsetWords(this.#capacity) * 4);
    return {
      rows: u8.subarray(this.#rows, this.#rows + highWater * this.dim * BYTES_F32),
      live: u8.subarray(this.#live, this.#live + bitsetWords(highWater) * 4),
    };
  }

  finishImport(highWater: number): void {
    this.#highWater = highWater;
    const start = this.#live >>> 2;
    this.#liveCount = popcount(this.#k.u32.subarray(start, start + bitsetWords(highWater)));
  }

  /** Frees the arena's memory; the arena must not be used after. */
  dispose(): void {
    this.#k.free(this.#rows);
    this.#k.free(this.#live);
    this.#capacity = 0;
    this.#highWater = 0;
    this.#liveCount = 0;
  }

  /** Bytes of linear memory this arena holds. */
  get bytes(): number {
    return this.#capacity * this.dim * BYTES_F32 + bitsetWords(this.#capacity) * 4;
  }

  /**
   * A growth copies the rows into a larger block, and on fresh linear memory
   * that copy is mostly page faults: 20-40 ms on the event loop for an arena
   * of 100,000+ rows of dim 128. So, once the arena is half full, a block of
   * the next capacity is allocated and touched a chunk per turn of the event
   * loop, then freed: the growth later reuses that memory (the allocator
   * keeps it) with its pages already in place, and only the copy is left.
   */
  #prepareGrowth(): void {
    this.#preparedFor = this.#capacity;
    const needed = Math.ceil(this.#capacity * GROWTH) * this.dim * BYTES_F32;
    if (needed < PREPARE_MIN_BYTES) return;
    // TLSF looks for a free block one size class above a request (a sixteenth of its power of two),
    // so the prepared block is an eighth larger than the growth will ask for.
    const bytes = needed + (needed >>> 3);
    const k = this.#k;
    const block = k.alloc(bytes);
    let offset = 0;
    const touch = (): void => {
      const end = Math.min(bytes, offset + PREPARE_CHUNK);
      k.u8.fill(0, block + offset, block + end);
      offset = end;
      if (offset < bytes) setImmediate(touch);
      else k.free(block);
    };
    setImmediate(touch);
  }

  #rowPointer(label: number): number {
    return this.#rows + label * this.dim * BYTES_F32;
  }

  #setLive(label: number, live: boolean): void {
    const u32 = this.#k.u32;
    const word = (this.#live >>> 2) + (label >>> 5);
    if (live) u32[word]! |= 1 << (label & 31);
    else u32[word]! &= ~(1 << (label & 31));
  }

  #prepare(query: ArrayLike<number>, limit: number, candidates?: Uint32Array) {
    const k_ = this.#k;
    const queryBytes = align16(this.dim * BYTES_F32);
    const bitsetBytes = candidates ? align16(bitsetWords(this.#highWater) * 4) : 0;
    const outBytes = align16(Math.max(limit, 1) * 4);
    const base = k_.scratch(queryBytes + bitsetBytes + 2 * outBytes);
    const bitsetPtr = candidates ? base + queryBytes : this.liveBitsetPointer;
    const labelsPtr = base + queryBytes + bitsetBytes;
    const scoresPtr = labelsPtr + outBytes;
    k_.writeF32(base, query);
    if (candidates) copyBitset(k_, candidates, bitsetPtr, this.#highWater);
    return { kernels: k_, queryPtr: base, bitsetPtr, labelsPtr, scoresPtr };
  }
}

/**
 * int8 codes of a VectorArena's rows (see assembly/quantize.ts for the
 * mapping). Ranges are fitted to the data when the codes are (re)built; a
 * later vector outside them is clamped, and once more than 1% of rows were
 * written since the last fit the codes are re-fitted on the next search.
 */
export class Int8Codes {
  readonly dim: number;
  readonly paddedDim: number;
  readonly #k: Kernels;
  #rows = 0;
  #norms = 0;
  #center = 0;
  #step = 0;
  #inverseStep = 0;
  #capacity = 0;
  #fittedRows = 0;
  #writesSinceFit = 0;
  #centerF64: Float64Array;

  constructor(k: Kernels, dim: number) {
    this.#k = k;
    this.dim = dim;
    this.paddedDim = Math.ceil(dim / 16) * 16;
    this.#centerF64 = new Float64Array(dim);
    this.#center = k.alloc(dim * BYTES_F32);
    this.#step = k.alloc(dim * BYTES_F32);
    this.#inverseStep = k.alloc(dim * BYTES_F32);
  }

  /** True when the codes must be re-fitted before they are searched. */
  get stale(): boolean {
    return this.#fittedRows === 0 || this.#writesSinceFit > Math.max(16, this.#fittedRows / 100);
  }

  /** Fits per-dimension ranges to the arena's live rows and encodes them all. */
  fit(arena: VectorArena): void {
    const k_ = this.#k;
    const rows = arena.highWater;
    const dim = this.dim;
    const min = new Float64Array(dim).fill(Infinity);
    const max = new Float64Array(dim).fill(-Infinity);
    const f32 = k_.f32;
    const base = arena.rowsPointer >>> 2;
    for (let label = 0; label < rows; label++) {
      if (!arena.isLive(label)) continue;
      const row = base + label * dim;
      for (let d = 0; d < dim; d++) {
        const x = f32[row + d]!;
        if (x < min[d]!) min[d] = x;
        if (x > max[d]!) max[d] = x;
      }
    }
    const center = new Float32Array(dim);
    const step = new Float32Array(dim);
    const inverse = new Float32Array(dim);
    for (let d = 0; d < dim; d++) {
      const lo = Number.isFinite(min[d]!) ? min[d]! : 0;
      const hi = Number.isFinite(max[d]!) ? max[d]! : 0;
      const width = hi - lo;
      center[d] = (hi + lo) / 2;
      step[d] = width > 0 ? width / 254 : 1;
      inverse[d] = 1 / step[d]!;
    }
    this.#centerF64.set(center);
    k_.writeF32(this.#center, center);
    k_.writeF32(this.#step, step);
    k_.writeF32(this.#inverseStep, inverse);
    this.#ensureCapacity(arena.capacity);
    k_.raw.quantizeRows(arena.rowsPointer, rows, dim, this.paddedDim, this.#center, this.#inverseStep, this.#rows);
    this.#computeNorms(arena, 0, rows);
    this.#fittedRows = Math.max(1, arena.liveCount);
    this.#writesSinceFit = 0;
  }

  /** Re-encodes one row after the arena wrote it (clamped to the fitted ranges). */
  encode(arena: VectorArena, label: number): void {
    this.#writesSinceFit++;
    if (this.#fittedRows === 0) return;
    this.#ensureCapacity(arena.capacity);
    const k_ = this.#k;
    k_.raw.quantizeRows(
      arena.rowsPointer + label * this.dim * BYTES_F32, 1, this.dim, this.paddedDim,
      this.#center, this.#inverseStep, this.#rows + label * this.paddedDim,
    );
    this.#computeNorms(arena, label, label + 1);
  }

  /** Approximate top k by the int8 scan; scores are estimates to be re-ranked. */
  topK(arena: VectorArena, metric: KernelMetric, query: ArrayLike<number>, k: number, candidates?: Uint32Array): TopK {
    if (this.stale) this.fit(arena);
    const k_ = this.#k;
    const limit = Math.min(k, arena.liveCount);
    const queryBytes = align16(this.dim * BYTES_F32);
    const query16Bytes = align16(this.paddedDim * 2);
    const bitsetBytes = candidates ? align16(bitsetWords(arena.highWater) * 4) : 0;
    // The int8 scan selects through a buffer of 2 * limit slots.
    const outBytes = align16(Math.max(2 * limit, 1) * 4);
    const base = k_.scratch(queryBytes + query16Bytes + bitsetBytes + 2 * outBytes);
    const query16 = base + queryBytes;
    const bitsetPtr = candidates ? query16 + query16Bytes : arena.liveBitsetPointer;
    const labelsPtr = query16 + query16Bytes + bitsetBytes;
    const scoresPtr = labelsPtr + outBytes;
    k_.writeF32(base, query);
    if (candidates) copyBitset(k_, candidates, bitsetPtr, arena.highWater);
    const scale = k_.raw.quantizeQuery(base, this.dim, this.paddedDim, this.#step, query16);
    let offset = 0;
    const center = this.#centerF64;
    for (let d = 0; d < this.dim; d++) offset += query[d]! * center[d]!;
    const found = k_.raw.topkScanI8(
      metric, query16, this.#rows, arena.highWater, this.paddedDim,
      scale, offset, metric === KERNEL_L2 ? this.#norms : 0,
      bitsetPtr, limit, labelsPtr, scoresPtr, outBytes / 4,
    );
    return k_.readTopK(labelsPtr, scoresPtr, found);
  }

  dispose(): void {
    for (const ptr of [this.#rows, this.#norms, this.#center, this.#step, this.#inverseStep]) {
      if (ptr !== 0) this.#k.free(ptr);
    }
    this.#rows = 0;
    this.#norms = 0;
    this.#capacity = 0;
  }

  get bytes(): number {
    return this.#capacity * (this.paddedDim + BYTES_F32) + 3 * this.dim * BYTES_F32;
  }

  #ensureCapacity(capacity: number): void {
    if (capacity <= this.#capacity) return;
    const k_ = this.#k;
    this.#rows = this.#rows === 0 ? k_.alloc(capacity * this.paddedDim) : k_.realloc(this.#rows, capacity * this.paddedDim);
    this.#norms = this.#norms === 0 ? k_.alloc(capacity * BYTES_F32) : k_.realloc(this.#norms, capacity * BYTES_F32);
    this.#capacity = capacity;
  }

  #computeNorms(arena: VectorArena, from: number, to: number): void {
    const f32 = this.#k.f32;
    const dim = this.dim;
    const base = arena.rowsPointer >>> 2;
    const norms = this.#norms >>> 2;
    for (let label = from; label < to; label++) {
      let sum = 0;
      const row = base + label * dim;
      for (let d = 0; d < dim; d++) sum += f32[row + d]! * f32[row + d]!;
      f32[norms + label] = sum;
    }
  }
}

/** Copies a caller's bitset into linear memory, cut or zero-extended to cover `rows`. */
function copyBitset(k: Kernels, bitset: Uint32Array, ptr: number, rows: number): void {
  const words = bitsetWords(rows);
  const u32 = k.u32;
  const start = ptr >>> 2;
  u32.set(bitset.length > words ? bitset.subarray(0, words) : bitset, start);
  if (bitset.length < words) u32.fill(0, start + bitset.length, start + words);
}

function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}
