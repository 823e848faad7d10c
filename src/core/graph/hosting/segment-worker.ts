/**
 * Entry point of a segment worker thread (see worker-pool.ts): hosts a
 * SegmentServer and answers the pool's numbered requests. Writes run in
 * slices of SLICE_MS so searches never wait long behind a bulk ingest;
 * replies made in one turn of this thread's event loop go back in one
 * message.
 *
 * After answering searches, an idle worker lingers for LINGER_MS, taking
 * the next searches from its lane (search-lane.ts) and messages straight
 * off its port, before it goes back to its event
 * loop and sleeps. A thread that sleeps is woken by the kernel when a message
 * arrives, and on a virtual machine a core that went idle is slow to wake:
 * a client sending one search after another paid for that wake on every
 * search (see docs/DESIGN.md, "Round trips to the workers"). Lingering costs
 * this thread's core (at the workers' low priority) for at most LINGER_MS
 * after the last search, and nothing once searches stop.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { LaneWatch } from './search-lane.js';
import { SegmentServer } from './segment-server.js';
import { lowerThisThreadPriority } from '../../threads.js';
import type { ReplyBatch, RequestBatch, SegmentWorkerData } from './worker-pool.js';

const SLICE_MS = 0.5;
const LINGER_MS = 0.3;

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
const lane = new LaneWatch((workerData as SegmentWorkerData).lane);

let replies: ReplyBatch['replies'] = [];
function reply(message: ReplyBatch['replies'][number]): void {
  if (replies.length === 0) queueMicrotask(flush);
  replies.push(message);
}
function flush(): void {
  if (replies.length === 0) return;
  const batch: ReplyBatch = { replies, stats: server.stats };
  replies = [];
  port!.postMessage(batch);
}

/** Starts every request of a batch; searches are answered here and now. Returns whether it held a search. */
function take({ requests }: RequestBatch): boolean {
  let searched = false;
  for (const { id, request } of requests) {
    if (request.type === 'search') {
      searched = true;
      try {
        reply({ id, reply: server.search(request) });
      } catch (error) {
        reply({ id, error: (error as Error).message });
      }
      continue;
    }
    server.handle(request).then(
      (value) => reply({ id, reply: value }),
      (error: Error) => reply({ id, error: error.message }),
    );
  }
  return searched;
}

/**
 * Takes searches from the lane and messages off the port for as long as
 * searches keep coming (each resets the clock) and no change is waiting:
 * anything else goes back to the event loop, which runs changes in slices
 * and finishes saves. The lane is watched only here (search-lane.ts).
 */
function linger(): void {
  let until = performance.now() + LINGER_MS;
  lane.watch();
  for (;;) {
    if (lane.requested) {
      lane.answer((request) => server.search({ type: 'search', ...request }));
      until = performance.now() + LINGER_MS;
      continue;
    }
    if (!server.idle || performance.now() >= until) {
      // A search posted just before the lane closed is answered first.
      if (lane.unwatch()) return;
      continue;
    }
    const received = receiveMessageOnPort(port!);
    if (received === undefined) continue;
    const searched = take(received.message as RequestBatch);
    flush();
    until = searched ? performance.now() + LINGER_MS : 0;
  }
}

port.on('message', (batch: RequestBatch) => {
  if (!take(batch)) return;
  flush();
  linger();
});
