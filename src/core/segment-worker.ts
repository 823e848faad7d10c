/**
 * Entry point of a segment worker thread (see worker-pool.ts): hosts a
 * SegmentServer and answers the pool's numbered requests. Writes run in
 * slices of SLICE_MS so searches never wait long behind a bulk ingest.
 */
import { parentPort } from 'node:worker_threads';
import { SegmentServer, type SegmentRequest } from './segment-server.js';

const SLICE_MS = 4;

interface Envelope {
  id: number;
  request: SegmentRequest;
}

const port = parentPort;
if (!port) throw new Error('segment-worker.ts runs as a worker thread (see worker-pool.ts)');
const server = new SegmentServer(SLICE_MS);

port.on('message', ({ id, request }: Envelope) => {
  server.handle(request).then(
    (reply) => port.postMessage({ id, reply, stats: server.stats }),
    (error: Error) => port.postMessage({ id, error: error.message, stats: server.stats }),
  );
});
