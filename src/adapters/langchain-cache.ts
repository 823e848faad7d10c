/**
 * Quiver's semantic cache as a LangChain.js LLM cache
 * (`quiverdb/langchain`): give it to a model as `cache`, and a prompt whose
 * embedding is within the threshold of one answered before, by the same
 * model and settings (LangChain's llmKey), gets the stored generations
 * instead of a call. Generations are stored as LangChain serializes them
 * for its own caches.
 */
import { BaseCache, deserializeStoredGeneration, serializeGeneration } from '@langchain/core/caches';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Generation } from '@langchain/core/outputs';
import { createHash } from 'node:crypto';
import { SemanticCache, type SemanticCacheOptions } from '../semantic-cache/semantic-cache.js';

export interface QuiverLLMCacheArgs extends SemanticCacheOptions {
  /** Embeds prompts; the collection's dimension is its. */
  embeddings: EmbeddingsInterface;
}

export class QuiverLLMCache extends BaseCache {
  readonly cache: SemanticCache;
  readonly #embeddings: EmbeddingsInterface;

  constructor({ embeddings, ...options }: QuiverLLMCacheArgs) {
    super();
    this.cache = new SemanticCache(options);
    this.#embeddings = embeddings;
  }

  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    const hit = await this.cache.lookup(await this.#embeddings.embedQuery(prompt), { llm: keyOf(llmKey) });
    if (hit === null) return null;
    return (JSON.parse(hit.answer) as Parameters<typeof deserializeStoredGeneration>[0][]).map((stored) => deserializeStoredGeneration(stored));
  }

  async update(prompt: string, llmKey: string, value: Generation[]): Promise<void> {
    await this.cache.store(await this.#embeddings.embedQuery(prompt), JSON.stringify(value.map((generation) => serializeGeneration(generation))), { llm: keyOf(llmKey) });
  }
}

/** LangChain's llmKey is the model's whole serialized settings: a digest keeps it short and filterable. */
function keyOf(llmKey: string): string {
  return createHash('sha256').update(llmKey).digest('hex').slice(0, 32);
}
