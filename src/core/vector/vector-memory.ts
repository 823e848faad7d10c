/**
 * A database's WebAssembly memory for vectors: blocks in a growing set of
 * heaps (WasmHeap, one instance and linear memory each). A block goes to the
 * first heap with room; when none has any, a new heap is made, so the
 * vectors a database holds are limited by the machine, not by one linear
 * memory. Collections keep their rows in chunks (chunks.ts), so no block is
 * larger than a chunk and growing a collection never copies it whole.
 */
import { createError } from '../errors.js';
import { MAX_HEAP_BYTES, WasmHeap } from './wasm-heap.js';

/** A block of a heap. */
export interface Block {
  heap: WasmHeap;
  ptr: number;
  bytes: number;
}

export interface VectorMemoryOptions {
  /** Largest linear memory per heap, in bytes (default and most: 2 GiB less a page). */
  heapBytes?: number;
  /** Target bytes of one chunk of rows (see chunks.ts). */
  chunkBytes?: number;
}

/**
 * Target size of a chunk of rows. Small enough that growing a collection's
 * last chunk (a move at worst) takes about a millisecond and that a new
 * chunk leaves little unused memory; large enough that a scan of a million
 * rows of dim 1536 is about a thousand kernel calls.
 */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
/** Heaps keep this much of their memory for search scratch (queries, bitsets, top-k buffers), never for chunks. */
const SCRATCH_RESERVE = 32 * 1024 * 1024;

export class VectorMemory {
  readonly heapBytes: number;
  readonly chunkBytes: number;
  readonly #heaps: WasmHeap[] = [];

  constructor(options: VectorMemoryOptions = {}) {
    this.heapBytes = options.heapBytes ?? MAX_HEAP_BYTES;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  /** Bytes of WebAssembly memory in all heaps. */
  get bytes(): number {
    return this.#heaps.reduce((sum, heap) => sum + heap.bytes, 0);
  }

  /** Bytes in blocks handed out. */
  get usedBytes(): number {
    return this.#heaps.reduce((sum, heap) => sum + heap.usedBytes, 0);
  }

  get heaps(): readonly WasmHeap[] {
    return this.#heaps;
  }

  /** Any heap, for work that needs one but no particular rows (e.g. scoring rows read from the store). */
  anyHeap(): WasmHeap {
    return this.#heaps[0] ?? this.#addHeap();
  }

  /** A block of `bytes`. Throws OUT_OF_MEMORY when no heap can hold it and no new one can be made. */
  allocate(bytes: number): Block {
    for (const heap of this.#heaps) {
      const ptr = this.#allocIn(heap, bytes);
      if (ptr !== 0) return { heap, ptr, bytes };
    }
    const heap = this.#addHeap();
    const ptr = this.#allocIn(heap, bytes);
    if (ptr === 0) throw createError('OUT_OF_MEMORY', `a block of ${bytes} bytes is larger than a WebAssembly heap of ${this.heapBytes} bytes can hold`);
    return { heap, ptr, bytes };
  }

  /**
   * The block resized to `bytes`, its first `keep` bytes kept: in its heap
   * when that heap has room, else moved to another. The old block must not
   * be used after.
   */
  reallocate(block: Block, bytes: number, keep = block.bytes): Block {
    const { heap } = block;
    if (heap.usedBytes + Math.max(0, bytes - block.bytes) <= this.#chunkSpace(heap)) {
      const ptr = heap.realloc(block.ptr, bytes);
      if (ptr !== 0) return { heap, ptr, bytes };
    }
    const moved = this.allocate(bytes);
    moved.heap.u8.set(heap.u8.subarray(block.ptr, block.ptr + keep), moved.ptr);
    heap.free(block.ptr);
    return moved;
  }

  release(block: Block): void {
    block.heap.free(block.ptr);
  }

  /** Forgets every heap, so their memory goes once nothing else holds them; blocks must not be used after. */
  dispose(): void {
    this.#heaps.length = 0;
  }

  #allocIn(heap: WasmHeap, bytes: number): number {
    if (heap.usedBytes + bytes > this.#chunkSpace(heap)) return 0;
    return heap.alloc(bytes);
  }

  #chunkSpace(heap: WasmHeap): number {
    return heap.maxBytes - Math.min(SCRATCH_RESERVE, heap.maxBytes / 4);
  }

  #addHeap(): WasmHeap {
    const heap = new WasmHeap(this.heapBytes);
    this.#heaps.push(heap);
    return heap;
  }
}
