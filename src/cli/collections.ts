/**
 * `quiver collections` (one line per collection) and `quiver stats
 * [<collection>]` (settings, counts, index state and, for a local data
 * directory, its size on disk). Collections that failed to open are listed
 * with the reason.
 */
import type { CollectionStatus } from '../index.js';
import type { CollectionDiskUsage } from '../core/api.js';
import { Database } from '../core/database.js';
import { createError } from '../core/errors.js';
import { DEFAULT_COMPACT_AT } from '../core/options.js';
import { EXIT_OK, parseCommand, resolveTargetFlags, TARGET_OPTIONS, TARGET_USAGE } from './args.js';
import { fields, formatBytes, formatCount, table } from './format.js';
import { diskUsage, openTarget, type CliIo, type DiskUsage } from './target.js';

export const COLLECTIONS_USAGE = `usage: quiver collections [--json]

Lists the collections: state, documents, dimension, metric.

${TARGET_USAGE}`;

export const STATS_USAGE = `usage: quiver stats [<collection>] [--json]

A collection's settings, document count and index state (HNSW settings, tombstones,
write version); without a name, totals over every collection. For a local data directory,
also the size on disk: the collection's own (its rows in the store file and its
snapshots) and the whole directory's.

${TARGET_USAGE}`;

export async function runCollections(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(argv, TARGET_OPTIONS, { min: 0, max: 0, names: 'no arguments' });
  if (values.help) {
    io.stdout.write(`${COLLECTIONS_USAGE}\n`);
    return EXIT_OK;
  }
  const { db } = await openTarget(resolveTargetFlags(values, io.env), io, { create: false });
  try {
    const collections = await db.listCollections();
    io.stdout.write(values.json ? `${JSON.stringify({ collections })}\n` : `${collectionTable(collections)}\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

export async function runStats(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, TARGET_OPTIONS, { min: 0, max: 1, names: '[<collection>]' });
  if (values.help) {
    io.stdout.write(`${STATS_USAGE}\n`);
    return EXIT_OK;
  }
  const { db, dataPath } = await openTarget(resolveTargetFlags(values, io.env), io, { create: false });
  const name = positionals[0];
  let collections: CollectionStatus[];
  let own: CollectionDiskUsage | undefined;
  try {
    collections = await db.listCollections();
    if (name !== undefined && db instanceof Database && collections.some((entry) => entry.name === name)) {
      // The snapshots closing would write, written first, so they are part of the size.
      await db.snapshot();
      own = db.diskUsage(name);
    }
  } finally {
    await db.close();
  }
  // Measured after close, for the same reason.
  const disk = dataPath === undefined ? undefined : diskUsage(dataPath);
  if (name !== undefined) {
    const status = collections.find((entry) => entry.name === name);
    if (status === undefined) throw createError('COLLECTION_NOT_FOUND', name);
    const sizes = { ...(own ? { disk: collectionDisk(own) } : {}), ...(disk ? { dataDirectory: disk } : {}) };
    io.stdout.write(values.json ? `${JSON.stringify({ ...status, ...sizes })}\n` : `${collectionFields(status, own, disk)}\n`);
    return EXIT_OK;
  }
  const documents = collections.reduce((sum, entry) => sum + (entry.state === 'ready' ? entry.count : 0), 0);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ collections, documents, ...(disk ? { disk } : {}) })}\n`);
    return EXIT_OK;
  }
  const unavailable = collections.filter((entry) => entry.state === 'unavailable').length;
  const degraded = collections.filter((entry) => entry.state === 'degraded').length;
  const notes = [unavailable > 0 ? `${unavailable} unavailable` : '', degraded > 0 ? `${degraded} degraded` : ''].filter(Boolean);
  const summary: [string, string][] = [
    ['collections', `${collections.length}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`],
    ['documents', formatCount(documents)],
  ];
  if (disk) summary.push(['on disk', describeDisk(disk)]);
  io.stdout.write(`${fields(summary)}\n\n${collectionTable(collections, true)}\n`);
  return EXIT_OK;
}

