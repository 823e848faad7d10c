/**
 * JSON schemas of every request and response. Objects are closed
 * (`additionalProperties: false`) except metadata and filters, which are the
 * caller's own JSON. Limits come from src/core/options.ts. Request types are
 * inferred from the schemas, so a schema and its handler cannot drift apart.
 * It is over 600 lines, long because the shared pieces (ids, vectors,
 * filters, metadata, consistency) are defined once for every route that
 * takes them; splitting it by route would export those pieces instead.
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import {
  COLLECTION_NAME_PATTERN,
  ENV_NAME_PATTERN,
  MAX_BATCH_SIZE,
  MAX_EMBED_BATCH,
  MAX_EMBED_RETRIES,
  MAX_EMBED_TIMEOUT_MS,
  MAX_MODEL_NAME_LENGTH,
  MAX_DIMENSION,
  MAX_EF,
  MAX_EXAMPLE_IDS,
  MAX_GROUP_SIZE,
  MAX_HNSW_M,
  MAX_MMR_CANDIDATES,
  MAX_SEGMENTS,
  MAX_ID_BYTES,
  MAX_K,
  MAX_LIST_LIMIT,
  MAX_GET_IDS,
  MAX_QUERY_TERMS,
  MAX_QUERY_TEXT_LENGTH,
  MAX_RESULT_FIELD_BYTES,
  MAX_RESULT_VECTOR_VALUES,
  MAX_RERANK,
  MAX_TEXT_LENGTH,
  METRICS,
  QUANTIZATIONS,
  TEXT_LANGUAGES,
} from '../core/options.js';

/** Most searches in one batch request. */
export const MAX_BATCH_SEARCHES = 100;
/** Most bytes of JSON one batch search reply may carry: a few single replies at their largest (see READ_LIMITS). */
export const MAX_BATCH_REPLY_BYTES = 64 * 2 ** 20;

const name = { type: 'string', pattern: COLLECTION_NAME_PATTERN.source } as const;
const id = { type: 'string', minLength: 1, maxLength: MAX_ID_BYTES } as const;
const metadata = { type: 'object', additionalProperties: true } as const;
const filter = { type: 'object', additionalProperties: true, description: 'Metadata filter: $eq $ne $in $nin $gt $gte $lt $lte $exists $and $or $not' } as const;

/** A vector as a JSON array, or as base64 of little-endian float32 bytes (as OpenAI's `encoding_format: base64`). */
export const vector = {
  oneOf: [
    { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: MAX_DIMENSION },
    // Base64 takes 4 characters for every 3 bytes, and a float32 is 4 bytes.
    { type: 'string', minLength: 4, maxLength: 4 * Math.ceil((MAX_DIMENSION * 4) / 3), pattern: '^[A-Za-z0-9+/]*={0,2}$' },
  ],
} as const;

/** The bounds of one read (src/core/query/read-budget.ts), said once for every read's description. */
const READ_LIMITS =
  `One reply carries at most ${MAX_RESULT_VECTOR_VALUES} vector components (hits x dimension, with vector in include) ` +
  `and ${MAX_RESULT_FIELD_BYTES} characters of text and metadata; past either the request fails with LIMIT_EXCEEDED.`;

const include = {
  type: 'array',
  items: { type: 'string', enum: ['metadata', 'text', 'vector'] },
  uniqueItems: true,
  description: `Fields returned with each hit or document besides the id; default metadata and text. ${READ_LIMITS}`,
} as const;

