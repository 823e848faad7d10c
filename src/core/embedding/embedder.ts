/**
 * What a collection with an embedder calls to turn text into vectors: the
 * OpenAI-compatible HTTP provider (openai-embedder.ts), or an in-process
 * object with LangChain's `embedDocuments` / `embedQuery` registered with
 * the database under its model's name (local-embedder.ts); make-embedder.ts
 * picks one by the collection's options.
 */
/** LangChain's Embeddings interface, which any in-process embedder may offer (LangChain's own classes do). */
export interface EmbeddingsLike {
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery(text: string): Promise<number[]>;
}

export interface Embedder {
  /** The model's name, as the collection stores it. */
  readonly model: string;
  /** One vector per text, in order; throws EMBEDDING_FAILED, having changed nothing. */
  embedDocuments(texts: readonly string[]): Promise<Float32Array[]>;
  embedQuery(text: string): Promise<Float32Array>;
}
