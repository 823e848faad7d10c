/**
 * Wiring: configuration -> database -> app -> listen, and graceful shutdown.
 * The only module with side effects at run time (started by cli.ts).
 */
import { createServer } from 'node:net';
import { openDatabase } from '../index.js';
import { RedisCache } from '../server/cache/redis-cache.js';
import { buildApp } from '../server/app.js';
import { resolveServerConfig } from '../server/config.js';
import { createServerLogger, engineLogger } from '../server/logger.js';

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** Fails with a message that says what to do when another process listens on `port` (0: any free port, never in use). */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    throw new Error(`port ${port} on ${host} is in use (another quiver serve?): stop that process, or pass another --port (or QUIVER_PORT)`);
  }
  await new Promise((resolve) => probe.close(resolve));
}

export async function serve(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = resolveServerConfig(env, argv, process.stdout.isTTY === true);
  // Before the data directory is made or opened: a port in use must leave nothing behind.
  await checkPortFree(config.host, config.port);
  const log = createServerLogger(config);
  const embedded = {
    path: config.data, durability: config.durability, workers: config.workers, memoryLimit: config.memoryLimit, fieldCache: config.fieldCache,
    logger: engineLogger(log),
  };
  const db = config.cluster === undefined
    ? await openDatabase(embedded)
    : await openDatabase({ ...embedded, cluster: { ...config.cluster, apiKey: config.apiKey } });
  let secondLevelCache: RedisCache | undefined;
  if (config.redisUrl !== undefined) {
    secondLevelCache = new RedisCache(config.redisUrl);
    await secondLevelCache.ready();
  }
  const { app, drain } = await buildApp(db, { ...config, secondLevelCache, logger: log });
  if (config.apiKey === undefined && !LOOPBACK.test(config.host)) {
    app.log.warn(`no QUIVER_API_KEY is set and the API listens on ${config.host}: anyone who can reach it can read and write`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: stopping (finishing in-flight requests, snapshotting)`);
    drain();
    try {
      await app.close(); // stops accepting, waits for in-flight requests
      await db.close(); // snapshots what changed, closes the store
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const listening = (address: string) => `quiver listening on ${address} (data: ${config.data})`;
  const address = await app.listen({ host: config.host, port: config.port, listenTextResolver: listening });
  // Logged at info; with the log set quieter, still one plain line, so scripts and people know where it is.
  if (!log.isLevelEnabled('info')) process.stdout.write(`${listening(address)}\n`);
}
