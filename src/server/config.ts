/**
 * Server configuration from flags and environment variables (flags win),
 * validated once at start: every problem is reported in one INVALID_OPTIONS
 * error. Each default is declared here once.
 */
import { availableParallelism } from 'node:os';
import { resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { createError } from '../core/errors.js';
import { DEFAULT_FIELD_CACHE_BYTES, MAX_WORKERS } from '../core/options.js';

export interface ServerConfig {
  host: string;
  port: number;
  /** Data directory of the embedded store. */
  data: string;
  /**
   * Where `POST /backup` writes, each backup in a new folder the server
   * names; undefined: that route answers NOT_CONFIGURED. Never inside `data`.
   */
  backupDir: string | undefined;
  durability: 'process' | 'fsync';
  /** Worker threads for HNSW segments (see DatabaseOptions.workers); default: the number of cores. */
  workers: number;
  /** Bytes of index memory all collections may hold (see DatabaseOptions.memoryLimit); undefined: no limit but the machine's. */
  memoryLimit: number | undefined;
  /** Bytes of hits' text and metadata kept in memory (see DatabaseOptions.fieldCache). */
  fieldCache: number;
  /** Read-write key; when neither key is set, the API is open (fine on loopback, warned about elsewhere). */
  apiKey: string | undefined;
  /** Optional key that may only read. */
  readOnlyKey: string | undefined;
  /** Requests per client per window; 0 turns rate limiting off. */
  /** Requests a client may make per window; 0: no limit. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Requests without a valid key an address may make per window, when keys are on; 0: no limit. */
  authFailureLimit: number;
  /** Search results kept; 0 turns the result cache off. */
  cacheMaxEntries: number;
  cacheMaxBytes: number;
  cacheTtlMs: number;
  /** Shared second cache level, e.g. redis://127.0.0.1:6379. */
  redisUrl: string | undefined;
  /** Largest request body, in bytes. */
  bodyLimit: number;
  /** Longest a client may take to send a whole request, headers and body, in ms (Node's requestTimeout); 0: no limit. */
  requestTimeoutMs: number;
  /** Characters of large replies that may wait for their clients to read them (see reply-memory.ts). */
  pendingReplyBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `json` lines, or `text` lines for a person; by default text on a terminal, JSON otherwise. */
  logFormat: 'json' | 'text';
  /** Cluster mode (see the README's "Cluster mode"): undefined runs the embedded database alone. */
  cluster: { store: string; nodeId: string; advertise: string | undefined; bootstrap: string | undefined; holdAll: boolean } | undefined;
}

/** Listens on loopback by default: exposing the API is a deliberate choice. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_DATA = './data';
/**
 * No per-client request limit by default (as Qdrant and Chroma ship): a
 * pipeline or a benchmark on loopback is not throttled. Set one to share a
 * server between clients.
 */
export const DEFAULT_RATE_LIMIT_MAX = 0;
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000;
/**
 * With API keys on, requests without a valid key are limited per address
 * whatever QUIVER_RATE_LIMIT_MAX says: a key cannot be guessed at speed.
 */
export const DEFAULT_AUTH_FAILURE_LIMIT = 100;
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
/** 64 MiB of cached results. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;
/** Cached results live 5 minutes; writes make them unreachable sooner. */
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
/** 32 MiB: a batch of 10,000 documents of dimension 768 as JSON fits. */
export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;
/** A full body of DEFAULT_BODY_LIMIT arrives in this time at 5 Mbit/s; a client that sends half a body and stops is cut off. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** 256 MiB: several of the largest replies one read may give (src/core/query/read-budget.ts), waiting to be read at once. */
export const DEFAULT_PENDING_REPLY_BYTES = 256 * 1024 * 1024;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `--name value` / `--name=value` flags to environment-variable names. */
const FLAGS: Record<string, string> = {
  host: 'QUIVER_HOST',
  port: 'QUIVER_PORT',
  data: 'QUIVER_DATA',
  'backup-dir': 'QUIVER_BACKUP_DIR',
  durability: 'QUIVER_DURABILITY',
  'log-level': 'QUIVER_LOG_LEVEL',
  'log-format': 'QUIVER_LOG_FORMAT',
  workers: 'QUIVER_WORKERS',
  'memory-limit': 'QUIVER_MEMORY_LIMIT',
  'field-cache': 'QUIVER_FIELD_CACHE',
  'cluster-store': 'QUIVER_CLUSTER_STORE',
  'node-id': 'QUIVER_NODE_ID',
  advertise: 'QUIVER_ADVERTISE',
  'cluster-hold-all': 'QUIVER_CLUSTER_HOLD_ALL',
  'cluster-bootstrap': 'QUIVER_CLUSTER_BOOTSTRAP',
};

const FLAG_OPTIONS = Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' }])) as Record<string, { type: 'string' }>;

/** `terminal`: whether the log goes to a terminal (it picks the default log format). */
export function resolveServerConfig(env: Record<string, string | undefined>, argv: readonly string[] = [], terminal = false): ServerConfig {
  const problems: string[] = [];
  const values: Record<string, string | undefined> = { ...env };
  // Where each value came from, for the messages: a bad flag is named as the flag, not as its variable.
  const source: Record<string, string> = {};
  let flags: Record<string, string | boolean | undefined> = {};
  try {
    ({ values: flags } = parseArgs({ args: [...argv], options: FLAG_OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    // Node's message runs over several lines and suggests '--', which serve does not take.
    problems.push(`${(error as Error).message.replace(/\s*\n\s*/g, ' ').replace(/ To specify a positional argument.*$/, '')} (flags: ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')})`);
  }
  for (const [flag, variable] of Object.entries(FLAGS)) {
    const value = flags[flag];
    if (typeof value !== 'string') continue;
    values[variable] = value;
    source[variable] = `--${flag}`;
  }
  const named = (name: string) => source[name] ?? name;

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = values[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${named(name)} must be an integer from ${min} to ${max}, got '${raw}'`);
      return fallback;
    }
    return parsed;
  };
  const text = (name: string): string | undefined => {
    const raw = values[name];
    return raw === undefined || raw === '' ? undefined : raw;
  };

  const durability = text('QUIVER_DURABILITY') ?? 'process';
  if (durability !== 'process' && durability !== 'fsync') problems.push(`${named('QUIVER_DURABILITY')} must be 'process' or 'fsync', got '${durability}'`);
  const logLevel = text('QUIVER_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`${named('QUIVER_LOG_LEVEL')} must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  const logFormat = text('QUIVER_LOG_FORMAT') ?? (terminal ? 'text' : 'json');
  if (logFormat !== 'json' && logFormat !== 'text') problems.push(`${named('QUIVER_LOG_FORMAT')} must be 'json' or 'text', got '${logFormat}'`);
  const apiKey = text('QUIVER_API_KEY');
  const readOnlyKey = text('QUIVER_READ_ONLY_KEY');
  if (readOnlyKey !== undefined && apiKey === undefined) problems.push('QUIVER_READ_ONLY_KEY needs QUIVER_API_KEY too');
  if (apiKey !== undefined && apiKey === readOnlyKey) problems.push('QUIVER_API_KEY and QUIVER_READ_ONLY_KEY must differ');
  for (const [name, key] of [['QUIVER_API_KEY', apiKey], ['QUIVER_READ_ONLY_KEY', readOnlyKey]] as const) {
    if (key !== undefined && key.length < 16) problems.push(`${name} must be at least 16 characters`);
  }
  const redisUrl = text('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) problems.push(`REDIS_URL must start with redis:// or rediss://, got '${redisUrl}'`);

  const clusterStore = text('QUIVER_CLUSTER_STORE');
  const nodeId = text('QUIVER_NODE_ID');
  const advertise = text('QUIVER_ADVERTISE');
  if (clusterStore !== undefined && !/^postgres(ql)?:\/\//.test(clusterStore)) problems.push(`${named('QUIVER_CLUSTER_STORE')} must be a postgres:// URL, got '${clusterStore}'`);
  if (clusterStore !== undefined && nodeId === undefined) problems.push(`${named('QUIVER_CLUSTER_STORE')} needs a node id too (--node-id or QUIVER_NODE_ID)`);
  const holdAll = text('QUIVER_CLUSTER_HOLD_ALL') ?? 'false';
  if (holdAll !== 'true' && holdAll !== 'false') problems.push(`${named('QUIVER_CLUSTER_HOLD_ALL')} must be 'true' or 'false', got '${holdAll}'`);
  if (clusterStore === undefined && (nodeId !== undefined || advertise !== undefined)) problems.push('--node-id and --advertise are for cluster mode: give --cluster-store (QUIVER_CLUSTER_STORE) too');

  const config: ServerConfig = {
    cluster: clusterStore === undefined || nodeId === undefined ? undefined : { store: clusterStore, nodeId, advertise, bootstrap: text('QUIVER_CLUSTER_BOOTSTRAP'), holdAll: holdAll === 'true' },
    host: text('QUIVER_HOST') ?? DEFAULT_HOST,
    port: integer('QUIVER_PORT', DEFAULT_PORT, 0, 65_535),
    data: text('QUIVER_DATA') ?? DEFAULT_DATA,
    backupDir: text('QUIVER_BACKUP_DIR'),
    durability: durability as ServerConfig['durability'],
    workers: integer('QUIVER_WORKERS', availableParallelism(), 0, MAX_WORKERS),
    memoryLimit: text('QUIVER_MEMORY_LIMIT') === undefined ? undefined : integer('QUIVER_MEMORY_LIMIT', 0, 1, Number.MAX_SAFE_INTEGER),
    fieldCache: integer('QUIVER_FIELD_CACHE', DEFAULT_FIELD_CACHE_BYTES, 0, Number.MAX_SAFE_INTEGER),
    apiKey,
    readOnlyKey,
    rateLimitMax: integer('QUIVER_RATE_LIMIT_MAX', DEFAULT_RATE_LIMIT_MAX, 0, 1e9),
    rateLimitWindowMs: integer('QUIVER_RATE_LIMIT_WINDOW_MS', DEFAULT_RATE_LIMIT_WINDOW_MS, 1, 86_400_000),
    authFailureLimit: integer('QUIVER_AUTH_FAILURE_LIMIT', DEFAULT_AUTH_FAILURE_LIMIT, 0, 1e9),
    cacheMaxEntries: integer('QUIVER_CACHE_MAX_ENTRIES', DEFAULT_CACHE_MAX_ENTRIES, 0, 1e9),
    cacheMaxBytes: integer('QUIVER_CACHE_MAX_BYTES', DEFAULT_CACHE_MAX_BYTES, 1024, 2 ** 40),
    cacheTtlMs: integer('QUIVER_CACHE_TTL_MS', DEFAULT_CACHE_TTL_MS, 1, 86_400_000 * 30),
    redisUrl,
    bodyLimit: integer('QUIVER_BODY_LIMIT', DEFAULT_BODY_LIMIT, 1024, 2 ** 31 - 1),
    requestTimeoutMs: integer('QUIVER_REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 0, 86_400_000),
    pendingReplyBytes: integer('QUIVER_PENDING_REPLY_BYTES', DEFAULT_PENDING_REPLY_BYTES, 2 ** 20, 2 ** 40),
    logLevel: logLevel as ServerConfig['logLevel'],
    logFormat: logFormat as ServerConfig['logFormat'],
  };
  if (config.backupDir !== undefined && isWithin(resolve(config.backupDir), resolve(config.data))) {
    problems.push(`${named('QUIVER_BACKUP_DIR')} must be outside the data directory (a backup inside it would be lost with it), got '${config.backupDir}'`);
  }
  if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
  return Object.freeze(config);
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}
