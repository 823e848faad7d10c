/**
 * Entry point of the checkpoint thread (see Store): its own SQLite
 * connection copies committed WAL frames into the database file every
 * CHECKPOINT_MS (PASSIVE: it never waits for or blocks a writer), so the
 * fsyncs of checkpointing happen here instead of inside a commit on the
 * thread that serves requests.
 */
import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const CHECKPOINT_MS = 250;

interface Options {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
}

const port = parentPort;
if (!port) throw new Error('checkpoint-worker.ts runs as a worker thread (see store.ts)');
const { file, synchronous } = workerData as Options;
const db = new BetterSqlite3(file);
db.pragma('busy_timeout = 1000');
db.pragma(`synchronous = ${synchronous}`);

const timer = setInterval(() => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (result && result.checkpointed > 0) port.postMessage({ checkpointed: result.checkpointed, log: result.log });
  } catch (error) {
    port.postMessage({ error: String(error) });
  }
}, CHECKPOINT_MS);

port.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.close();
});
