/**
 * An in-process embedder: any object with LangChain's `embedDocuments` /
 * `embedQuery`, its answers checked (one vector per text, of the
 * collection's dimension) and its failures reported as EMBEDDING_FAILED.
 */
import { createError } from '../errors.js';
import type { Embedder, EmbeddingsLike } from './embedder.js';

export function localEmbedder(model: string, local: EmbeddingsLike, dimension: number): Embedder {
  const checked = (vectors: unknown, count: number): Float32Array[] => {
    if (!Array.isArray(vectors) || vectors.length !== count) throw createError('EMBEDDING_FAILED', model, `expected ${count} vectors, got ${Array.isArray(vectors) ? vectors.length : typeof vectors}`);
    return vectors.map((vector: unknown, i) => {
      if (!Array.isArray(vector) && !(vector instanceof Float32Array)) throw createError('EMBEDDING_FAILED', model, `vector ${i} is not an array`);
      if (vector.length !== dimension) throw createError('EMBEDDING_FAILED', model, `vector ${i} has ${vector.length} dimensions, the collection ${dimension}`);
      return Float32Array.from(vector as ArrayLike<number>);
    });
  };
  const call = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (error) {
      throw createError('EMBEDDING_FAILED', model, (error as Error).message ?? String(error));
    }
  };
  return {
    model,
    async embedDocuments(texts) {
      return texts.length === 0 ? [] : checked(await call(() => local.embedDocuments([...texts])), texts.length);
    },
    async embedQuery(text) {
      return checked([await call(() => local.embedQuery(text))], 1)[0]!;
    },
  };
}
