/**
 * The JSON the dashboard reads from the REST API (the server's schemas in
 * src/server/schemas.ts; /docs shows them): only the fields it uses. Not
 * imported from src/core/api.ts: those types reach engine modules written
 * for Node, and the page knows the server by its REST API alone.
 */

export type Access = 'read-write' | 'read-only' | 'open';

export type Metadata = Record<string, unknown>;

export interface CollectionInfo {
  name: string;
  state: 'ready' | 'degraded';
  reason?: string;
  dimension?: number;
  metric?: string;
  quantization?: string;
  keywordOnly?: true;
  hnsw?: { m: number; efConstruction: number; ef: number; segments?: number };
  count: number;
  version: number;
  tombstones: number;
  indexingBacklog: number;
  memory: { vectors: number; graph: number };
  text?: { language?: string };
  embedder?: { model: string; provider?: string };
  /** Cluster mode. */
  shards?: number;
  replicas?: number;
}

export interface UnavailableCollection {
  name: string;
  state: 'unavailable';
  reason: string;
}

export type CollectionStatus = CollectionInfo | UnavailableCollection;

export interface CollectionList {
  collections: CollectionStatus[];
  aliases: { name: string; collection: string }[];
}

export interface StoredDocument {
  id: string;
  text?: string;
  metadata?: Metadata;
}

export interface ListPage {
  documents: StoredDocument[];
  next: string | null;
}

export type PlanKind = 'exact' | 'hnsw' | 'keyword' | 'hybrid';

export interface Explain {
  plan: PlanKind;
  vectorPlan?: 'exact' | 'hnsw';
  depth?: number;
  fallback: boolean;
  total: number;
  candidates: number;
  ef: number | null;
  forced: boolean;
  explored: boolean;
  estimates: { exact: number; hnsw: number };
  timings: { filter: number; search: number; fetch: number; total: number };
  controls?: { pool: number; aboveMinScore: number };
  shards?: Explain[];
}

export interface SearchHit {
  id: string;
  score: number;
  vectorScore?: number;
  keywordScore?: number;
  text?: string;
  metadata?: Metadata;
}

export interface SearchReply {
  hits: SearchHit[];
  explain?: Explain;
}
