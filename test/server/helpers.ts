/**
 * Shared fixtures of the server tests: an app over an in-memory database
 * (app.inject only, no ports), a small seeded collection, base64 vectors and
 * a digest of everything stored, to prove a rejected request changed nothing.
 */
import { createHash } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { openDatabase, type Database, type Logger } from '../../src/index.js';
import { buildApp, type AppOptions, type QuiverApp } from '../../src/server/app.js';

export const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export interface TestApp extends QuiverApp {
  db: Database;
  /** Closes the app, then the database. */
  close(): Promise<void>;
}

/** An app over `db` (a fresh in-memory database by default), with rate limiting off unless asked for. */
export async function makeApp(options: AppOptions = {}, db?: Database): Promise<TestApp> {
  const database = db ?? (await openDatabase({ logger: silent }));
  const built = await buildApp(database, { rateLimitMax: 0, ...options });
  return {
    ...built,
    db: database,
    async close() {
      await built.app.close();
      await database.close();
    },
  };
}

export const DIMENSION = 4;
export const COLLECTION = 'docs';
export const SEED_COUNT = 20;

/** The vector of seeded document i: small dyadic values, exact in float32, never all zero. */
export function seedVector(i: number): number[] {
  return [1 + (i % 5), (i % 7) - 3, 0.5 * (i % 3), -0.25 * (i % 4) + 1];
}

/** Creates `docs` (dimension 4, cosine) with 20 documents: metadata { group: i % 3, price: i }, text `document i`. */
export async function seed(app: QuiverApp['app'], name = COLLECTION): Promise<void> {
  expectStatus(await send(app, 'POST', '/collections', { name, dimension: DIMENSION, metric: 'cosine' }), 201);
  const documents = Array.from({ length: SEED_COUNT }, (_, i) => ({
    id: `d${i}`,
    vector: seedVector(i),
    text: `document ${i}`,
    metadata: { group: i % 3, price: i, tags: i % 2 === 0 ? ['even'] : ['odd'] },
  }));
  expectStatus(await send(app, 'POST', `/collections/${name}/documents`, { documents }), 200);
}

/** A JSON request (objects are serialised; strings are sent as they are, as application/json unless headers say otherwise). */
export function send(
  app: QuiverApp['app'],
  method: InjectOptions['method'],
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const options: InjectOptions = { method, url, headers: { ...headers } };
  if (body !== undefined) {
    options.payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    options.headers = { 'content-type': 'application/json', ...headers };
  }
  return app.inject(options);
}

export function expectStatus(response: LightMyRequestResponse, status: number): LightMyRequestResponse {
  if (response.statusCode !== status) {
    throw new Error(`expected status ${status}, got ${response.statusCode}: ${response.body.slice(0, 500)}`);
  }
  return response;
}

/** Base64 of little-endian float32 values (what OpenAI's `encoding_format: base64` returns). */
export function base64(values: readonly number[] | Float32Array): string {
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  const bytes = Buffer.alloc(floats.length * 4);
  floats.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}

export interface ErrorReply {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

/** The error body, checked for the standard shape `{ statusCode, code, error, message }`. */
export function errorOf(response: LightMyRequestResponse): ErrorReply {
  const body = response.json() as ErrorReply;
  if (
    Object.keys(body).sort().join() !== 'code,error,message,statusCode' ||
    body.statusCode !== response.statusCode ||
    typeof body.error !== 'string' ||
    typeof body.message !== 'string'
  ) {
    throw new Error(`not a standard error body: ${response.body.slice(0, 500)}`);
  }
  return body;
}

/** Every collection's status without `indexingBacklog`, which falls to 0 on its own as the workers catch up. */
export function stableStatuses(db: Database) {
  return db.listCollections().map((status) => {
    if (status.state !== 'ready') return status;
    const { indexingBacklog: _transient, ...stable } = status;
    return stable;
  });
}

/**
 * SHA-256 over every collection's settings, count and version and every
 * document (id, vector bytes, text, metadata), read through the library API.
 */
export async function digest(db: Database): Promise<string> {
  const hash = createHash('sha256');
  for (const status of stableStatuses(db).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(JSON.stringify(status));
    if (status.state !== 'ready') continue;
    const collection = db.collection(status.name);
    let after: string | undefined;
    do {
      const page = await collection.list({ limit: 1000, include: ['vector', 'text', 'metadata'], ...(after === undefined ? {} : { after }) });
      for (const document of page.documents) {
        hash.update(JSON.stringify({ ...document, vector: Buffer.from(document.vector!.buffer, document.vector!.byteOffset, document.vector!.byteLength).toString('hex') }));
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
  }
  return hash.digest('hex');
}

/** Values of one Prometheus metric, by label set (`{}` when unlabelled). */
export function metricValues(text: string, name: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (.+)$/.exec(line);
    if (match && match[1] === name) values.set(match[2] ?? '{}', Number(match[3]));
  }
  return values;
}

export function metricValue(text: string, name: string, labels = '{}'): number | undefined {
  return metricValues(text, name).get(labels);
}
