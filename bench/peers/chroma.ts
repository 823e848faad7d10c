/**
 * Chroma for the benchmarks: the server that ships in the `chromadb` npm
 * package (3.0.3; its `chroma` CLI runs the Rust server from
 * chromadb-js-bindings-linux-x64-gnu 0.1.3, the last bindings this glibc
 * runs) as a child process, `chroma run --path <temp dir> --host 127.0.0.1
 * --port <free port>`, and the `chromadb` JS client against it.
 *
 * Embeddings are passed explicitly: collections are created with a stand-in
 * embedding function that throws if ever called (so the client neither loads
 * nor asks for @chroma-core/default-embed, and records no embedding function
 * on the collection), and every add/query carries vectors.
 *
 * HNSW settings go in the collection configuration (`hnsw: { space,
 * max_neighbors, ef_construction, ef_search }`, the 3.x form of the
 * `hnsw:space`, `hnsw:M`, `hnsw:construction_ef`, `hnsw:search_ef`
 * metadata). The server reads ef_search when it loads a collection's HNSW
 * segment into its cache, so a changed ef_search (collection.modify) only
 * takes effect once the server has been restarted: `ChromaServer.restart()`
 * stops and starts it on the same data folder and port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { freePort, missingPeers, onExit, peerFile, PeerUnavailable, spawn, stopChild, tailBuffer, waitForPort } from './load.js';

export const CHROMA_PACKAGES = ['chromadb', 'chromadb-js-bindings-linux-x64-gnu'] as const;

// ------------------------------------------------------------ the parts of the client used here

export interface ChromaCollection {
  add(args: { ids: string[]; embeddings: number[][]; metadatas?: Record<string, number>[] }): Promise<void>;
  query(args: { queryEmbeddings: number[][]; nResults: number; include: string[]; where?: Record<string, unknown> }): Promise<{ ids: string[][] }>;
  count(): Promise<number>;
  modify(args: { configuration: { hnsw: { ef_search: number } } }): Promise<void>;
  configuration: { hnsw?: { ef_search?: number | null; max_neighbors?: number | null; ef_construction?: number | null; space?: string | null } | null };
}

interface ChromaClient {
  createCollection(args: { name: string; configuration: Record<string, unknown>; embeddingFunction: unknown }): Promise<ChromaCollection>;
  getCollection(args: { name: string; embeddingFunction: unknown }): Promise<ChromaCollection>;
  heartbeat(): Promise<number>;
}

interface ChromaModule {
  ChromaClient: new (args: { host: string; port: number; ssl: boolean }) => ChromaClient;
}

/**
 * Stands in for an embedding function: the client only stores "legacy" for
 * it. Its `generate` is never called since every call passes embeddings.
 */
export const NO_EMBEDDINGS = {
  generate: async (): Promise<number[][]> => {
    throw new Error('this benchmark passes embeddings explicitly');
  },
};

let clientModule: ChromaModule | null = null;

async function loadClient(): Promise<ChromaModule> {
  if (clientModule) return clientModule;
  const missing = missingPeers(CHROMA_PACKAGES);
  if (missing) throw new PeerUnavailable(missing);
  // The ESM build (its package "import" export), by absolute path.
  clientModule = (await import(pathToFileURL(peerFile('chromadb', 'dist/chromadb.mjs')).href)) as ChromaModule;
  return clientModule;
}

/** A Chroma server on 127.0.0.1 in its own temporary data folder. */
export class ChromaServer {
  private child: ChildProcess | null = null;
  private forget: () => void = () => {};
  private output: () => string = () => '';
  client!: ChromaClient;
  /** Seconds the last start took until the server answered a heartbeat. */
  lastStartSeconds = 0;

  private constructor(readonly dir: string, readonly port: number, private readonly module: ChromaModule) {}

  static async start(log: (message: string) => void = () => {}): Promise<ChromaServer> {
    const module = await loadClient();
    const dir = mkdtempSync(join(tmpdir(), 'quiver-chroma-'));
    const server = new ChromaServer(dir, await freePort(), module);
    try {
      await server.launch();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    log(`Chroma server on 127.0.0.1:${server.port} (data in ${dir}), up in ${server.lastStartSeconds.toFixed(2)} s`);
    return server;
  }

  private async launch(): Promise<void> {
    const started = performance.now();
    const cli = peerFile('chromadb', 'dist/cli.mjs');
    const child = spawn(process.execPath, [cli, 'run', '--path', this.dir, '--host', '127.0.0.1', '--port', String(this.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ANONYMIZED_TELEMETRY: 'False', CHROMA_TELEMETRY: 'False' },
    });
    this.child = child;
    this.output = tailBuffer(child);
    const dir = this.dir;
    this.forget = onExit(() => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    try {
      await waitForPort(this.port, 60_000, child, 'the Chroma server');
      this.client = new this.module.ChromaClient({ host: '127.0.0.1', port: this.port, ssl: false });
      // The port opens a moment before the API answers.
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await this.client.heartbeat();
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } catch (error) {
      await stopChild(child);
      throw new Error(`${(error as Error).message}; server output: ${this.output()}`);
    }
    this.lastStartSeconds = (performance.now() - started) / 1000;
  }

  /** Stops the server process (its data folder stays for a restart). */
  async stopProcess(): Promise<void> {
    if (this.child) await stopChild(this.child);
    this.child = null;
  }

  /** Stops and starts the server on the same data and port (new settings such as ef_search take effect). */
  async restart(): Promise<void> {
    await this.stopProcess();
    await this.launch();
  }

  /** Stops the server and deletes its data folder. */
  async stop(): Promise<void> {
    await this.stopProcess();
    this.forget();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server process's id (its CPU time is not this process's). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }
}

/** Creates a collection with HNSW settings and no embedding function. */
export async function createVectorCollection(
  server: ChromaServer, name: string, space: 'l2' | 'cosine', hnsw: { m: number; efConstruction: number; ef: number },
): Promise<ChromaCollection> {
  return server.client.createCollection({
    name,
    configuration: { hnsw: { space, max_neighbors: hnsw.m, ef_construction: hnsw.efConstruction, ef_search: hnsw.ef } },
    embeddingFunction: NO_EMBEDDINGS,
  });
}

export async function getCollection(server: ChromaServer, name: string): Promise<ChromaCollection> {
  return server.client.getCollection({ name, embeddingFunction: NO_EMBEDDINGS });
}

/** Top-k ids (row numbers) of one query. */
export async function chromaSearch(collection: ChromaCollection, query: number[], k: number, where?: Record<string, unknown>): Promise<number[]> {
  const result = await collection.query({ queryEmbeddings: [query], nResults: k, include: ['distances'], ...(where ? { where } : {}) });
  return (result.ids[0] ?? []).map(Number);
}
