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
