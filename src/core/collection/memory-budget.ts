/**
 * Admission of writes by memory: before a batch is stored, the memory its
 * new documents will take in the in-memory indexes (vectors or int8 codes
 * in WebAssembly memory, and the HNSW graph) is checked against the
 * database's `memoryLimit`, if set, and against the memory the machine has
 * available. A batch that does not fit is rejected whole with OUT_OF_MEMORY
 * and nothing of it is stored: the collection goes on serving, rather than
 * the process dying half way through a write (or being killed by the OS).
 *
 * The estimate is per document (`DocumentCost`, see Collection.memoryBytes),
 * plus what a collection holds however few documents it has: its
 * bookkeeping (COLLECTION_BASE_BYTES, admitted when it is created) and,
 * from its first document on, its HNSW graph's segments (GRAPH_FIXED_BYTES
 * each). Text, metadata and the keyword index live in the JavaScript heap
 * and are not counted.
 */
import { freemem, totalmem } from 'node:os';
import { createError } from '../errors.js';
import { formatBytes } from '../units.js';

/** What one document costs a collection's indexes, in bytes. */
export interface DocumentCost {
  vectors: number;
  graph: number;
}

/**
 * What an empty collection holds, rounded up: its maps and the keyword
 * index's first buffers in the JavaScript heap (about 40 KiB), its tables in
 * SQLite and the statements it has used. Measured (a probe creating 1,000
 * empty collections of dimension 8 in one process): 80-90 KiB of RSS each,
 * with or without worker threads; 70-210 KiB in runs of 300, at dimension 8
 * to 8192 (the dimension costs nothing until the first document).
 */
export const COLLECTION_BASE_BYTES = 128 * 1024;

/** Memory the machine keeps free whatever the writes: a tenth of it, at most 1 GiB. */
export const MACHINE_RESERVE = Math.min(2 ** 30, Math.floor(totalmem() / 10));

export class MemoryBudget {
  /** Bytes of index memory the database may hold, or undefined for no limit but the machine's. */
  readonly limit: number | undefined;
  readonly #used: () => number;
  readonly #available: () => number;

  /**
   * `used` sums the estimated index memory of every collection; `available`
   * reads the machine's available memory (MemAvailable on Linux).
   */
  constructor(limit: number | undefined, used: () => number, available: () => number = freemem) {
    this.limit = limit;
    this.#used = used;
    this.#available = available;
  }

  /**
   * Throws OUT_OF_MEMORY when `documents` more documents of this cost, and
   * `fixed` bytes more besides (a graph's segments made by a collection's
   * first write), do not fit: new documents of a `write`, or every document
   * of a collection being opened.
   */
  admit(collection: string, documents: number, cost: DocumentCost, purpose: 'write' | 'open', fixed = 0): void {
    if (documents <= 0 && fixed <= 0) return;
    const each = cost.vectors + cost.graph;
    const needed = documents * each + fixed;
    const graph = fixed > 0 ? ` and ${formatBytes(fixed)} for its HNSW graph's segments (a fixed cost per segment)` : '';
    const need = `collection '${collection}' needs ${formatBytes(needed)} ${purpose === 'write' ? 'more for' : 'to load its'} ${documents} ` +
      `${purpose === 'write' ? 'new ' : ''}documents (${formatBytes(each)} each: vectors ${formatBytes(cost.vectors)}, HNSW graph ${formatBytes(cost.graph)})${graph}`;
    this.#check(needed, need, purpose === 'write' ? '; the batch was not stored' : '');
  }

  /** Throws OUT_OF_MEMORY when a new, empty collection (COLLECTION_BASE_BYTES) does not fit. */
  admitCollection(collection: string): void {
    this.#check(COLLECTION_BASE_BYTES, `creating collection '${collection}' needs ${formatBytes(COLLECTION_BASE_BYTES)} (what an empty collection holds)`,
      '; the collection was not created');
  }

  #check(needed: number, need: string, outcome: string): void {
    if (this.limit !== undefined) {
      const used = this.#used();
      if (used + needed > this.limit) {
        throw createError('OUT_OF_MEMORY', `${need}, but the database's memoryLimit of ${formatBytes(this.limit)} ` +
          `leaves ${formatBytes(Math.max(0, this.limit - used))}${outcome} (delete documents, drop a collection or raise memoryLimit)`);
      }
    }
    const available = this.#available();
    if (available - needed < MACHINE_RESERVE) {
      throw createError('OUT_OF_MEMORY', `${need}, but the machine has ${formatBytes(available)} available and keeps ` +
        `${formatBytes(MACHINE_RESERVE)} free${outcome}`);
    }
  }
}
