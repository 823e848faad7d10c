/**
 * A collection's rows in WebAssembly memory, in chunks of 2^shift rows:
 * label L lies in chunk L >>> shift at row L & (2^shift - 1). Each chunk is
 * one block of a VectorMemory, so a collection grows a chunk at a time,
 * never by copying all its rows, and its chunks may lie in different heaps.
 * A chunk starts small and grows by half (in place when the memory after it
 * is free) up to its full size, so memory follows the rows held.
 *
 * Layout of one chunk with room for `capacity` rows:
 * | offset                                   | contents                        |
 * |------------------------------------------|---------------------------------|
 * | 0                                        | live bitset, 2^shift bits       |
 * | header                                   | section 0: capacity x bytes[0]  |
 * | header + capacity x bytes[0]             | section 1: capacity x bytes[1]  |
 * A section is one kind of per-row data (f32 rows; int8 codes and norms).
 */
import { popcount } from '../bitset.js';
import { DEFAULT_INITIAL_CAPACITY } from '../options.js';
import type { Block, VectorMemory } from './vector-memory.js';
import type { WasmHeap } from './wasm-heap.js';

const GROWTH = 1.5;
/** Fewest rows per chunk: one word of the live bitset. */
const MIN_SHIFT = 5;
/** Most rows per chunk: keeps a chunk's bitset, copied per scan, small. */
const MAX_SHIFT = 20;
/** A new chunk has room for at least this many bytes of rows (or DEFAULT_INITIAL_CAPACITY rows, if less). */
const MIN_CHUNK_ROWS_BYTES = 64 * 1024;

/** The chunks that lie in one heap, in label order. */
export interface HeapGroup {
  heap: WasmHeap;
  chunks: number[];
}

export class Chunks {
  readonly shift: number;
  readonly rowsPerChunk: number;
  /** Bytes per row of each section. */
  readonly sectionBytes: readonly number[];
  /** Bytes of a chunk's live bitset, padded to 64. */
  readonly headerBytes: number;
  readonly #memory: VectorMemory;
  readonly #rowBytes: number;
  #blocks: Block[] = [];
  /** Rows each chunk has room for. */
  #capacity: number[] = [];
  /** Live rows in each chunk. */
  #live: number[] = [];
  #highWater = 0;
  #liveCount = 0;
  /** Every label below this has room: `ensure` for fewer rows returns at once. */
  #room = 0;
  /** Heap groups and pointer tables, until a chunk is added or moves. */
  #groups: HeapGroup[] | undefined;
  readonly #tables = new Map<WasmHeap, Uint32Array[]>();

