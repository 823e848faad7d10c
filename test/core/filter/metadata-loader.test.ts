import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { labelsOf } from '../../../src/core/bitset.js';
import { compileFilter } from '../../../src/core/filter/filter.js';
import type { MetadataIndex } from '../../../src/core/filter/metadata-index.js';
import { MetadataLoader } from '../../../src/core/filter/metadata-loader.js';

/** A store of label -> metadata JSON, read in pages as the collection's table is; counts the pages read. */
function fakeStore(count: number) {
  const rows = new Map<number, string | null>();
  for (let label = 0; label < count; label++) rows.set(label, label % 3 === 0 ? null : JSON.stringify({ group: label % 10 }));
  let pages = 0;
  const read = (from: number, limit: number) => {
    pages++;
    return [...rows.keys()].filter((label) => label >= from).sort((a, b) => a - b).slice(0, limit).map((label) => ({ label, metadata: rows.get(label)! }));
  };
  return { rows, read, pages: () => pages };
}

function labelsWhere(index: MetadataIndex, filter: Record<string, unknown>): number[] {
  return Array.from(labelsOf(index.evaluate(compileFilter(filter)).bitset));
}

describe('MetadataLoader', () => {
  it('reads the store a page at a time between turns and ends with every row indexed', async () => {
    const store = fakeStore(5000);
    const loader = new MetadataLoader(store.read);
    expect(loader.done).toBe(false);
    await loader.run();
    expect(loader.done).toBe(true);
    expect(store.pages()).toBeGreaterThan(5000 / 512);
    expect(loader.index.size).toBe(5000);
    for (let label = 0; label < 5000; label++) expect(loader.index.has(label)).toBe(true);
  });

  it('whenDone resolves once every row is read, still between turns of the event loop', async () => {
    const store = fakeStore(40_000);
    const loader = new MetadataLoader(store.read);
    void loader.run();
    let turns = 0;
    let counting = true;
    const count = async () => {
      while (counting) {
        await nextTurn();
        turns++;
      }
    };
    void count();
    await loader.whenDone();
    counting = false;
    expect(loader.done).toBe(true);
    expect(loader.index.size).toBe(40_000);
    expect(turns).toBeGreaterThan(0);
    // Already over: resolves at once.
    await loader.whenDone();
  });

  it('covers labels it has read; a write to one it has not read is picked up from the store later', () => {
    const store = fakeStore(3000);
    const loader = new MetadataLoader(store.read);
    expect(loader.covers(0)).toBe(false);
    // The collection writes to the store first, then updates the index only where the loader says it covers the label.
    const write = (label: number, group: number | null) => {
      const json = group === null ? null : JSON.stringify({ group });
      store.rows.set(label, json);
      if (loader.covers(label)) loader.index.add(label, group === null ? undefined : { group });
    };
    const remove = (label: number) => {
      store.rows.delete(label);
      if (loader.covers(label)) loader.index.remove(label);
    };
    write(10, 77);
    remove(11);
    const index = loader.finish();
    expect(loader.done).toBe(true);
    expect(loader.covers(2999)).toBe(true);
    write(2000, 77);
    remove(2001);
    write(3000, 77);
    // The index equals one built from the final store, group by group.
    const fresh = new MetadataLoader(store.read).finish();
    expect(index.size).toBe(fresh.size);
    expect(index.size).toBe(store.rows.size);
    expect(labelsWhere(index, { group: 77 })).toEqual([10, 2000, 3000]);
    for (const group of [0, 1, 5, 9]) expect(labelsWhere(index, { group })).toEqual(labelsWhere(fresh, { group }));
    expect(labelsWhere(index, { group: { $exists: false } })).toEqual(labelsWhere(fresh, { group: { $exists: false } }));
    expect(index.has(11)).toBe(false);
    expect(index.has(2001)).toBe(false);
  });

  it('stops between turns when told to', async () => {
    const store = fakeStore(200_000);
    const loader = new MetadataLoader(store.read);
    const running = loader.run();
    await nextTurn();
    loader.stop();
    await running;
    expect(loader.done).toBe(false);
    expect(loader.index.size).toBeLessThan(200_000);
  });

  it('reads a snapshot\'s copy of the index a chunk at a time, then the labels replayed or written since from the store', async () => {
    const store = fakeStore(60_000);
    const bytes = new MetadataLoader(store.read).finish().serialize();
    // Replayed since the snapshot: changed in the store before open.
    const replayed = [5, 59_999];
    store.rows.set(5, JSON.stringify({ group: 55 }));
    store.rows.delete(59_999);
    const readLabel = (label: number) => (store.rows.has(label) ? { metadata: store.rows.get(label)! } : undefined);
    const loader = new MetadataLoader({ bytes, changed: replayed, readLabel });
    const write = (label: number, group: number | null) => {
      store.rows.set(label, group === null ? null : JSON.stringify({ group }));
      if (loader.covers(label)) loader.index.add(label, group === null ? undefined : { group });
      else loader.touched(label);
    };
    const remove = (label: number) => {
      store.rows.delete(label);
      if (loader.covers(label)) loader.index.remove(label);
      else loader.touched(label);
    };
    const running = loader.run();
    // Writes while the chunks are read, at both ends of the label range: none is applied until the end.
    expect(loader.covers(0)).toBe(false);
    write(0, 66);
    remove(20_000);
    await nextTurn();
    write(25_000, null);
    write(40_000, 66);
    await running;
    expect(loader.done).toBe(true);
    write(1, 66);
    const fresh = new MetadataLoader(store.read).finish();
    expect(loader.index.size).toBe(fresh.size);
    for (const group of [0, 3, 55, 66, 77]) expect(labelsWhere(loader.index, { group })).toEqual(labelsWhere(fresh, { group }));
    expect(labelsWhere(loader.index, { group: { $exists: false } })).toEqual(labelsWhere(fresh, { group: { $exists: false } }));
    expect(labelsWhere(loader.index, { group: 55 })).toEqual([5]);
  });
});
