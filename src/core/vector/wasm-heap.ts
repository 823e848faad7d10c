/**
 * The only user of WebAssembly in Quiver: one instance of build/kernels.wasm
 * over a linear memory of its own, and the allocator that lays out blocks in
 * that memory.
 *
 * The module allocates nothing (assembly/index.ts); this class hands out
 * blocks above its static data, first fit over a free list, and grows the
 * memory by exactly the pages a block needs. AssemblyScript's own allocator
 * (TLSF) refused any block over 1 GiB and doubled the memory whenever it
 * grew, so one arena could neither pass 1 GiB nor stay close to the bytes it
 * held. A heap never grows past `maxBytes`: `VectorMemory` adds heaps
 * (instances) instead, so no one linear memory caps a database.
 *
 * Every `memory.grow` detaches the old ArrayBuffer: the typed-array views
 * are re-created after any call that can grow (`alloc`, `realloc`,
 * `scratch`), so callers read views after their allocations.
 */
import { readFileSync } from 'node:fs';
import { createError } from '../errors.js';

const WASM_URL = new URL('../../../build/kernels.wasm', import.meta.url);

/** Kernel metric codes; cosine is dot over normalised vectors. */
export const KERNEL_DOT = 0;
export const KERNEL_L2 = 1;
export type KernelMetric = typeof KERNEL_DOT | typeof KERNEL_L2;

/** A WebAssembly page. */
const PAGE = 65_536;
/** Blocks start on cache lines. */
const ALIGN = 64;
/**
 * Largest memory one heap grows to: 2 GiB less a page, so every pointer is
 * a positive int32 on both sides of the ABI (wasm32 allows 4 GiB, but its
 * pointers above 2 GiB come back to JavaScript as negative numbers).
 */
export const MAX_HEAP_BYTES = 2 ** 31 - PAGE;

// @types/node 20 does not declare the WebAssembly global (it lives in the DOM
// lib), so the few parts used here are typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmRuntime {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmRuntime };

export interface KernelExports {
  heapBase(): number;
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
  /** Offers a block of rows to a top-k heap of `size` entries; returns its new size (see assembly/scan.ts). */
  topkScan(
    metric: number, query: number, base: number, count: number, dim: number,
    bitset: number, k: number, outLabels: number, outScores: number, size: number, labelBase: number,
  ): number;
  sortHeap(outLabels: number, outScores: number, size: number): void;
  topkLabels(
    metric: number, query: number, table: number, shift: number, dim: number,
    labels: number, n: number, k: number, outLabels: number, outScores: number, size: number,
  ): number;
  /** `outLabels` and `outScores` need room for 2k entries (a selection buffer); `outCapacity` is how many they have. */
  topkScanI8(
    metric: number, query16: number, rows: number, count: number, paddedDim: number,
    scale: number, offset: number, norms: number,
    bitset: number, k: number, outLabels: number, outScores: number, outCapacity: number,
    size: number, bar: number, labelBase: number,
  ): number;
  lastBar(): number;
  finishI8(outLabels: number, outScores: number, size: number, k: number): number;
  selectTopK(scores: number, n: number, k: number, outLabels: number, outScores: number): number;
  quantizeRows(
    src: number, count: number, dim: number, paddedDim: number,
    center: number, inverseStep: number, dst: number,
  ): void;
  quantizeQuery(query: number, dim: number, paddedDim: number, step: number, dst16: number): number;
}

let compiled: object | undefined;

/** The compiled module, shared by every heap of the process. */
function kernelModule(): object {
  compiled ??= new wasm.Module(readFileSync(WASM_URL));
  return compiled;
}

/** A free range of a heap's memory. */
interface Range {
  start: number;
  bytes: number;
}

export class WasmHeap {
  /** The memory this heap never grows past. */
  readonly maxBytes: number;
  readonly #memory: WasmMemory;
  readonly #exports: KernelExports;
  #buffer: ArrayBuffer;
  #f32!: Float32Array;
  #i32!: Int32Array;
  #u32!: Uint32Array;
  #i16!: Int16Array;
  #i8!: Int8Array;
  #u8!: Uint8Array;
  /** Free ranges sorted by start; adjacent ranges are always merged. */
  readonly #free: Range[] = [];
  /** Bytes of each block handed out, by its start. */
  readonly #blocks = new Map<number, number>();
  #usedBytes = 0;
  #scratch = 0;
  #scratchBytes = 0;

  /**
   * A fresh instance over a memory of one page. Throws OUT_OF_MEMORY when
   * the engine cannot reserve another WebAssembly memory.
   */
  constructor(maxBytes = MAX_HEAP_BYTES) {
    if (!(maxBytes >= PAGE && maxBytes <= MAX_HEAP_BYTES)) throw new RangeError(`heap size ${maxBytes} out of range`);
    this.maxBytes = Math.floor(maxBytes / PAGE) * PAGE;
    try {
      this.#memory = new wasm.Memory({ initial: 1, maximum: this.maxBytes / PAGE });
    } catch (error) {
      throw createError('OUT_OF_MEMORY', `a new WebAssembly memory could not be reserved (${(error as Error).message})`);
    }
    const instance = new wasm.Instance(kernelModule(), {
      env: {
        memory: this.#memory,
        abort: (message: number, file: number, line: number, column: number) => {
          throw createError('KERNEL_ABORT', `${this.#readString(message)} at ${this.#readString(file)}:${line}:${column}`);
        },
      },
    });
    this.#exports = instance.exports as unknown as KernelExports;
    this.#buffer = this.#memory.buffer;
    this.#makeViews();
    const base = alignUp(this.#exports.heapBase());
    if (base < this.#buffer.byteLength) this.#free.push({ start: base, bytes: this.#buffer.byteLength - base });
  }

  /** The kernels of this instance; every pointer they take is into this heap's memory. */
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

  /** Bytes of linear memory (grows, never shrinks). */
  get bytes(): number {
    return this.#memory.buffer.byteLength;
  }

  /** Bytes in blocks handed out (the scratch block included). */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /**
   * A block of at least `bytes`, 64-byte aligned, or 0 when this heap
   * cannot hold it within `maxBytes`. Throws OUT_OF_MEMORY when the memory
   * may grow but the engine refuses.
   */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, ALIGN));
    let index = this.#free.findIndex((range) => range.bytes >= size);
    if (index < 0) {
      if (!this.#grow(size)) return 0;
      index = this.#free.length - 1;
    }
    const range = this.#free[index]!;
    const ptr = range.start;
    if (range.bytes === size) this.#free.splice(index, 1);
    else {
      range.start += size;
      range.bytes -= size;
    }
    this.#blocks.set(ptr, size);
    this.#usedBytes += size;
    return ptr;
  }

