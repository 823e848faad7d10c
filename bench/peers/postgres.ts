/**
 * A throwaway PostgreSQL cluster for the keyword benchmarks (full text:
 * tsvector / tsquery, GIN index, ts_rank / ts_rank_cd), and the `pg` client
 * from bench/peers/node_modules.
 *
 * The server binaries come from the system (Debian: `apt-get install -y
 * postgresql`, binaries under /usr/lib/postgresql/<major>/bin; or
 * QUIVER_PG_BIN). `startPostgres()` runs `initdb` into a fresh temporary
 * folder and `pg_ctl start` with `listen_addresses=127.0.0.1` on a free port
 * (no Unix socket), as the `postgres` user when this process runs as root
 * (PostgreSQL refuses to run as root), with trust authentication (loopback
 * only, a cluster that lives for one benchmark). `stop()` runs `pg_ctl stop
 * -m fast` and deletes the folder; both also happen at process exit.
 *
 * Settings: the defaults, except fsync/synchronous_commit/full_page_writes
 * off (a throwaway cluster: loading speed is not what is compared),
 * shared_buffers 256MB so the index and table stay cached, and jit off (with
 * it on, a query whose estimated cost passes jit_above_cost, such as a
 * common term over many rows, pays tens of ms of LLVM compilation every
 * time; off is the usual advice for short interactive queries).
 */
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, missingPeers, onExit, PeerUnavailable, requirePeer, run, waitForPort } from './load.js';

export const PG_PACKAGES = ['pg'] as const;

// ------------------------------------------------------------ the parts of `pg` used here

export interface PgClient {
  connect(): Promise<void>;
  query<R = Record<string, unknown>>(text: string | { text: string; values?: unknown[]; name?: string }, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  end(): Promise<void>;
}

interface PgModule {
  Client: new (config: { host: string; port: number; user: string; database: string }) => PgClient;
}

/** The newest /usr/lib/postgresql/<major>/bin holding initdb and pg_ctl, or QUIVER_PG_BIN; null when none. */
export function postgresBin(): string | null {
  const candidates: string[] = [];
  if (process.env.QUIVER_PG_BIN) candidates.push(process.env.QUIVER_PG_BIN);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const major of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, major, 'bin'));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'postgres'))) ?? null;
}

/** Why PostgreSQL cannot run here (null when it can). */
export function postgresUnavailable(): string | null {
  const missing = missingPeers(PG_PACKAGES);
  if (missing) return missing;
  if (!postgresBin()) return 'PostgreSQL server binaries not found (apt-get install -y postgresql, or set QUIVER_PG_BIN to the folder holding initdb and pg_ctl)';
  if (userInfo().uid === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root and there is no `postgres` user to run the server as';
  return null;
}

export interface Postgres {
  client: PgClient;
  port: number;
  dir: string;
  version: string;
  /** Seconds for initdb + start until a connection succeeded. */
  startSeconds: number;
  stop(): Promise<void>;
}

/** The command line to run `bin/tool args` as the postgres user when we are root. */
function asServerUser(bin: string, tool: string, args: string[]): [string, string[]] {
  if (userInfo().uid !== 0) return [join(bin, tool), args];
  return ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]];
}

