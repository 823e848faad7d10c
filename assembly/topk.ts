// Bounded top-k selection with a binary min-heap whose root is the worst kept
// entry. Scores live at `hs` (f32) and labels at `hl` (i32), k slots each.
// Order: higher score first; on equal scores the lower label wins, so results
// are deterministic.

// @ts-ignore: decorator
@inline function worse(sa: f32, la: i32, sb: f32, lb: i32): bool {
  return sa < sb || (sa == sb && la > lb);
}

// @ts-ignore: decorator
@inline function scoreAt(hs: usize, i: i32): f32 {
  return load<f32>(hs + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function labelAt(hl: usize, i: i32): i32 {
  return load<i32>(hl + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function put(hs: usize, hl: usize, i: i32, score: f32, label: i32): void {
  store<f32>(hs + (<usize>i << 2), score);
  store<i32>(hl + (<usize>i << 2), label);
}

function siftDown(hs: usize, hl: usize, size: i32, start: i32): void {
  let i = start;
  const score = scoreAt(hs, i);
  const label = labelAt(hl, i);
  while (true) {
    let child = (i << 1) + 1;
    if (child >= size) break;
    const right = child + 1;
    if (right < size && worse(scoreAt(hs, right), labelAt(hl, right), scoreAt(hs, child), labelAt(hl, child))) {
      child = right;
    }
    const childScore = scoreAt(hs, child);
    const childLabel = labelAt(hl, child);
    if (!worse(childScore, childLabel, score, label)) break;
    put(hs, hl, i, childScore, childLabel);
    i = child;
  }
  put(hs, hl, i, score, label);
}

function siftUp(hs: usize, hl: usize, start: i32): void {
  let i = start;
  const score = scoreAt(hs, i);
  const label = labelAt(hl, i);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const parentScore = scoreAt(hs, parent);
    const parentLabel = labelAt(hl, parent);
    if (!worse(score, label, parentScore, parentLabel)) break;
    put(hs, hl, i, parentScore, parentLabel);
    i = parent;
  }
  put(hs, hl, i, score, label);
}

/** Offers one candidate to a heap holding `size` of at most `k` entries; returns the new size. */
// @ts-ignore: decorator
@inline export function offer(hs: usize, hl: usize, size: i32, k: i32, score: f32, label: i32): i32 {
  if (size < k) {
    put(hs, hl, size, score, label);
    siftUp(hs, hl, size);
    return size + 1;
  }
  if (worse(scoreAt(hs, 0), labelAt(hl, 0), score, label)) {
    put(hs, hl, 0, score, label);
    siftDown(hs, hl, size, 0);
  }
  return size;
}

/** The score a candidate must beat to enter a full heap; -Infinity while it is not full. */
// @ts-ignore: decorator
@inline export function threshold(hs: usize, size: i32, k: i32): f32 {
  return size < k ? -Infinity : scoreAt(hs, 0);
}

/** Heapsort in place: afterwards slot 0 holds the best entry. */
export function sortBestFirst(hs: usize, hl: usize, size: i32): void {
  for (let end = size - 1; end > 0; end--) {
    const score = scoreAt(hs, 0);
    const label = labelAt(hl, 0);
    put(hs, hl, 0, scoreAt(hs, end), labelAt(hl, end));
    put(hs, hl, end, score, label);
    siftDown(hs, hl, end, 0);
  }
}

// Buffered selection, for scans that offer many candidates (the int8
// shortlist keeps k * rerank of them). Candidates that beat the bar are
// appended to a buffer of 2k slots; when it fills, a selection moves the k
// best to the front and the bar rises to the k-th best. Each candidate costs
// an append instead of a heap sift, and the bar still rises as the scan goes.

/** Appends a candidate at slot `size` of a buffer; returns the new size. */
// @ts-ignore: decorator
@inline export function push(hs: usize, hl: usize, size: i32, score: f32, label: i32): i32 {
  put(hs, hl, size, score, label);
  return size + 1;
}

/** Cuts a full buffer to its k best (size is then k); returns the new bar, the k-th best score. */
export function cutToBest(hs: usize, hl: usize, size: i32, k: i32): f32 {
  keepBest(hs, hl, size, k);
  return scoreAt(hs, k - 1);
}

/**
 * Cuts a buffer to its `k` best entries, sorted best first in slots
 * 0..k-1; returns how many remain (min(size, k)).
 */
export function finishBuffer(hs: usize, hl: usize, size: i32, k: i32): i32 {
  const kept = size > k ? keepBest(hs, hl, size, k) : size;
  // Heapify (worst at the root) and heapsort: best first.
  for (let i = (kept >> 1) - 1; i >= 0; i--) siftDown(hs, hl, kept, i);
  sortBestFirst(hs, hl, kept);
  return kept;
}

/**
 * Quickselect: moves the k best of `size` entries to slots 0..k-1, with the
 * k-th best in slot k-1 (and every entry before it no worse). Returns k.
 */
function keepBest(hs: usize, hl: usize, size: i32, k: i32): i32 {
  let lo = 0;
  let hi = size - 1;
  const target = k - 1;
  while (lo < hi) {
    // Median of three as the pivot, moved to hi.
    const mid = lo + ((hi - lo) >> 1);
    if (worse(scoreAt(hs, lo), labelAt(hl, lo), scoreAt(hs, mid), labelAt(hl, mid))) swap(hs, hl, lo, mid);
    if (worse(scoreAt(hs, lo), labelAt(hl, lo), scoreAt(hs, hi), labelAt(hl, hi))) swap(hs, hl, lo, hi);
    if (worse(scoreAt(hs, hi), labelAt(hl, hi), scoreAt(hs, mid), labelAt(hl, mid))) swap(hs, hl, mid, hi);
    const pivotScore = scoreAt(hs, hi);
    const pivotLabel = labelAt(hl, hi);
    // Branch-free Lomuto: the swap is unconditional (when slot i is not
    // better than the pivot, slots store..i all hold entries that are not,
    // so swapping two of them changes nothing); only `store` depends on the
    // comparison, which is unpredictable by nature.
    let store = lo;
    for (let i = lo; i < hi; i++) {
      const score = scoreAt(hs, i);
      const label = labelAt(hl, i);
      const better = <i32>(pivotScore < score) | (<i32>(pivotScore == score) & <i32>(pivotLabel > label));
      put(hs, hl, i, scoreAt(hs, store), labelAt(hl, store));
      put(hs, hl, store, score, label);
      store += better;
    }
    swap(hs, hl, store, hi);
    if (store == target) break;
    if (store < target) lo = store + 1;
    else hi = store - 1;
  }
  return k;
}

// @ts-ignore: decorator
@inline function swap(hs: usize, hl: usize, a: i32, b: i32): void {
  const score = scoreAt(hs, a);
  const label = labelAt(hl, a);
  put(hs, hl, a, scoreAt(hs, b), labelAt(hl, b));
  put(hs, hl, b, score, label);
}
