/**
 * Where the commands read and write: a local data directory opened
 * in-process, or a running server through the REST client (src/client). The
 * commands see only the small interface below, a part of what the library's
 * Database and the client's PortableDatabase both provide.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QuiverClient } from '../client/index.js';
import { openDatabase } from '../index.js';
import type { CollectionOptions, CollectionStatus, Document, DocumentInput, GetOptions, Logger, SearchHit, SearchRequest, WhereOptions } from '../index.js';
import { isQuiverError } from '../core/errors.js';
import { DATABASE_FILE } from '../core/storage/store.js';
import { fileBytes, treeBytes } from '../core/storage/disk-usage.js';
import { CliError, type TargetFlags } from './args.js';

/** What the commands need of a collection. */
export interface TargetCollection {
  upsert(documents: readonly DocumentInput[]): Promise<unknown>;
  /** Documents by id in the order asked; null where an id is not stored. */
  getMany(ids: readonly string[], options?: GetOptions): Promise<(Document | null)[]>;
  search(request: SearchRequest): Promise<SearchHit[]>;
  delete(ids: readonly string[]): Promise<{ deleted: number; version: number }>;
  deleteWhere(filter: Record<string, unknown>, options?: WhereOptions): Promise<{ deleted: number; version: number }>;
}

/** What the commands need of a database. */
export interface TargetDatabase {
  listCollections(): CollectionStatus[] | Promise<CollectionStatus[]>;
  collection(name: string): TargetCollection;
  createCollection(name: string, options: CollectionOptions): Promise<TargetCollection>;
  dropCollection(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenedTarget {
  db: TargetDatabase;
  /** "data directory ./data" or "http://127.0.0.1:8080", for messages. */
  where: string;
  /** The data directory, when local. */
  dataPath: string | undefined;
}

/** Output streams and environment of one command run; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT: long commands stop at the next safe point. */
  signal?: AbortSignal;
}

export function stderrLogger(io: CliIo): Logger {
  return {
    info: () => {},
    warn: (message) => io.stderr.write(`quiver: ${message}\n`),
    error: (message) => io.stderr.write(`quiver: ${message}\n`),
  };
}

/**
 * Opens the target. A local directory must already hold a database unless
 * `create` is set (only import creates one); a directory held by another
 * process (a running server) is an error that points to --url.
 */
export async function openTarget(flags: TargetFlags, io: CliIo, { create }: { create: boolean }): Promise<OpenedTarget> {
  if (flags.url !== undefined) {
    const client = new QuiverClient({ url: flags.url, ...(flags.apiKey === undefined ? {} : { apiKey: flags.apiKey }) });
    return { db: client, where: client.url, dataPath: undefined };
  }
  const path = flags.data;
  if (!create && !existsSync(join(path, DATABASE_FILE))) {
    throw new CliError(`no Quiver database in ${path} (${DATABASE_FILE} not found): pass --data DIR, or --url URL for a server`);
  }
  try {
    const db = await openDatabase({ path, logger: stderrLogger(io) });
    return { db, where: `data directory ${path}`, dataPath: path };
  } catch (error) {
    if (isQuiverError(error) && error.code === 'DATABASE_LOCKED') {
      throw new CliError(
        `the data directory ${path} is in use by another process (a running 'quiver serve'?). ` +
          'Stop it, or go through the server: --url http://127.0.0.1:8080 (its address).',
      );
    }
    throw error;
  }
}

/** Bytes on disk of a data directory: the store (with its WAL) and the snapshots. */
export interface DiskUsage {
  path: string;
  store: number;
  snapshots: number;
  total: number;
}

export function diskUsage(path: string): DiskUsage {
  const store = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`].reduce((sum, name) => sum + fileBytes(join(path, name)), 0);
  const snapshots = treeBytes(join(path, 'snapshots'));
  return { path, store, snapshots, total: treeBytes(path) };
}