  constructor(memory: VectorMemory, sectionBytes: readonly number[]) {
    this.#memory = memory;
    this.sectionBytes = sectionBytes;
    this.#rowBytes = sectionBytes.reduce((sum, bytes) => sum + bytes, 0);
    const fit = Math.floor(Math.log2(Math.max(1, memory.chunkBytes / this.#rowBytes)));
    this.shift = Math.min(MAX_SHIFT, Math.max(MIN_SHIFT, fit));
    this.rowsPerChunk = 2 ** this.shift;
    this.headerBytes = Math.ceil(this.rowsPerChunk / 8 / 64) * 64;
  }

  /** One past the highest label ever made live: the rows a full scan covers. */
  get highWater(): number {
    return this.#highWater;
  }

  get liveCount(): number {
    return this.#liveCount;
  }

  get chunkCount(): number {
    return this.#blocks.length;
  }

  /** Bytes of WebAssembly memory the chunks hold. */
  get bytes(): number {
    return this.#blocks.reduce((sum, block) => sum + block.bytes, 0);
  }

  /** Rows of chunk `c` below the high-water mark: the rows a scan of it covers. */
  rowsIn(c: number): number {
    return Math.max(0, Math.min(this.rowsPerChunk, this.#highWater - c * this.rowsPerChunk));
  }

  /**
   * Makes room for every label below `rows`. Throws OUT_OF_MEMORY when the
   * memory cannot grow; the chunks made before that stay (and are used by
   * later writes), and no row changes.
   */
  ensure(rows: number): void {
    if (rows <= this.#room) return;
    const per = this.rowsPerChunk;
    for (let c = Math.floor(this.#room / per); c * per < rows; c++) {
      const needed = Math.min(per, rows - c * per);
      if (c >= this.#blocks.length) this.#add(needed);
      else if (this.#capacity[c]! < needed) this.#grow(c, needed);
    }
  }

  /** The heap holding chunk `c`. */
  heapOf(c: number): WasmHeap {
    return this.#blocks[c]!.heap;
  }

  /** Start of section `s` of chunk `c` (valid until the next call that can allocate). */
  sectionPointer(c: number, s: number): number {
    const capacity = this.#capacity[c]!;
    let offset = this.#blocks[c]!.ptr + this.headerBytes;
    for (let j = 0; j < s; j++) offset += capacity * this.sectionBytes[j]!;
    return offset;
  }

  /** Where `label`'s data of section `s` lies. The label's chunk must exist. */
  rowPointer(label: number, s: number): number {
    return this.sectionPointer(label >>> this.shift, s) + (label & (this.rowsPerChunk - 1)) * this.sectionBytes[s]!;
  }

  /** Start of chunk `c`'s live bitset, or 0 when every row a scan of it covers is live (no check needed). */
  liveBitsetPointer(c: number): number {
    return this.#live[c] === this.rowsIn(c) ? 0 : this.#blocks[c]!.ptr;
  }

  isLive(label: number): boolean {
    if (label >= this.#highWater) return false;
    const block = this.#blocks[label >>> this.shift]!;
    const bit = label & (this.rowsPerChunk - 1);
    return (block.heap.u32[(block.ptr >>> 2) + (bit >>> 5)]! & (1 << (bit & 31))) !== 0;
  }

  /** Marks `label` live (its chunk must exist); returns false when it already was. */
  markLive(label: number): boolean {
    if (this.isLive(label)) return false;
    this.#setBit(label, true);
    this.#live[label >>> this.shift]!++;
    this.#liveCount++;
    if (label >= this.#highWater) this.#highWater = label + 1;
    return true;
  }

  /** Marks `label` dead; its memory is reused when the label is. */
  markDead(label: number): void {
    if (!this.isLive(label)) return;
    this.#setBit(label, false);
    this.#live[label >>> this.shift]!--;
    this.#liveCount--;
  }

  /** The chunks grouped by the heap they lie in (heaps in order of their first chunk). */
  groups(): readonly HeapGroup[] {
    if (this.#groups) return this.#groups;
    const groups: HeapGroup[] = [];
    this.#blocks.forEach((block, c) => {
      let group = groups.find((g) => g.heap === block.heap);
      if (!group) groups.push((group = { heap: block.heap, chunks: [] }));
      group.chunks.push(c);
    });
    this.#groups = groups;
    return groups;
  }

  /**
   * For the kernels that read rows by label (topkLabels): the start of
   * section `s` of every chunk in `heap`, 0 for chunks elsewhere.
   */
  table(heap: WasmHeap, s: number): Uint32Array {
    let tables = this.#tables.get(heap);
    if (!tables) this.#tables.set(heap, (tables = []));
    let table = tables[s];
    if (!table) {
      table = new Uint32Array(this.#blocks.length);
      this.#blocks.forEach((block, c) => {
        if (block.heap === heap) table![c] = this.sectionPointer(c, s);
      });
      tables[s] = table;
    }
    return table;
  }

  /** The live bitset of every label below `highWater`, as one copy. */
  liveBits(): Uint32Array {
    const words = Math.ceil(this.#highWater / 32);
    const out = new Uint32Array(words);
    const perChunk = this.rowsPerChunk / 32;
    for (let c = 0; c * perChunk < words; c++) {
      const { heap, ptr } = this.#blocks[c]!;
      const start = ptr >>> 2;
      const n = Math.min(perChunk, words - c * perChunk);
      out.set(heap.u32.subarray(start, start + n), c * perChunk);
    }
    return out;
  }

  /**
   * Makes room for `highWater` rows and sets the live bitset from `bits`
   * (one bit per label); the caller then writes the rows (`sectionSlice`).
   */
  restoreLive(bits: Uint32Array, highWater: number): void {
    this.ensure(highWater);
    const perChunk = this.rowsPerChunk / 32;
    this.#liveCount = 0;
    this.#blocks.forEach(({ heap, ptr }, c) => {
      const words = bits.subarray(c * perChunk, (c + 1) * perChunk);
      heap.u32.fill(0, ptr >>> 2, (ptr >>> 2) + perChunk);
      heap.u32.set(words, ptr >>> 2);
      // Bits past the high-water mark are never live.
      const rows = Math.max(0, Math.min(this.rowsPerChunk, highWater - c * this.rowsPerChunk));
      if (rows < this.rowsPerChunk) clearFrom(heap.u32, ptr >>> 2, rows, perChunk);
      const live = popcount(heap.u32.subarray(ptr >>> 2, (ptr >>> 2) + perChunk));
      this.#live[c] = live;
      this.#liveCount += live;
    });
    this.#highWater = highWater;
  }

  /**
   * Section `s` of rows [0, highWater) read as one run of bytes: a view of
   * the `length` bytes from `offset`, or fewer where a chunk ends. For
   * writing a snapshot a piece at a time; valid until the next allocation.
   */
  sectionSlice(s: number, offset: number, length: number): Uint8Array {
    const bytes = this.sectionBytes[s]!;
    const perChunk = this.rowsPerChunk * bytes;
    const c = Math.floor(offset / perChunk);
    const within = offset - c * perChunk;
    const end = Math.min(within + length, this.rowsIn(c) * bytes);
    const start = this.sectionPointer(c, s);
    return this.#blocks[c]!.heap.u8.subarray(start + within, start + end);
  }

  /** Frees every chunk; the rows must not be used after. */
  dispose(): void {
    for (const block of this.#blocks) this.#memory.release(block);
    this.#blocks = [];
    this.#capacity = [];
    this.#live = [];
    this.#highWater = 0;
    this.#liveCount = 0;
    this.#changed();
  }

  #add(needed: number): void {
    const initial = Math.max(needed, Math.min(DEFAULT_INITIAL_CAPACITY, Math.ceil(MIN_CHUNK_ROWS_BYTES / this.#rowBytes)));
    const capacity = Math.min(this.rowsPerChunk, initial);
    const block = this.#memory.allocate(this.headerBytes + capacity * this.#rowBytes);
    block.heap.u8.fill(0, block.ptr, block.ptr + this.headerBytes);
    this.#blocks.push(block);
    this.#capacity.push(capacity);
    this.#live.push(0);
    this.#changed();
  }

  /** Grows chunk `c` to hold at least `needed` rows; sections after the first move up to their new offsets. */
  #grow(c: number, needed: number): void {
    const old = this.#capacity[c]!;
    const capacity = Math.min(this.rowsPerChunk, Math.max(needed, Math.ceil(old * GROWTH)));
    const block = this.#memory.reallocate(this.#blocks[c]!, this.headerBytes + capacity * this.#rowBytes);
    const u8 = block.heap.u8;
    let oldOffset = this.headerBytes + old * this.#rowBytes;
    let newOffset = this.headerBytes + capacity * this.#rowBytes;
    for (let s = this.sectionBytes.length - 1; s > 0; s--) {
      oldOffset -= old * this.sectionBytes[s]!;
      newOffset -= capacity * this.sectionBytes[s]!;
      u8.copyWithin(block.ptr + newOffset, block.ptr + oldOffset, block.ptr + oldOffset + old * this.sectionBytes[s]!);
    }
    this.#blocks[c] = block;
    this.#capacity[c] = capacity;
    this.#changed();
  }

  #setBit(label: number, live: boolean): void {
    const block = this.#blocks[label >>> this.shift]!;
    const bit = label & (this.rowsPerChunk - 1);
    const u32 = block.heap.u32;
    const word = (block.ptr >>> 2) + (bit >>> 5);
    if (live) u32[word]! |= 1 << (bit & 31);
    else u32[word]! &= ~(1 << (bit & 31));
  }

  #changed(): void {
    this.#groups = undefined;
    this.#tables.clear();
    let room = 0;
    for (const capacity of this.#capacity) {
      room += capacity;
      if (capacity < this.rowsPerChunk) break;
    }
    this.#room = room;
  }
}

/** Clears bits [from, words * 32) of the bitset at word `start`. */
function clearFrom(u32: Uint32Array, start: number, from: number, words: number): void {
  const word = from >>> 5;
  if (word >= words) return;
  if ((from & 31) !== 0) {
    u32[start + word]! &= (1 << (from & 31)) - 1;
    u32.fill(0, start + word + 1, start + words);
  } else {
    u32.fill(0, start + word, start + words);
  }
}
