/**
 * Which shard holds a document, and which nodes hold a shard.
 *
 * A document's shard is `fnv1a32(utf8(id)) mod shards`; the hash's name is
 * recorded with the collection when it is created and never changes, so
 * every node, now and after an upgrade, sends an id to the same shard.
 * A shard's replicas are the live nodes that rank highest for it by
 * rendezvous hashing: when a node joins or leaves, only the shards it
 * gains or loses move.
 */

/** The name recorded with a collection for `shardOf`. */
export const SHARD_HASH = 'fnv1a32';

const encoder = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The shard of document `id` among `shards`. */
export function shardOf(id: string, shards: number): number {
  return fnv1a32(id) % shards;
}

/** The `replicas` nodes (of `nodes`) that hold shard `shard` of collection `uid`, best first. */
export function replicasOf(uid: string, shard: number, nodes: readonly string[], replicas: number): string[] {
  return nodes
    .map((node) => ({ node, rank: fnv1a32(`${uid}/${shard}/${node}`) }))
    .sort((a, b) => b.rank - a.rank || (a.node < b.node ? -1 : 1))
    .slice(0, replicas)
    .map(({ node }) => node);
}
