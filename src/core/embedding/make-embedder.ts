/** The embedder a collection's options name (embedder-options.ts), made when a collection first needs it. */
import { createError } from '../errors.js';
import type { EmbedderOptions } from './embedder-options.js';
import type { Embedder, EmbeddingsLike } from './embedder.js';
import { localEmbedder } from './local-embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';

/** The embedder a collection's options name, with `local` ones taken from the database's registry. */
export function makeEmbedder(options: EmbedderOptions, dimension: number, registry: ReadonlyMap<string, EmbeddingsLike>, collection: string): Embedder {
  if (options.provider === 'openai') return new OpenAiEmbedder(options, dimension);
  const local = registry.get(options.model);
  if (local === undefined) {
    throw createError('EMBEDDER_UNAVAILABLE', collection, options.model, `no embedder for it was given to this process's openDatabase({ embedders: { '${options.model}': ... } })`);
  }
  return localEmbedder(options.model, local, dimension);
}
