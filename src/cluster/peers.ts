/**
 * Shard calls between nodes, both ends. The calling node keeps one
 * connection per peer (`PeerLinks`), opened as an HTTP upgrade of the
 * peer's own port (`GET /_cluster/wire`, with the API key), and then sends
 * frames (wire.ts) on it, many calls at once; the called node's server hands
 * the upgraded socket to `servePeer`, which answers each call as it
 * finishes. One HTTP request per call cost more than the search it carried
 * (see bench/README.md, "Cluster mode").
 *
 * A peer that refuses, closes the connection or does not answer in time is
 * reported as unreachable, so that the coordinator tries another replica;
 * an error the peer answered with (a bad filter, say) is the caller's.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { QuiverError, type ErrorCode } from '../core/errors.js';
import { encodeFrame, FRAME_ANSWER, FRAME_CALL, FRAME_ERROR, FrameReader, type Frame } from './wire.js';

/** The path and protocol name of the upgrade that opens a link. */
export const WIRE_PATH = '/_cluster/wire';
export const WIRE_PROTOCOL = 'quiver-wire/1';

/** The peer did not answer: another replica may. */
export class PeerUnreachable extends Error {}

interface PendingCall {
  resolve(answer: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** One open connection to one peer, and the calls waiting on it. */
class Link {
  readonly #base: string;
  readonly #pending = new Map<number, PendingCall>();
  readonly #reader = new FrameReader();
  #socket: Socket | undefined;
  #nextId = 1;
  /** Frames received on this link: a call that times out while others were answered meets a slow call, not a silent peer. */
  #received = 0;
  closed = false;

  readonly ready: Promise<void>;

  constructor(base: string, apiKey: string | undefined, timeoutMs: number) {
    this.#base = base;
    this.ready = new Promise((resolve, reject) => {
      const headers: Record<string, string> = { connection: 'Upgrade', upgrade: WIRE_PROTOCOL };
      if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
      const opening = request(new URL(WIRE_PATH, base), { headers, agent: false, timeout: timeoutMs });
      opening.on('upgrade', (_reply, socket: Socket, head: Buffer) => {
        opening.setTimeout(0);
        this.#socket = socket;
        socket.setNoDelay(true);
        socket.setTimeout(0);
        // Links never keep a process alive; a call waiting on one has its own timer.
        socket.unref();
        socket.on('data', (chunk: Buffer) => this.#receive(chunk));
        socket.on('error', () => {});
        socket.on('close', () => this.close(`${base}: the connection closed`));
        if (head.length > 0) this.#receive(head);
        if (this.closed) socket.destroy();
        resolve();
      });
      opening.on('response', (reply) => {
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('error', () => {});
        reply.on('end', () => {
          let answered: { code?: string; message?: string } = {};
          try {
            answered = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof answered;
          } catch {
            // Not ours: not a Quiver node, or one too old to have the route.
          }
          this.close(`${base}: ${answered.message ?? `status ${reply.statusCode}`}`);
          reject(reply.statusCode === 503 || answered.code === undefined ? new PeerUnreachable(`${base}: ${answered.message ?? `status ${reply.statusCode}`}`) : new QuiverError(answered.code as ErrorCode, answered.message ?? answered.code));
        });
      });
      opening.on('timeout', () => opening.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      opening.on('error', (error) => {
        this.close(`${base}: ${error.message}`);
        reject(new PeerUnreachable(`${base}: ${error.message}`));
      });
      opening.end();
    });
  }

  call(message: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed || this.#socket === undefined) return Promise.reject(new PeerUnreachable(`${this.#base}: the connection closed`));
    const id = this.#nextId;
    this.#nextId = this.#nextId === 0xffffffff ? 1 : this.#nextId + 1;
    const receivedBefore = this.#received;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new PeerUnreachable(`${this.#base}: no answer in ${timeoutMs} ms`));
        // Nothing came back at all since: the peer is hung (SIGSTOP, a dead host), so the next call reconnects.
        if (this.#received === receivedBefore) this.close(`${this.#base}: no answer in ${timeoutMs} ms`);
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket!.write(encodeFrame(id, FRAME_CALL, message));
    });
  }

  #receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      this.close(`${this.#base}: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      this.#received++;
      const pending = this.#pending.get(frame.id);
      if (pending === undefined) continue; // Timed out meanwhile.
      this.#pending.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.kind === FRAME_ANSWER) pending.resolve(frame.message);
      else pending.reject(answeredError(this.#base, frame.message as { code?: string; message?: string }));
    }
  }

  /** Closes the connection; every call waiting on it is unreachable. */
  close(why: string): void {
    if (!this.closed) {
      this.closed = true;
      this.#socket?.destroy();
    }
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new PeerUnreachable(why));
    }
    this.#pending.clear();
  }
}

/** An error a peer answered: CLUSTER_UNAVAILABLE (shutting down, or without the shard now) or none means another replica may answer. */
function answeredError(base: string, { code, message }: { code?: string; message?: string }): Error {
  if (code === undefined || code === 'CLUSTER_UNAVAILABLE' || code === 'DATABASE_CLOSED') return new PeerUnreachable(`${base}: ${message ?? 'failed'}`);
  return new QuiverError(code as ErrorCode, message ?? code);
}

/** This node's links to its peers, by advertised URL, opened on first use and again after one closes. */
export class PeerLinks {
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #links = new Map<string, Link>();

  constructor(apiKey: string | undefined, timeoutMs: number) {
    this.#apiKey = apiKey;
    this.#timeoutMs = timeoutMs;
  }

  /** The answer of `base` to a shard call; a QuiverError the peer answered with is thrown as one. */
  async call(base: string, message: unknown): Promise<unknown> {
    let link = this.#links.get(base);
    if (link === undefined || link.closed) {
      link = new Link(base, this.#apiKey, this.#timeoutMs);
      this.#links.set(base, link);
    }
    await link.ready;
    return link.call(message, this.#timeoutMs);
  }

  close(): void {
    for (const link of this.#links.values()) link.close('this node is closing');
    this.#links.clear();
  }
}

/**
 * Switches an HTTP connection whose upgrade was accepted (the key checked)
 * to the wire, and answers the shard calls that arrive on it with
 * `answer`, each as soon as it is done; returns a function that closes the
 * connection. An error with a code travels as that code; any other (a bug)
 * is reported with `onError` and travels without one, so that the caller
 * tries another replica.
 */
export function servePeer(socket: Duplex, head: Buffer, answer: (call: unknown) => Promise<unknown>, onError: (error: unknown) => void): () => void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${WIRE_PROTOCOL}\r\n\r\n`);
  const reader = new FrameReader();
  (socket as Socket).setNoDelay?.(true);
  const receive = (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = reader.push(chunk);
    } catch (error) {
      onError(error);
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (frame.kind !== FRAME_CALL) continue;
      answer(frame.message).then(
        (result) => socket.writable && socket.write(encodeFrame(frame.id, FRAME_ANSWER, result)),
        (error: unknown) => {
          if (!(error instanceof QuiverError)) onError(error);
          const sent = error instanceof QuiverError ? { code: error.code, message: error.message } : { message: 'the node failed to answer' };
          if (socket.writable) socket.write(encodeFrame(frame.id, FRAME_ERROR, sent));
        },
      );
    }
  };
  socket.on('data', receive);
  socket.on('error', () => {});
  if (head.length > 0) receive(head);
  return () => socket.destroy();
}
