/**
 * Entry point of a segment worker thread (see worker-pool.ts): hosts a
 * SegmentServer and answers the pool's numbered requests. Writes run in
 * slices of SLICE_MS so searches never wait long behind a bulk ingest;
 * replies made in one turn of this thread's event loop go back in one
 * message.
 */
import { parentPort } from 'node:worker_threads';
import { SegmentServer } from './segment-server.js';
import { lowerThisThreadPriority } from './threads.js';
import type { ReplyBatch, RequestBatch } from './worker-pool.js';

const SLICE_MS = 0.5;

/**
 * Below the main thread's priority (Linux: a thread's nice value is its
 * own): when cores are short, the thread that parses requests and merges
 * results runs first and graph building takes what is left.
 */
const WORKER_NICE = 10;
lowerThisThreadPriority(WORKER_NICE);

const port = parentPort;
if (!port) throw new Error('segment-worker.ts runs as a worker thread (see worker-pool.ts)');
const server = new SegmentServer(SLICE_MS);

let replies: ReplyBatch['replies'] = [];
function reply(message: ReplyBatch['replies'][number]): void {
  if (replies.length === 0) queueMicrotask(flush);
  replies.push(message);
}
function flush(): void {
  const batch: ReplyBatch = { replies, stats: server.stats };
  replies = [];
  port!.postMessage(batch);
}

port.on('message', ({ requests }: RequestBatch) => {
  for (const { id, request } of requests) {
    server.handle(request).then(
      (value) => reply({ id, reply: value }),
      (error: Error) => reply({ id, error: error.message }),
    );
  }
});
