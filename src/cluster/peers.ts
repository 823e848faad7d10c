/**
 * Calls to other nodes: one shard call (see ShardCall) as a POST of JSON
 * to the node's `/_cluster/shard` route, over kept-alive loopback or LAN
 * connections. A node that refuses, resets or does not answer in time is
 * reported as unreachable, so that the coordinator tries another replica;
 * an error the node answered with (a bad filter, say) is the caller's.
 */
import { Agent, request } from 'node:http';
import { QuiverError, type ErrorCode } from '../core/errors.js';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** The peer did not answer: another replica may. */
export class PeerUnreachable extends Error {}

/** The JSON reply of `body` POSTed to `base`'s shard route; a QuiverError the peer answered with is thrown as one. */
export function callPeer(base: string, body: unknown, apiKey: string | undefined, timeoutMs: number): Promise<unknown> {
  const payload = Buffer.from(JSON.stringify(body));
  const url = new URL('/_cluster/shard', base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': payload.length };
    if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
    const call = request(url, { method: 'POST', agent, headers, timeout: timeoutMs }, (reply) => {
      const chunks: Buffer[] = [];
      reply.on('data', (chunk: Buffer) => chunks.push(chunk));
      reply.on('error', (error) => reject(new PeerUnreachable(`${base}: ${error.message}`)));
      reply.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          reject(new PeerUnreachable(`${base}: an answer that is not JSON (status ${reply.statusCode})`));
          return;
        }
        if (reply.statusCode === 200) return resolve(parsed);
        const { code, message } = parsed as { code?: string; message?: string };
        // A peer shutting down, or without the shard now: another replica may answer.
        if (reply.statusCode === 503 || code === undefined) return reject(new PeerUnreachable(`${base}: ${message ?? `status ${reply.statusCode}`}`));
        reject(new QuiverError(code as ErrorCode, message ?? code));
      });
    });
    call.on('timeout', () => call.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    call.on('error', (error) => reject(new PeerUnreachable(`${base}: ${error.message}`)));
    call.end(payload);
  });
}