export const collectionParams = {
  type: 'object',
  properties: { name },
  required: ['name'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const documentParams = {
  type: 'object',
  properties: { name, id },
  required: ['name', 'id'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const createCollectionBody = {
  type: 'object',
  properties: {
    name,
    dimension: { type: 'integer', minimum: 1, maximum: MAX_DIMENSION, description: 'Vector length. Without it the collection is keyword-only: text and metadata, keyword search and filters.' },
    metric: { type: 'string', enum: [...METRICS] },
    quantization: { type: 'string', enum: [...QUANTIZATIONS] },
    rerank: { type: 'integer', minimum: 1, maximum: MAX_RERANK },
    text: {
      type: 'object',
      description: 'Keyword tokenizer: language, stemming, stopwords, cjk (words | bigrams | both).',
      properties: {
        language: { type: 'string', enum: [...TEXT_LANGUAGES] },
        stemming: { type: 'boolean' },
        stopwords: { type: 'boolean' },
        cjk: { type: 'string', enum: ['words', 'bigrams', 'both'] },
      },
      additionalProperties: false,
    },
    bm25: {
      type: 'object',
      properties: { k1: { type: 'number', minimum: 0, maximum: 10 }, b: { type: 'number', minimum: 0, maximum: 1 } },
      additionalProperties: false,
    },
    hnsw: {
      type: 'object',
      properties: {
        m: { type: 'integer', minimum: 2, maximum: MAX_HNSW_M },
        efConstruction: { type: 'integer', minimum: 1, maximum: MAX_EF },
        ef: { type: 'integer', minimum: 1, maximum: MAX_EF },
        segments: { type: 'integer', minimum: 1, maximum: MAX_SEGMENTS },
      },
      additionalProperties: false,
    },
    embedder: {
      type: 'object',
      description: 'The model that embeds text: an upsert without a vector embeds its text, a search with text alone runs as semantic search. provider "openai": any OpenAI-compatible /embeddings endpoint; the API key stays in the environment variable apiKeyEnv names.',
      properties: {
        provider: { type: 'string', enum: ['openai', 'local'] },
        url: { type: 'string', description: 'Base URL, to which /embeddings is added: https://api.openai.com/v1, http://127.0.0.1:11434/v1 (Ollama).' },
        model: { type: 'string', minLength: 1, maxLength: MAX_MODEL_NAME_LENGTH },
        dimensions: { type: 'integer', minimum: 1, description: 'Sent as the request\'s dimensions; must be the collection\'s dimension.' },
        apiKeyEnv: { type: 'string', pattern: ENV_NAME_PATTERN.source, description: 'The environment variable (of the server) holding the API key.' },
        batchSize: { type: 'integer', minimum: 1, maximum: MAX_EMBED_BATCH },
        timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_EMBED_TIMEOUT_MS },
        maxRetries: { type: 'integer', minimum: 0, maximum: MAX_EMBED_RETRIES },
      },
      required: ['provider', 'model'],
      additionalProperties: false,
    },
    shards: { type: 'integer', minimum: 1, maximum: 256, description: 'Cluster mode: shards, fixed at creation (default 1). An embedded server refuses it.' },
    replicas: { type: 'integer', minimum: 1, maximum: 64, description: 'Cluster mode: copies of each shard on distinct nodes (default 2). An embedded server refuses it.' },
  },
  required: ['name'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const hnswInfo = {
  type: 'object',
  properties: { m: { type: 'integer' }, efConstruction: { type: 'integer' }, ef: { type: 'integer' }, segments: { type: 'integer' } },
  required: ['m', 'efConstruction', 'ef', 'segments'],
  additionalProperties: false,
} as const;

export const collectionInfo = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    state: {
      type: 'string',
      enum: ['ready', 'degraded', 'unavailable'],
      description: 'ready; degraded: the in-memory index could not be built on open, documents can be read and deleted, not searched or written; unavailable: the collection could not be opened at all. `reason` says why.',
    },
    reason: { type: 'string' },
    shards: { type: 'integer', description: 'Cluster mode: the collection\'s shards.' },
    replicas: { type: 'integer', description: 'Cluster mode: copies of each shard.' },
    localShards: { type: 'array', items: { type: 'integer' }, description: 'Cluster mode: the shards this node holds a replica of.' },
    dimension: { type: 'integer' },
    keywordOnly: { type: 'boolean', description: 'true for a collection created without a dimension: text and metadata only, keyword search and filters.' },
    metric: { type: 'string' },
    quantization: { type: 'string' },
    count: { type: 'integer' },
    version: { type: 'integer' },
    tombstones: { type: 'integer' },
    indexingBacklog: { type: 'integer', description: 'Documents whose graph insert has not run yet (searched exactly meanwhile).' },
    memory: {
      type: 'object',
      description: 'Bytes the in-memory indexes hold: vectors (f32 rows or int8 codes) in WebAssembly memory, and the HNSW graph (estimated).',
      properties: { vectors: { type: 'integer' }, graph: { type: 'integer' } },
      required: ['vectors', 'graph'],
      additionalProperties: false,
    },
    hnsw: hnswInfo,
    text: {
      type: 'object',
      properties: { language: { type: 'string' }, stemming: { type: 'boolean' }, stopwords: { type: 'boolean' }, cjk: { type: 'string' } },
      additionalProperties: false,
    },
    bm25: { type: 'object', properties: { k1: { type: 'number' }, b: { type: 'number' } }, additionalProperties: false },
    embedder: { type: 'object', additionalProperties: true, description: 'The collection\'s embedder, as created (never a key).' },
  },
  required: ['name', 'state'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const aliasInfo = {
  type: 'object',
  properties: { alias: name, collection: name },
  required: ['alias', 'collection'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const collectionList = {
  type: 'object',
  properties: {
    collections: { type: 'array', items: collectionInfo },
    aliases: { type: 'array', items: aliasInfo, description: 'Every alias and the collection it names.' },
  },
  required: ['collections', 'aliases'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const aliasList = {
  type: 'object',
  properties: { aliases: { type: 'array', items: aliasInfo } },
  required: ['aliases'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const aliasParams = {
  type: 'object',
  properties: { alias: name },
  required: ['alias'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const switchAliasBody = {
  type: 'object',
  properties: { collection: name },
  required: ['collection'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const documentIn = {
  type: 'object',
  properties: {
    id,
    vector,
    text: { type: 'string', maxLength: MAX_TEXT_LENGTH },
    metadata,
  },
  required: ['id'],
  description: 'vector is required in a collection with a dimension, and refused in a keyword-only one.',
  additionalProperties: false,
} as const;

export const upsertBody = {
  type: 'object',
  properties: { documents: { type: 'array', items: documentIn, minItems: 1, maxItems: MAX_BATCH_SIZE } },
  required: ['documents'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const writeResult = {
  type: 'object',
  properties: { upserted: { type: 'integer' }, deleted: { type: 'integer' }, version: { type: 'integer' } },
  required: ['version'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const documentOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    vector: { type: 'array', items: { type: 'number' } },
    text: { type: 'string' },
    metadata,
  },
  required: ['id'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** A read's consistency in cluster mode (an embedded database's reads always see every acknowledged write). */
const consistency = {
  type: 'string',
  enum: ['eventual', 'session', 'strong'],
  description: 'Cluster mode: eventual (what the replica holds), session (default: at least minVersion) or strong (the version PostgreSQL holds as the read starts). Embedded: ignored, every read is strong.',
} as const satisfies JSONSchema;
const minVersion = {
  type: 'integer',
  minimum: 0,
  description: 'Cluster mode, with session consistency: a version the read must reflect (the version a write replied with).',
} as const satisfies JSONSchema;

export const getBody = {
  type: 'object',
  properties: {
    ids: { type: 'array', items: id, minItems: 1, maxItems: MAX_BATCH_SIZE, description: `At most ${MAX_GET_IDS} (LIMIT_EXCEEDED past that).` },
    include: { ...include, description: `Fields returned besides the id; default all three. ${READ_LIMITS}` },
    consistency,
    minVersion,
  },
  required: ['ids'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const getResult = {
  type: 'object',
  properties: {
    documents: { type: 'array', items: documentOut },
    missing: { type: 'array', items: { type: 'string' } },
  },
  required: ['documents', 'missing'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** Says that a filter without conditions ({}), which matches every document, is meant. */
const all = {
  type: 'boolean',
  description: 'Required (true) when the filter has no condition ({}) and so matches every document; otherwise such a request is refused with INVALID_FILTER.',
} as const;

export const deleteBody = {
  type: 'object',
  description: 'Exactly one of ids or filter (with all: true to delete every document with the filter {}).',
  properties: {
    ids: { type: 'array', items: id, minItems: 1, maxItems: MAX_BATCH_SIZE },
    filter,
    all,
  },
  oneOf: [{ required: ['ids'], not: { required: ['all'] } }, { required: ['filter'] }],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** A change to stored fields without the vector (the library's FieldChange). */
const fieldChangeProperties = {
  set: { ...metadata, description: 'Top-level metadata keys to set; other keys are kept.' },
  unset: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: MAX_BATCH_SIZE, description: 'Top-level metadata keys to remove.' },
  metadata: { type: ['object', 'null'], additionalProperties: true, description: 'The whole metadata to store instead (null: none). Not with set or unset.' },
  text: { type: ['string', 'null'], maxLength: MAX_TEXT_LENGTH, description: 'The text to store instead (null: none).' },
} as const;

export const fieldChange = {
  type: 'object',
  description: 'Applied in order: metadata replaces the whole metadata, set sets keys, unset removes keys; text replaces the text. The vector is kept.',
  properties: fieldChangeProperties,
  minProperties: 1,
  additionalProperties: false,
} as const satisfies JSONSchema;

export const updateBody = {
  type: 'object',
  description: 'Either updates (changes by id; an id that does not exist rejects the whole request with DOCUMENT_NOT_FOUND) or filter with change.',
  properties: {
    updates: {
      type: 'array',
      items: { type: 'object', properties: { id, ...fieldChangeProperties }, required: ['id'], minProperties: 2, additionalProperties: false },
      minItems: 1,
      maxItems: MAX_BATCH_SIZE,
    },
    filter,
    change: fieldChange,
    all,
  },
  oneOf: [
    { required: ['updates'], not: { anyOf: [{ required: ['filter'] }, { required: ['change'] }, { required: ['all'] }] } },
    { required: ['filter', 'change'] },
  ],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const updateResult = {
  type: 'object',
  properties: { updated: { type: 'integer' }, version: { type: 'integer' } },
  required: ['updated', 'version'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const countBody = {
  type: 'object',
  properties: { filter, consistency, minVersion },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const countResult = {
  type: 'object',
  properties: { count: { type: 'integer' } },
  required: ['count'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** No options yet: an empty object, so options can be added without a new route. */
export const optimizeBody = {
  type: 'object',
  properties: {},
  additionalProperties: false,
} as const satisfies JSONSchema;

export const optimizeResult = {
  type: 'object',
  description: 'What collection.optimize() laid out afresh: the HNSW segments, the bytes they went through on disk, the seconds taken.',
  properties: { segments: { type: 'integer' }, bytes: { type: 'integer' }, seconds: { type: 'number' } },
  required: ['segments', 'bytes', 'seconds'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const listBody = {
  type: 'object',
  properties: {
    filter,
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT },
    after: { type: 'string', pattern: '^[0-9]+$', description: 'The next cursor of the previous page.' },
    include,
  },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const listResult = {
  type: 'object',
  properties: {
    documents: { type: 'array', items: documentOut },
    next: { type: ['string', 'null'] },
  },
  required: ['documents', 'next'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const searchBody = {
  type: 'object',
  description: 'A vector, a text query, or both (hybrid).',
  properties: {
    vector,
    text: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_QUERY_TEXT_LENGTH,
      description: `Keyword query (BM25), of at most ${MAX_QUERY_TERMS} distinct terms once tokenized (LIMIT_EXCEEDED past that).`,
    },
    fusion: { type: 'string', enum: ['relativeScore', 'rrf'], description: 'Hybrid fusion; default relativeScore.' },
    alpha: { type: 'number', minimum: 0, maximum: 1, description: 'relativeScore weight of the vector side; default 0.5.' },
    k: { type: 'integer', minimum: 1, maximum: MAX_K },
    filter,
    ef: { type: 'integer', minimum: 1, maximum: MAX_EF },
    exact: { type: 'boolean', description: 'true: exact scan; false: HNSW; omitted: the planner chooses.' },
    quantized: { type: 'boolean' },
    explain: { type: 'boolean' },
    include,
    offset: { type: 'integer', minimum: 0, maximum: MAX_K, description: `Hits (or groups) to skip, after the other controls; offset + k at most ${MAX_K}.` },
    minScore: { type: 'number', description: 'Only hits scoring at least this.' },
    groupBy: { type: 'string', minLength: 1, description: 'A metadata field (a.b nested): best group first, k groups of up to groupSize hits.' },
    groupSize: { type: 'integer', minimum: 1, maximum: MAX_GROUP_SIZE, description: 'Hits per group (default 1).' },
    mode: { type: 'string', enum: ['keyword', 'semantic', 'hybrid'], description: 'What text alone does: keyword (BM25), semantic (embedded by the collection\'s embedder) or hybrid; default semantic with an embedder, else keyword.' },
    model: { type: 'string', minLength: 1, maxLength: MAX_MODEL_NAME_LENGTH, description: 'The model that made the vector: refused (EMBEDDER_MISMATCH) unless it is the collection\'s embedder\'s.' },
    mmr: {
      type: 'object',
      description: 'Maximal marginal relevance: hits re-ranked for diversity.',
      properties: {
        lambda: { type: 'number', minimum: 0, maximum: 1, description: '1 keeps the search order, 0 is the most diverse; default 0.5.' },
        candidates: { type: 'integer', minimum: 1, maximum: MAX_MMR_CANDIDATES, description: 'Candidates re-ranked (default 4 * k, at least 20).' },
        relevance: { type: 'string', enum: ['scaled', 'score'], description: "The relevance MMR weighs: the score scaled to 0..1 over the candidates (default) or the score itself." },
      },
      additionalProperties: false,
    },
    like: { type: 'array', items: id, minItems: 1, maxItems: MAX_EXAMPLE_IDS, description: 'Search by example: ids whose stored vectors make the query (instead of vector).' },
    unlike: { type: 'array', items: id, maxItems: MAX_EXAMPLE_IDS, description: 'With like: ids to move the query away from.' },
    consistency,
    minVersion,
  },
  anyOf: [{ required: ['vector'] }, { required: ['text'] }, { required: ['like'] }],
  additionalProperties: false,
} as const satisfies JSONSchema;

const hit = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    score: { type: 'number' },
    vectorScore: { type: 'number' },
    keywordScore: { type: 'number' },
    group: { type: ['string', 'number', 'boolean'] },
    metadata,
    text: { type: 'string' },
    vector: { type: 'array', items: { type: 'number' } },
  },
  required: ['id', 'score'],
  additionalProperties: false,
} as const;

const explain = {
  type: 'object',
  properties: {
    plan: { type: 'string', enum: ['exact', 'hnsw', 'keyword', 'hybrid'] },
    vectorPlan: { type: 'string', enum: ['exact', 'hnsw'] },
    depth: { type: 'integer' },
    fallback: { type: 'boolean' },
    forced: { type: 'boolean' },
    explored: { type: 'boolean' },
    total: { type: 'integer' },
    candidates: { type: 'integer' },
    ef: { type: ['integer', 'null'] },
    estimates: {
      type: 'object',
      properties: { exact: { type: 'number' }, hnsw: { type: 'number' } },
      additionalProperties: false,
    },
    timings: {
      type: 'object',
      properties: {
        filter: { type: 'number' },
        search: { type: 'number' },
        fetch: { type: 'number' },
        total: { type: 'number' },
      },
      additionalProperties: false,
    },
    controls: {
      type: 'object',
      properties: { pool: { type: 'integer' }, aboveMinScore: { type: 'integer' } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

export const searchResult = {
  type: 'object',
  properties: {
    hits: { type: 'array', items: hit },
    cached: { type: 'boolean', description: 'true when the reply came from the result cache.' },
    explain,
  },
  required: ['hits', 'cached'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/**
 * GET search: the common parameters in the query string, the vector as
 * base64 float32. A GET can be answered from the cache by its URL alone,
 * before any parsing, and cached by HTTP caches in front of the server.
 */
export const searchQuery = {
  type: 'object',
  properties: {
    vector: vector.oneOf[1],
    text: { type: 'string', minLength: 1, maxLength: MAX_QUERY_TEXT_LENGTH },
    k: { type: 'string', pattern: '^[0-9]{1,5}$' },
    ef: { type: 'string', pattern: '^[0-9]{1,5}$' },
    filter: { type: 'string', maxLength: 65_536, description: 'A metadata filter as JSON.' },
    fusion: { type: 'string', enum: ['relativeScore', 'rrf'] },
    mode: { type: 'string', enum: ['keyword', 'semantic', 'hybrid'], description: 'What text alone does (see the POST body).' },
    alpha: { type: 'string', pattern: '^(0(\\.[0-9]+)?|1(\\.0+)?)$' },
    include: { type: 'string', pattern: '^((metadata|text|vector)(,(metadata|text|vector))*)?$', description: 'Comma-separated fields.' },
    offset: { type: 'string', pattern: '^[0-9]{1,5}$', description: 'Hits (or groups) to skip.' },
    minScore: { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$', description: 'Only hits scoring at least this.' },
    groupBy: { type: 'string', minLength: 1, description: 'A metadata field to group hits by.' },
    groupSize: { type: 'string', pattern: '^[0-9]{1,3}$', description: 'Hits per group (default 1).' },
    consistency,
    minVersion: { type: 'string', pattern: '^[0-9]{1,15}$', description: minVersion.description },
  },
  anyOf: [{ required: ['vector'] }, { required: ['text'] }],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const batchSearchBody = {
  type: 'object',
  properties: {
    searches: {
      type: 'array',
      items: searchBody,
      minItems: 1,
      maxItems: MAX_BATCH_SEARCHES,
      description: `Run one after another; the whole reply carries at most ${MAX_BATCH_REPLY_BYTES} bytes of JSON (LIMIT_EXCEEDED past that).`,
    },
  },
  required: ['searches'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const batchSearchResult = {
  type: 'object',
  properties: { results: { type: 'array', items: searchResult } },
  required: ['results'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const errorReply = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'code', 'error', 'message'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** GET /access: what the key a request sent allows. */
export const accessReply = {
  type: 'object',
  properties: { access: { type: 'string', enum: ['read-write', 'read-only', 'open'] } },
  required: ['access'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const statusReply = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status'],
  additionalProperties: false,
} as const satisfies JSONSchema;

/** The semantic cache (routes/semantic-cache.ts): a question is a vector, or text the collection's embedder embeds. */
const cacheQuestion = {
  vector,
  text: { type: 'string', minLength: 1, maxLength: MAX_QUERY_TEXT_LENGTH, description: "The question's text, embedded by the collection's embedder (instead of vector)." },
} as const;

export const cacheLookupBody = {
  type: 'object',
  properties: {
    ...cacheQuestion,
    filter,
    threshold: { type: 'number', minimum: -1, maximum: 1, description: 'Similarity at or above which a lookup hits (default 0.95).' },
  },
  oneOf: [{ required: ['vector'] }, { required: ['text'] }],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const cacheLookupResult = {
  type: 'object',
  properties: {
    hit: {
      type: ['object', 'null'],
      properties: { id, answer: { type: 'string' }, metadata, score: { type: 'number' }, storedAt: { type: 'number' } },
      required: ['id', 'answer', 'metadata', 'score', 'storedAt'],
      additionalProperties: false,
    },
  },
  required: ['hit'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const cacheStoreBody = {
  type: 'object',
  properties: {
    ...cacheQuestion,
    answer: { type: 'string', maxLength: 1_000_000 },
    metadata: { ...metadata, description: "The entry's metadata, for lookup filters (model, tenant) and savings (a number summed into quiver_semantic_cache_saved_total on hits)." },
    ttlMs: { type: 'integer', minimum: 0, description: "The entry's life in ms (default a day; 0: until evicted)." },
  },
  required: ['answer'],
  oneOf: [{ required: ['vector'] }, { required: ['text'] }],
  additionalProperties: false,
} as const satisfies JSONSchema;

export const cacheStoreResult = { type: 'object', properties: { id }, required: ['id'], additionalProperties: false } as const satisfies JSONSchema;

export const cacheEvictBody = {
  type: 'object',
  properties: { maxEntries: { type: 'integer', minimum: 1, description: 'Past this many entries, the oldest are removed too.' } },
  additionalProperties: false,
} as const satisfies JSONSchema;

export const cacheEvictResult = {
  type: 'object',
  properties: { expired: { type: 'integer' }, overflow: { type: 'integer' } },
  required: ['expired', 'overflow'],
  additionalProperties: false,
} as const satisfies JSONSchema;

export type CollectionParams = FromSchema<typeof collectionParams>;
export type CacheLookupBody = FromSchema<typeof cacheLookupBody>;
export type CacheStoreBody = FromSchema<typeof cacheStoreBody>;
export type CacheEvictBody = FromSchema<typeof cacheEvictBody>;
export type AliasInfoBody = FromSchema<typeof aliasInfo>;
export type AliasParams = FromSchema<typeof aliasParams>;
export type SwitchAliasBody = FromSchema<typeof switchAliasBody>;
export type DocumentParams = FromSchema<typeof documentParams>;
export type CreateCollectionBody = FromSchema<typeof createCollectionBody>;
export type UpsertBody = FromSchema<typeof upsertBody>;
export type GetBody = FromSchema<typeof getBody>;
export type DeleteBody = FromSchema<typeof deleteBody>;
export type FieldChangeBody = FromSchema<typeof fieldChange>;
export type UpdateBody = FromSchema<typeof updateBody>;
export type CountBody = FromSchema<typeof countBody>;
export type ListBody = FromSchema<typeof listBody>;
export type SearchBody = FromSchema<typeof searchBody>;
export type SearchQuery = FromSchema<typeof searchQuery>;
export type BatchSearchBody = FromSchema<typeof batchSearchBody>;
