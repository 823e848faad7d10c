/**
 * Every default and limit, declared once. The server's JSON schemas import
 * their limits from here.
 */

export const METRICS = ['cosine', 'dot', 'l2'] as const;
export type Metric = (typeof METRICS)[number];

export const QUANTIZATIONS = ['none', 'int8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** Metric of a new collection when none is given: cosine similarity, in [-1, 1]. */
export const DEFAULT_METRIC: Metric = 'cosine';
/** Largest vector dimension a collection accepts (OpenAI's largest embedding is 3072). */
export const MAX_DIMENSION = 8192;
/** Results a search returns when `k` is not given. */
export const DEFAULT_K = 10;
/** Largest `k` one search may ask for. */
export const MAX_K = 10_000;
/** A search by example's `like` and `unlike` hold at most this many ids together. */
export const MAX_EXAMPLE_IDS = 1_000;
/** groupBy forms its groups from this many candidates per hit asked for (k * groupSize). */
export const GROUP_POOL_FACTOR = 10;
/** Hits a group may hold (`groupSize`). */
export const MAX_GROUP_SIZE = 100;
/** mmr re-ranks at least this many candidates by default (4 * k when more)... */
export const MMR_MIN_CANDIDATES = 20;
/** ...and at most this many. */
export const MAX_MMR_CANDIDATES = 1_000;
/** Multiply-adds an mmr re-rank may cost (hits x candidates x dimension): beyond it, LIMIT_EXCEEDED. */
export const MAX_MMR_WORK = 2 ** 27;
/** Documents per page of `list` when no limit is given, and the most one page may hold. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;
/**
 * Bounds on the work and the reply of one read (search, list, getMany), so
 * that no request, however large, holds the server or its memory: each
 * check fails with LIMIT_EXCEEDED, naming the limit, before the work.
 * Most ids one `getMany` reads (as many as one search or list page returns).
 */
export const MAX_GET_IDS = 10_000;
/**
 * Most vector components one read returns: hits (or documents) times the
 * dimension, when `include` has `vector`. As JSON (about 20 bytes each)
 * that is a reply of about 20 MB: 256 hits at 4096 dimensions, 682 at 1536,
 * 2,730 at 384.
 */
export const MAX_RESULT_VECTOR_VALUES = 2 ** 20;
/** Most bytes of text and metadata (UTF-16 code units, as stored) one read returns. */
export const MAX_RESULT_FIELD_BYTES = 32 * 2 ** 20;
/**
 * A read returning more hits or documents than this fetches and checks
 * them a slice at a time, giving the event loop a turn between slices, and
 * stops when its `signal` is aborted.
 */
export const READ_SLICE = 512;
/** Largest number of documents in one upsert or delete call. */
export const MAX_BATCH_SIZE = 100_000;
/** Longest document id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 512;
/** Longest document text, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 1_000_000;
/** Longest keyword query, in UTF-16 code units. */
export const MAX_QUERY_TEXT_LENGTH = 10_000;
/** Largest metadata object, as JSON. */
export const MAX_METADATA_BYTES = 65_536;
/** Collection names: 1-64 of [A-Za-z0-9_-], starting with a letter or digit. */
export const COLLECTION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** An embedder's limits (embedding/embedder-options.ts), which the REST schemas state too: model names, texts per request, timeout, retries. */
export const MAX_MODEL_NAME_LENGTH = 200;
export const MAX_EMBED_BATCH = 2048;
export const MAX_EMBED_TIMEOUT_MS = 600_000;
export const MAX_EMBED_RETRIES = 10;
/** The name of the environment variable holding an embedder's API key. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * With int8 quantisation, an exact search scans int8 codes for the best
 * `k * rerank` candidates, then re-scores those in f32. Higher: better
 * recall, more f32 work. Range 1-100. The default keeps twice the margin
 * measured: rerank 2 already gave recall@10 1.000 against the f32 scan on
 * siftsmall (l2 and cosine), 50k uniform random and 50k low-rank plus noise
 * at dim 128 (rerank 1: 0.983-0.992). Each extra candidate costs a random
 * f32 row read (about 0.15 us at 50k x 128) and a selection step.
 */
export const DEFAULT_RERANK = 4;
export const MAX_RERANK = 100;
/**
 * An int8 collection keeps f32 rows until it holds this many, then fits the
 * codes' per-dimension ranges to them, encodes them and frees them: from
 * then on its exact scans read codes only and re-rank from the store. A
 * later vector outside the fitted ranges is clamped (the re-rank restores
 * the order). The ranges are fitted again only when the collection is
 * rebuilt from the store.
 */
export const INT8_FIT_SAMPLE = 4096;
/**
 * HNSW defaults, chosen for recall (siftsmall recall@10 >= 0.95 with margin):
 * `m` links per node (memory ~ m * 8 bytes per vector; more = better recall,
 * slower build), `efConstruction` candidates kept while inserting (more =
 * better graph, slower build), `ef` candidates kept while searching (more =
 * better recall, slower search; always raised to at least k).
 */
export const DEFAULT_HNSW_M = 16;
export const DEFAULT_HNSW_EF_CONSTRUCTION = 200;
export const DEFAULT_HNSW_EF = 64;
export const MAX_HNSW_M = 128;
/** Most HNSW segments per collection (see SegmentedGraph). */
export const MAX_SEGMENTS = 64;
/** Most worker threads a database may ask for. */
export const MAX_WORKERS = 256;
export const MAX_EF = 10_000;
/**
 * A collection snapshots its derived state once this many documents (or a
 * quarter of the collection, when that is more) changed since the last
 * snapshot; a restart replays at most about this many graph inserts.
 * Snapshots also happen on close.
 */
export const DEFAULT_SNAPSHOT_AFTER = 20_000;
/**
 * Bytes of hits' text and metadata a database keeps in memory (field-cache.ts):
 * at 1 KiB of text a document, the 60,000 documents searches returned last.
 */
export const DEFAULT_FIELD_CACHE_BYTES = 64 * 2 ** 20;
/** Compaction rebuilds the graph once tombstones pass this fraction of it (Qdrant uses 20%). */
export const DEFAULT_COMPACT_AT = 0.2;
/** Labels an empty HNSW graph has room for (it doubles when full), and the most rows a new chunk of vectors starts with. */
export const DEFAULT_INITIAL_CAPACITY = 1024;

export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

// ---------------------------------------------------------------------------
// Keyword search: the tokenizer (tokenizer.ts) and the BM25 index
// (bm25-index.ts). Defaults were chosen by measurement with
// bench/quality.bench.ts; see the header of each file for the numbers.
// ---------------------------------------------------------------------------

/**
 * Languages a collection's text may be declared in. The language picks the
 * `Intl.Segmenter` locale and the stopword list (from the `stopword`
 * package); stemming (Porter, from the `stemmer` package) exists for `en`
 * only. Chinese, Japanese and Korean script is segmented the same way in
 * every language (see `CJK_MODES`), so mixed-language text still works.
 */
export const TEXT_LANGUAGES = ['en', 'zh', 'ja', 'ko', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'fi', 'nb', 'pl', 'ru', 'tr', 'ar', 'hi'] as const;
export type TextLanguage = (typeof TEXT_LANGUAGES)[number];
/** Language of a collection's text when none is given. */
export const DEFAULT_TEXT_LANGUAGE: TextLanguage = 'en';
/**
 * How runs of Chinese, Japanese and Korean characters become terms:
 * `words`: the dictionary words `Intl.Segmenter` finds; `bigrams`: every
 * pair of adjacent characters (a lone character stays a unigram), as
 * Lucene's CJKAnalyzer; `both`: words and bigrams. Bigrams do not depend on
 * the segmenter's dictionary, so they find words it splits differently.
 */
export const CJK_MODES = ['words', 'bigrams', 'both'] as const;
export type CjkMode = (typeof CJK_MODES)[number];
/** Default CJK handling (measured: see tokenizer.ts). */
export const DEFAULT_CJK_MODE: CjkMode = 'both';
/** Tokens longer than this (UTF-16 code units, after normalisation) are dropped: they are ids, hashes or junk, not words. */
export const MAX_TOKEN_LENGTH = 64;
/**
 * BM25 term-frequency saturation. 0 counts a term once however often it
 * occurs; higher values let repeats count for longer. Usual range 0.5-2;
 * accepted 0-10. Default 1.2 (Robertson; Lucene, Elasticsearch, MiniSearch).
 */
export const DEFAULT_BM25_K1 = 1.2;
export const MAX_BM25_K1 = 10;
/**
 * BM25 document-length normalisation, 0-1: 0 ignores length, 1 scales the
 * term frequency fully by length / average length. Default 0.75.
 */
export const DEFAULT_BM25_B = 0.75;
/**
 * Most distinct terms one keyword query may hold after tokenizing (a
 * collection's search refuses more with LIMIT_EXCEEDED; the index alone
 * ignores further terms): the BM25 search and a hybrid search's scoring
 * cost grow with the terms times the candidates, and run on the calling
 * thread in one piece. A question, or a paragraph without its stopwords,
 * fits. Why 32 and not 64: bench/README.md, "Heavy requests".
 */
export const MAX_QUERY_TERMS = 32;