function collectionTable(collections: readonly CollectionStatus[], detailed = false): string {
  if (collections.length === 0) return '(no collections)';
  const ready = (entry: CollectionStatus, value: (info: Exclude<CollectionStatus, { state: 'unavailable' }>) => string) =>
    entry.state === 'unavailable' ? '' : value(entry);
  return table(collections, [
    { header: 'name', value: (entry) => entry.name },
    { header: 'state', value: (entry) => entry.state },
    { header: 'documents', value: (entry) => ready(entry, (info) => formatCount(info.count)), align: 'right' },
    { header: 'dimension', value: (entry) => ready(entry, (info) => (info.keywordOnly ? 'keywords only' : String(info.dimension))), align: 'right' },
    { header: 'metric', value: (entry) => ready(entry, (info) => info.metric ?? '') },
    { header: 'quantization', value: (entry) => ready(entry, (info) => info.quantization ?? '') },
    ...(detailed
      ? [
          { header: 'tombstones', value: (entry: CollectionStatus) => ready(entry, (info) => formatCount(info.tombstones)), align: 'right' as const },
          { header: 'version', value: (entry: CollectionStatus) => ready(entry, (info) => formatCount(info.version)), align: 'right' as const },
        ]
      : []),
    ...(collections.some((entry) => entry.state !== 'ready')
      ? [{ header: 'reason', value: (entry: CollectionStatus) => entry.reason ?? '' }]
      : []),
  ]);
}

/** The vector settings and graph state of a collection, or that it has none. */
function vectorFields(status: Exclude<CollectionStatus, { state: 'unavailable' }>, graph: number): [string, string][] {
  const { hnsw } = status;
  if (status.keywordOnly || hnsw === undefined) return [['dimension', 'none: keyword-only (text and metadata, keyword search and filters)']];
  return [
    ['dimension', String(status.dimension)],
    ['metric', status.metric ?? ''],
    ['quantization', status.quantization ?? ''],
    ['hnsw', `m ${hnsw.m}, efConstruction ${hnsw.efConstruction}, ef ${hnsw.ef}, ${hnsw.segments} segment${hnsw.segments === 1 ? '' : 's'}`],
    ['indexing backlog', `${formatCount(status.indexingBacklog)} documents awaiting their graph insert (searched exactly meanwhile)`],
    ['tombstones', `${formatCount(status.tombstones)} (${graph === 0 ? '0' : ((100 * status.tombstones) / graph).toFixed(1)}% of the graph; compaction rebuilds it past ${DEFAULT_COMPACT_AT * 100}%)`],
  ];
}

/** A collection's own bytes on disk, as `stats --json` reports them. */
function collectionDisk({ store, snapshots, total }: CollectionDiskUsage): { store: number; snapshots: number; total: number } {
  return { store, snapshots, total };
}

function collectionFields(status: CollectionStatus, own: CollectionDiskUsage | undefined, disk: DiskUsage | undefined): string {
  if (status.state === 'unavailable') return fields([['collection', status.name], ['state', `unavailable: ${status.reason}`]]);
  const graph = status.count + status.tombstones;
  const pairs: [string, string][] = [
    ['collection', status.name],
    ['state', status.state],
    ['documents', formatCount(status.count)],
    ...vectorFields(status, graph),
    ['version', formatCount(status.version)],
    ['text', `language ${status.text.language}, stemming ${onOff(status.text.stemming)}, stopwords ${onOff(status.text.stopwords)}, cjk ${status.text.cjk}`],
    ['bm25', `k1 ${status.bm25.k1}, b ${status.bm25.b}`],
  ];
  if (own) pairs.push(['on disk', `${formatBytes(own.total)} (rows in the store ${formatBytes(own.store)}, snapshots ${formatBytes(own.snapshots)})`]);
  if (disk) pairs.push(['data directory', describeDisk(disk)]);
  return fields(pairs);
}

function describeDisk(disk: DiskUsage): string {
  return `${formatBytes(disk.total)} in ${disk.path} (store ${formatBytes(disk.store)}, snapshots ${formatBytes(disk.snapshots)})`;
}

function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}