export async function startPostgres(log: (message: string) => void = () => {}): Promise<Postgres> {
  const reason = postgresUnavailable();
  if (reason) throw new PeerUnavailable(reason);
  const bin = postgresBin()!;
  const pg = requirePeer<PgModule>('pg');
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'quiver-pg-'));
  const data = join(dir, 'data');
  if (userInfo().uid === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const port = await freePort();
  const pgCtl = (args: string[]) => {
    const [command, full] = asServerUser(bin, 'pg_ctl', args);
    return run(command, full, { cwd: dir });
  };
  let running = false;
  const forget = onExit(() => {
    if (running) {
      const [command, full] = asServerUser(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-s']);
      spawnSync(command, full, { cwd: dir });
    }
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    const [initdb, initArgs] = asServerUser(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    run(initdb, initArgs, { cwd: dir });
    const options = [
      `-c listen_addresses=127.0.0.1`, `-c port=${port}`, `-c unix_socket_directories=''`,
      '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c shared_buffers=256MB', '-c jit=off',
    ].join(' ');
    pgCtl(['start', '-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', '-s']);
    running = true;
    await waitForPort(port, 30_000, undefined, 'PostgreSQL');
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await client.connect();
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const startSeconds = (performance.now() - started) / 1000;
    log(`PostgreSQL ${version} on 127.0.0.1:${port} (cluster in ${dir}), up in ${startSeconds.toFixed(1)} s`);
    return {
      client, port, dir, version, startSeconds,
      async stop() {
        await client.end().catch(() => {});
        if (running) pgCtl(['stop', '-D', data, '-m', 'fast', '-s']);
        running = false;
        forget();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (running) {
      try {
        pgCtl(['stop', '-D', data, '-m', 'immediate', '-s']);
      } catch {
        // reported below
      }
    }
    running = false;
    forget();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Loads `count` documents into `docs(id int primary key, body text, tsv
 * tsvector)` with `tsv = to_tsvector(config, body)`, in batches through
 * unnest(), then builds a GIN index on tsv and ANALYZEs. Returns the load and
 * index seconds and the table + index size.
 */
export async function loadTextTable(
  client: PgClient, count: number, textOf: (i: number) => string, config: string, batchRows = 5_000,
): Promise<{ loadSeconds: number; indexSeconds: number; bytes: number }> {
  await client.query('DROP TABLE IF EXISTS docs');
  await client.query('CREATE TABLE docs (id integer PRIMARY KEY, body text NOT NULL, tsv tsvector NOT NULL)');
  let started = performance.now();
  for (let from = 0; from < count; from += batchRows) {
    const to = Math.min(count, from + batchRows);
    const ids: number[] = [];
    const bodies: string[] = [];
    for (let i = from; i < to; i++) {
      ids.push(i);
      bodies.push(textOf(i));
    }
    await client.query(
      `INSERT INTO docs (id, body, tsv) SELECT id, body, to_tsvector('${config}', body) FROM unnest($1::int[], $2::text[]) AS t(id, body)`,
      [ids, bodies],
    );
  }
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await client.query('CREATE INDEX docs_tsv ON docs USING gin (tsv)');
  await client.query('VACUUM ANALYZE docs');
  const indexSeconds = (performance.now() - started) / 1000;
  const bytes = Number((await client.query<{ b: string }>("SELECT pg_total_relation_size('docs') AS b")).rows[0]!.b);
  return { loadSeconds, indexSeconds, bytes };
}

/** Ranking functions compared; `normalization` is ts_rank's third argument (0: none; 1: divide by 1 + log(length); 2: by length; 32: rank / (rank + 1)). */
export type PgRank = { fn: 'ts_rank' | 'ts_rank_cd'; normalization: number };

/**
 * The ranking the keyword benchmarks use for PostgreSQL: the best of
 * PG_RANKS on SciFact's train queries (bench/quality.bench.ts measures them
 * all, on train and test, and records which is best on train).
 */
export const PG_RANK: PgRank = { fn: 'ts_rank', normalization: 1 };

/** The rankings quality.bench.ts compares. */
export const PG_RANKS: readonly PgRank[] = [
  { fn: 'ts_rank', normalization: 0 }, { fn: 'ts_rank', normalization: 1 }, { fn: 'ts_rank', normalization: 2 },
  { fn: 'ts_rank_cd', normalization: 0 }, { fn: 'ts_rank_cd', normalization: 1 }, { fn: 'ts_rank_cd', normalization: 2 },
];

/**
 * Top-k ids, OR semantics: the query text goes through plainto_tsquery with
 * the same text search configuration as the documents (parser, stemming,
 * stop words), and its `&`s become `|` so any term matches (as BM25 engines
 * do); matches come from the GIN index and are ordered by the rank function.
 * An all-stopword query matches nothing.
 */
export function textSearchSql(config: string, rank: PgRank): string {
  return `SELECT id FROM docs, (SELECT replace(plainto_tsquery('${config}', $1)::text, '&', '|')::tsquery AS q) AS query
    WHERE tsv @@ q ORDER BY ${rank.fn}(tsv, q, ${rank.normalization}) DESC, id LIMIT $2`;
}

/** Like textSearchSql, for queries already given as lexemes (synthetic tokens): 'a | b | c' as a tsquery. */
export function lexemeSearchSql(rank: PgRank): string {
  return `SELECT id FROM docs, (SELECT to_tsquery('simple', $1) AS q) AS query
    WHERE tsv @@ q ORDER BY ${rank.fn}(tsv, q, ${rank.normalization}) DESC, id LIMIT $2`;
}

export async function searchIds(client: PgClient, sql: string, name: string, text: string, k: number): Promise<number[]> {
  const result = await client.query<{ id: number }>({ name, text: sql, values: [text, k] });
  return result.rows.map((r) => r.id);
}
