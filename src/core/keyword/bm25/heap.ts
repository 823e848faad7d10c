import type { RankedLabels } from '../../ranked.js';
/**
 * The keyword top-k: a heap of the k best (score, label) pairs a search has
 * seen, whose worst score is the MaxScore pruning limit, and RankedLabels,
 * what a keyword search returns.
 */

/** Bounds below (1 - this) * k-th score prune: room for float64 rounding between summation orders. */
const PRUNE_SLACK = 1e-9;

/** The k best (score, label) pairs seen: a min-heap whose root is the worst (lowest score, then highest label). */
export class KeywordHeap {
  readonly scores: Float64Array;
  readonly labels: Int32Array;
  size = 0;
  /** Candidates whose score bound is below this cannot enter: -Infinity until full. */
  limit = -Infinity;

  constructor(k: number) {
    this.scores = new Float64Array(k);
    this.labels = new Int32Array(k);
  }

  /** Adds (score, label) if it beats the worst kept; returns whether the limit rose. */
  offer(score: number, label: number): boolean {
    const { scores, labels } = this;
    const k = scores.length;
    if (this.size < k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, label, scores[parent]!, labels[parent]!)) break;
        scores[i] = scores[parent]!;
        labels[i] = labels[parent]!;
        i = parent;
      }
      scores[i] = score;
      labels[i] = label;
      if (this.size === k) this.limit = scores[0]! * (1 - PRUNE_SLACK);
      return this.size === k;
    }
    if (!worse(scores[0]!, labels[0]!, score, label)) return false;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= k) break;
      const right = left + 1;
      const child = right < k && worse(scores[right]!, labels[right]!, scores[left]!, labels[left]!) ? right : left;
      if (!worse(scores[child]!, labels[child]!, score, label)) break;
      scores[i] = scores[child]!;
      labels[i] = labels[child]!;
      i = child;
    }
    scores[i] = score;
    labels[i] = label;
    this.limit = scores[0]! * (1 - PRUNE_SLACK);
    return true;
  }

  /** Best first: score descending, then label ascending. */
  sorted(): RankedLabels {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => this.scores[b]! - this.scores[a]! || this.labels[a]! - this.labels[b]!);
    return {
      labels: Int32Array.from(order, (i) => this.labels[i]!),
      scores: Float32Array.from(order, (i) => this.scores[i]!),
    };
  }
}

/** Whether (s1, l1) ranks below (s2, l2). */
function worse(s1: number, l1: number, s2: number, l2: number): boolean {
  return s1 < s2 || (s1 === s2 && l1 > l2);
}
