/**
 * Shared fixtures of the client tests: the real app listening on loopback
 * (port 0), a fetch that records what the client sent, and the error a
 * promise rejects with.
 */
import { openDatabase, type Database, type Logger } from '../../src/index.js';
import { buildApp, type AppOptions, type QuiverApp } from '../../src/server/app.js';

export const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export interface LiveServer extends QuiverApp {
  db: Database;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Closes the app, then the database. */
  close(): Promise<void>;
}

/** The app over `db` (a fresh in-memory database by default) on 127.0.0.1, a free port; rate limiting off unless asked for. */
export async function startServer(options: AppOptions = {}, db?: Database): Promise<LiveServer> {
  const database = db ?? (await openDatabase({ logger: silent }));
  const built = await buildApp(database, { rateLimitMax: 0, ...options });
  const url = await built.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    ...built,
    db: database,
    url,
    async close() {
      await built.app.close();
      await database.close();
    },
  };
}

export interface Sent {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
}

/** A fetch that records each request (body parsed as JSON) and then calls the global fetch. */
export function recordingFetch(): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const recorder: typeof fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    sent.push({ method: init?.method ?? 'GET', url: new URL(String(input)), headers: new Headers(init?.headers), body });
    return fetch(input, init);
  };
  return { fetch: recorder, sent };
}

/** What `promise` rejects with; resolving fails the test. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; status?: number };
  }
  throw new Error('expected the promise to reject');
}
