/**
 * A new node from a node snapshot: another node's `backup` (its replicas
 * and their applied versions) restored into the new node's empty data
 * directory; the node then replays only what PostgreSQL took since, and
 * answers as the node it came from. A restarted node keeps its own data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/index.js';
import type { ClusterDatabase } from '../../src/cluster/cluster-database.js';
import { startPostgres, type PostgresServer } from '../fixtures/postgres.js';
import { scifactDocuments } from '../fixtures/scifact.js';
import { silent } from '../fixtures/databases.js';
import { expectSameRanking } from '../fixtures/ranking.js';

const DIMENSION = 16;
let pg: PostgresServer;
let dir: string;

beforeAll(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'quiver-bootstrap-'));
}, 60_000);

afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const open = (nodeId: string, path: string, bootstrap?: string) =>
  openDatabase({ path, workers: 0, logger: silent, cluster: { store: pg.url, nodeId, ...(bootstrap === undefined ? {} : { bootstrap }) } });

describe('a node started from a node snapshot', () => {
  it('replays only the writes after the snapshot, and answers as the node it came from', async () => {
    const documents = scifactDocuments(1200, DIMENSION);
    const first: ClusterDatabase = await open('n1', join(dir, 'n1'));
    const docs = await first.createCollection('docs', { dimension: DIMENSION, shards: 3, replicas: 1 });
    await docs.upsert(documents.slice(0, 1000));
    await first.caughtUp();
    await first.backup(join(dir, 'snapshot'));
    await docs.upsert(documents.slice(1000));
    await first.caughtUp();

    const second: ClusterDatabase = await open('n2', join(dir, 'n2'), join(dir, 'snapshot'));
    try {
      await second.caughtUp();
      const replayed = [...second.replicas.values()].reduce((sum, replica) => sum + replica.rowsApplied, 0);
      expect(replayed).toBe(200);
      for (const request of [{ text: 'vitamin D', k: 10 }, { vector: documents[5]!.vector, k: 10, exact: true }, { vector: documents[7]!.vector, text: 'cells', k: 10, exact: true }]) {
        expectSameRanking(await second.collection('docs').search({ ...request, include: [] }, { consistency: 'strong' }), await docs.search({ ...request, include: [] }));
      }
    } finally {
      await second.close();
    }
    // Restarted with the snapshot still configured, a node keeps its own data rather than the older snapshot.
    const again: ClusterDatabase = await open('n2', join(dir, 'n2'), join(dir, 'snapshot'));
    try {
      await again.caughtUp();
      expect([...again.replicas.values()].reduce((sum, replica) => sum + replica.rowsApplied, 0)).toBe(0);
      expect(await again.collection('docs').countWhere(undefined, { consistency: 'strong' })).toBe(1200);
    } finally {
      await again.close();
      await first.close();
    }
  });
});
