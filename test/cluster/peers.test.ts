/**
 * Shard calls between nodes over one upgraded connection per peer: answers
 * come back to the call that asked, in whatever order they finish, vectors
 * included; an error the peer answered with reaches the caller with its
 * code, while a peer that is gone, shutting down, hung or refusing is
 * reported as unreachable (the coordinator then tries another replica),
 * and the next call opens a new connection.
 */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createError, QuiverError } from '../../src/core/errors.js';
import { PeerLinks, PeerUnreachable, servePeer, WIRE_PATH } from '../../src/cluster/peers.js';

interface Peer {
  url: string;
  server: Server;
  /** Upgrades accepted so far. */
  connections: number;
  sockets: Set<Duplex>;
  errors: unknown[];
}

const peers: Peer[] = [];
const links: PeerLinks[] = [];

/** A server that answers shard calls on WIRE_PATH upgrades with `answer`, or refuses the upgrade with `refuse`. */
async function startPeer(answer: (call: unknown) => Promise<unknown>, refuse?: { status: number; body: unknown }): Promise<Peer> {
  const server = createServer((_request, reply) => reply.writeHead(404).end());
  const peer: Peer = { url: '', server, connections: 0, sockets: new Set(), errors: [] };
  server.on('upgrade', (request, socket: Duplex, head: Buffer) => {
    if (refuse !== undefined || request.url !== WIRE_PATH) {
      const body = JSON.stringify(refuse?.body ?? {});
      socket.end(`HTTP/1.1 ${refuse?.status ?? 404} No\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    peer.connections++;
    peer.sockets.add(socket);
    socket.on('close', () => peer.sockets.delete(socket));
    servePeer(socket, head, answer, (error) => peer.errors.push(error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  peers.push(peer);
  return peer;
}

function linksWith(timeoutMs = 2000): PeerLinks {
  const made = new PeerLinks(undefined, timeoutMs);
  links.push(made);
  return made;
}

afterEach(async () => {
  for (const made of links.splice(0)) made.close();
  for (const peer of peers.splice(0)) {
    for (const socket of peer.sockets) socket.destroy();
    await new Promise((resolve) => peer.server.close(resolve));
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('calls to a peer', () => {
  it('share one connection and each get their own answer, in the order they finish', async () => {
    const peer = await startPeer(async (call) => {
      const { wait, vector } = call as { wait: number; vector?: unknown };
      await sleep(wait);
      return [{ id: `waited ${wait}`, score: 1, vector }];
    });
    const calls = linksWith();
    const finished: number[] = [];
    const waits = [240, 0, 120, 40];
    const answers = await Promise.all(waits.map(async (wait) => {
      const answer = await calls.call(peer.url, { wait, request: { vector: Float32Array.from([wait, 0.5]) } });
      finished.push(wait);
      return answer;
    }));
    expect(answers.map((answer) => (answer as { id: string }[])[0]!.id)).toEqual(waits.map((wait) => `waited ${wait}`));
    expect(finished).toEqual([0, 40, 120, 240]);
    expect(peer.connections).toBe(1);
  });

  it('carry vectors both ways as float32', async () => {
    const peer = await startPeer(async (call) => [{ id: 'echo', score: 1, vector: (call as { request: { vector: Float32Array } }).request.vector }]);
    const [hit] = (await linksWith().call(peer.url, { request: { vector: [0.1, 0.2, 0.3] } })) as { vector: Float32Array }[];
    expect(hit!.vector).toEqual(Float32Array.from([0.1, 0.2, 0.3]));
  });

  it("get the peer's error with its code; a peer without the shard or a failing one is unreachable", async () => {
    const peer = await startPeer(async (call) => {
      const { fail } = call as { fail: string };
      if (fail === 'filter') throw createError('INVALID_FILTER', 'where.n', 'unknown operator $near');
      if (fail === 'shard') throw createError('CLUSTER_UNAVAILABLE', 'answer for this shard', 'no replica here');
      throw new TypeError('a bug');
    });
    const calls = linksWith();
    const filter = await calls.call(peer.url, { fail: 'filter' }).catch((error: unknown) => error);
    expect(filter).toBeInstanceOf(QuiverError);
    expect((filter as QuiverError).code).toBe('INVALID_FILTER');
    await expect(calls.call(peer.url, { fail: 'shard' })).rejects.toBeInstanceOf(PeerUnreachable);
    await expect(calls.call(peer.url, { fail: 'bug' })).rejects.toBeInstanceOf(PeerUnreachable);
    expect(peer.errors).toHaveLength(1);
    expect(String(peer.errors[0])).toMatch(/a bug/);
    // The connection outlives answered errors.
    expect(peer.connections).toBe(1);
  });

  it('are unreachable when nobody listens, and when the peer closes the connection mid-call; the next call reconnects', async () => {
    const calls = linksWith();
    await expect(calls.call('http://127.0.0.1:9', {})).rejects.toBeInstanceOf(PeerUnreachable);
    let hang = true;
    const peer = await startPeer(async () => {
      if (hang) await sleep(10_000);
      return 'answered';
    });
    const pending = calls.call(peer.url, {});
    await sleep(50);
    for (const socket of peer.sockets) socket.destroy();
    await expect(pending).rejects.toBeInstanceOf(PeerUnreachable);
    hang = false;
    await expect(calls.call(peer.url, {})).resolves.toBe('answered');
    expect(peer.connections).toBe(2);
  });

  it('time out on a peer that answers nothing, which closes the link so the next call reconnects', async () => {
    let hang = true;
    const peer = await startPeer(() => (hang ? new Promise(() => {}) : Promise.resolve('answered')));
    const calls = linksWith(200);
    const started = performance.now();
    await expect(calls.call(peer.url, {})).rejects.toThrow(/no answer in 200 ms/);
    expect(performance.now() - started).toBeLessThan(1500);
    hang = false;
    await expect(calls.call(peer.url, {})).resolves.toBe('answered');
    expect(peer.connections).toBe(2);
  });

  it('keep the link when one slow call times out while others are answered', async () => {
    const peer = await startPeer(async (call) => {
      await sleep((call as { wait: number }).wait);
      return 'done';
    });
    const calls = linksWith(300);
    const slow = calls.call(peer.url, { wait: 2000 }).catch((error: unknown) => error);
    await sleep(20);
    await calls.call(peer.url, { wait: 0 });
    expect(await slow).toBeInstanceOf(PeerUnreachable);
    await expect(calls.call(peer.url, { wait: 0 })).resolves.toBe('done');
    expect(peer.connections).toBe(1);
  });

  it("refused upgrades: a peer's error with a code is the caller's, a 503 or a foreign answer is unreachable", async () => {
    const calls = linksWith();
    const unauthorized = await startPeer(async () => 0, { status: 401, body: { code: 'UNAUTHORIZED', message: 'A valid API key is required.' } });
    const refused = await calls.call(unauthorized.url, {}).catch((error: unknown) => error);
    expect((refused as QuiverError).code).toBe('UNAUTHORIZED');
    const closing = await startPeer(async () => 0, { status: 503, body: { code: 'DATABASE_CLOSED', message: 'closing' } });
    await expect(calls.call(closing.url, {})).rejects.toBeInstanceOf(PeerUnreachable);
    const foreign = await startPeer(async () => 0, { status: 404, body: 'not json {' });
    await expect(calls.call(foreign.url, {})).rejects.toBeInstanceOf(PeerUnreachable);
  });
});
