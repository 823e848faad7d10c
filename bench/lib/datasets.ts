/**
 * Seeded data sets for the benchmarks in bench/: the same seed gives the
 * same vectors on every machine and run, and everything is built before any
 * timed function runs.
 *
 * - `embeddingModel`: embedding-like vectors, i.e. a few cluster centres in a
 *   low-rank latent space, mapped to `dim` dimensions by one fixed random
 *   matrix, plus small isotropic noise and a shared offset (real embeddings
 *   are anisotropic: they share a mean direction). Base and query sets are
 *   drawn from one model with different seeds, so queries follow the data
 *   distribution without being in the base set.
 * - `loadSiftsmall`: TEXMEX siftsmall (10k x 128, l2) with its published
 *   ground truth, from ../shared/data.
 */
import { readFvecs, readIvecs } from '../../src/io/vecs.js';
import { sharedData } from '../../test/fixtures/shared-data.js';
import { rng } from '../../test/fixtures/random.js';

/** Standard normal deviates from a uniform source (Box-Muller, both outputs used). */
export function gaussian(seed: number): () => number {
  const next = rng(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export interface EmbeddingModelOptions {
  dim: number;
  /** Latent factors (the intrinsic dimension of the signal). Default 16. */
  rank?: number;
  /** Cluster centres in the latent space; each vector picks one uniformly. Default 8. */
  clusters?: number;
  /** Spread of the cluster centres, in latent standard deviations. Default 1.5. */
  clusterSpread?: number;
  /** Standard deviation of the isotropic noise per output dimension (the signal has about 1). Default 0.25. */
  noise?: number;
  /** Norm of the offset shared by all vectors, relative to a typical signal norm. Default 0.5. */
  offset?: number;
  /**
   * `uniform` draws the noise from a uniform distribution of the same
   * standard deviation instead of a normal one: about a fifth of the cost
   * per vector, for the millions of rows of bench/memory.bench.ts. Default `normal`.
   */
  noiseKind?: 'normal' | 'uniform';
  /** Seed of the model (mixing matrix, centres, offset); samples take their own seed. */
  seed: number;
}

export interface EmbeddingModel {
  readonly options: Required<EmbeddingModelOptions>;
  /** `count` vectors of `dim`, row-major. */
  sample(count: number, seed: number): Float32Array;
}

/** A fixed low-rank-plus-noise distribution; see the file comment. */
export function embeddingModel(input: EmbeddingModelOptions): EmbeddingModel {
  const options: Required<EmbeddingModelOptions> = {
    rank: 16, clusters: 8, clusterSpread: 1.5, noise: 0.25, offset: 0.5, noiseKind: 'normal', ...input,
  };
  const { dim, rank, clusters, clusterSpread, noise, offset, seed, noiseKind } = options;
  const g = gaussian(seed);
  // Mixing matrix rank x dim with entries N(0, 1/rank): each output dimension has variance ~1 per unit latent variance.
  const mixing = new Float64Array(rank * dim);
  for (let i = 0; i < mixing.length; i++) mixing[i] = g() / Math.sqrt(rank);
  const centres = new Float64Array(clusters * rank);
  for (let i = 0; i < centres.length; i++) centres[i] = g() * clusterSpread;
  const shift = new Float64Array(dim);
  let norm = 0;
  for (let d = 0; d < dim; d++) {
    shift[d] = g();
    norm += shift[d]! * shift[d]!;
  }
  const scale = (offset * Math.sqrt(dim)) / Math.sqrt(norm);
  for (let d = 0; d < dim; d++) shift[d]! *= scale;

  return {
    options,
    sample(count: number, sampleSeed: number): Float32Array {
      const s = gaussian(sampleSeed);
      const pick = rng(sampleSeed ^ 0x9e3779b9);
      // Uniform on [-a, a] has standard deviation a / sqrt(3).
      const uniform = rng(sampleSeed ^ 0x85ebca6b);
      const width = 2 * noise * Math.sqrt(3);
      const noiseOf = noiseKind === 'uniform' ? () => (uniform() - 0.5) * width : () => noise * s();
      const out = new Float32Array(count * dim);
      const latent = new Float64Array(rank);
      for (let row = 0; row < count; row++) {
        const c = Math.min(clusters - 1, Math.floor(pick() * clusters));
        for (let r = 0; r < rank; r++) latent[r] = centres[c * rank + r]! + s();
        const base = row * dim;
        for (let d = 0; d < dim; d++) {
          let x = shift[d]! + noiseOf();
          for (let r = 0; r < rank; r++) x += latent[r]! * mixing[r * dim + d]!;
          out[base + d] = x;
        }
      }
      return out;
    },
  };
}

export interface Siftsmall {
  dim: number;
  /** 10,000 base vectors, row-major. */
  base: Float32Array;
  baseCount: number;
  /** 100 query vectors, row-major. */
  queries: Float32Array;
  queryCount: number;
  /** Published exact l2 neighbours: `truthDim` (100) labels per query, nearest first. */
  truth: Int32Array;
  truthDim: number;
}

/** TEXMEX siftsmall from ../shared/data (throws a clear error when missing). */
export function loadSiftsmall(): Siftsmall {
  const base = readFvecs(sharedData('siftsmall/siftsmall_base.fvecs'));
  const queries = readFvecs(sharedData('siftsmall/siftsmall_query.fvecs'));
  const truth = readIvecs(sharedData('siftsmall/siftsmall_groundtruth.ivecs'));
  if (queries.dimension !== base.dimension) throw new Error('siftsmall: query and base dimensions differ');
  if (truth.count !== queries.count) throw new Error('siftsmall: ground truth rows do not match the queries');
  return {
    dim: base.dimension,
    base: base.data,
    baseCount: base.count,
    queries: queries.data,
    queryCount: queries.count,
    truth: truth.data,
    truthDim: truth.dimension,
  };
}

/** Row views (no copies) of a row-major matrix. */
export function rowsOf(data: Float32Array, dim: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let i = 0; i < data.length; i += dim) rows.push(data.subarray(i, i + dim));
  return rows;
}