  /**
   * Resizes a block, keeping its contents: in place when the memory after
   * it is free (or is the end of the memory, which then grows), else by a
   * move. Returns the block's new start, or 0 when this heap cannot hold
   * it (the old block is then unchanged).
   */
  realloc(ptr: number, bytes: number): number {
    const size = alignUp(Math.max(bytes, ALIGN));
    const old = this.#blockSize(ptr);
    if (size <= old) return ptr;
    if (this.#extend(ptr + old, size - old)) {
      this.#blocks.set(ptr, size);
      this.#usedBytes += size - old;
      return ptr;
    }
    const moved = this.alloc(size);
    if (moved === 0) return 0;
    this.u8.copyWithin(moved, ptr, ptr + old);
    this.free(ptr);
    return moved;
  }

  /** Takes `extra` bytes from the free range starting at `end`, growing the memory when that range ends it. */
  #extend(end: number, extra: number): boolean {
    let index = this.#free.findIndex((range) => range.start === end);
    const available = index >= 0 ? this.#free[index]!.bytes : 0;
    if (available < extra) {
      if (end + available !== this.#buffer.byteLength || !this.#grow(extra)) return false;
      index = this.#free.findIndex((range) => range.start === end);
    }
    const range = this.#free[index]!;
    if (range.bytes === extra) this.#free.splice(index, 1);
    else {
      range.start += extra;
      range.bytes -= extra;
    }
    return true;
  }

  free(ptr: number): void {
    const size = this.#blockSize(ptr);
    this.#blocks.delete(ptr);
    this.#usedBytes -= size;
    this.#release(ptr, size);
  }

  /**
   * A scratch block of at least `bytes`, valid until the next scratch call.
   * Calls are synchronous and JavaScript is single-threaded, so one block
   * serves every search on this heap. Throws OUT_OF_MEMORY when the heap
   * cannot hold it.
   */
  scratch(bytes: number): number {
    if (bytes > this.#scratchBytes) {
      if (this.#scratch !== 0) this.free(this.#scratch);
      this.#scratch = 0;
      const size = Math.max(bytes, Math.min(this.#scratchBytes * 2, bytes * 2), 64 * 1024);
      this.#scratch = this.alloc(size) || this.alloc(bytes);
      if (this.#scratch === 0) {
        this.#scratchBytes = 0;
        throw createError('OUT_OF_MEMORY', `a search needs ${bytes} bytes of scratch memory in a WebAssembly memory that is full`);
      }
      this.#scratchBytes = this.#blockSize(this.#scratch);
    }
    return this.#scratch;
  }

  /** Copies `values` to `ptr` as f32. */
  writeF32(ptr: number, values: ArrayLike<number>): void {
    this.f32.set(values, ptr >>> 2);
  }

  #blockSize(ptr: number): number {
    const size = this.#blocks.get(ptr);
    if (size === undefined) throw new RangeError(`no block at ${ptr}`);
    return size;
  }

  /** Grows the memory so that a free range of `bytes` ends it; false when that would pass `maxBytes`. */
  #grow(bytes: number): boolean {
    const end = this.#buffer.byteLength;
    const last = this.#free[this.#free.length - 1];
    const tail = last && last.start + last.bytes === end ? last.bytes : 0;
    const pages = Math.ceil((bytes - tail) / PAGE);
    if (end + pages * PAGE > this.maxBytes) return false;
    try {
      this.#memory.grow(pages);
    } catch (error) {
      throw createError('OUT_OF_MEMORY', `a WebAssembly memory could not grow by ${pages * PAGE} bytes (${(error as Error).message})`);
    }
    this.#refresh();
    this.#release(end, pages * PAGE);
    return true;
  }

  /** Returns a range to the free list, merged with its neighbours. */
  #release(start: number, bytes: number): void {
    const free = this.#free;
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (free[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const before = free[lo - 1];
    const after = free[lo];
    if (before && before.start + before.bytes === start) {
      before.bytes += bytes;
      if (after && start + bytes === after.start) {
        before.bytes += after.bytes;
        free.splice(lo, 1);
      }
    } else if (after && start + bytes === after.start) {
      after.start = start;
      after.bytes += bytes;
    } else {
      free.splice(lo, 0, { start, bytes });
    }
  }

  #refresh(): void {
    const buffer = this.#memory.buffer;
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
    return String.fromCharCode(...new Uint16Array(this.#memory.buffer, ptr, length));
  }
}

function alignUp(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}
