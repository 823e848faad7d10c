/**
 * The node-to-node frame format: a shard call or answer comes back equal
 * after encoding, its vectors as Float32Arrays with the same bits, however
 * the byte stream is cut into chunks; an oversized frame is refused.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, FRAME_ANSWER, FRAME_CALL, FRAME_ERROR, FrameReader, MAX_FRAME_BYTES } from '../../src/cluster/wire.js';

const vector = Float32Array.from([0.1, -2.5, 3.0000001, Number.MIN_VALUE, 1e30]);
const call = { uid: 'u1', shard: 2, minVersion: 7, op: 'search', request: { vector, k: 10, where: { tag: 'x' }, include: ['vector'] }, depth: 40 };
const hits = [{ id: 'a', score: 0.5, vector, metadata: { vector: [1, 2] } }, { id: 'b', score: 0.25 }];
const documents = [{ id: 'a', vector: Float32Array.from([1, 2]), text: 'é 中文' }, null];
const explained = { hits, explain: { shards: [], tookMs: 1.5 } };

function roundTrip(message: unknown, kind = FRAME_ANSWER, id = 42) {
  const frames = new FrameReader().push(encodeFrame(id, kind as typeof FRAME_ANSWER, message));
  expect(frames).toHaveLength(1);
  expect(frames[0]!.id).toBe(id);
  expect(frames[0]!.kind).toBe(kind);
  return frames[0]!.message as never;
}

describe('frames between nodes', () => {
  it('carry a call with its query vector as raw float32s', () => {
    const back = roundTrip(call, FRAME_CALL) as typeof call;
    expect(back.request.vector).toBeInstanceOf(Float32Array);
    expect([...back.request.vector]).toEqual([...vector]);
    expect({ ...back, request: { ...back.request, vector: null } }).toEqual({ ...call, request: { ...call.request, vector: null } });
  });

  it('carry a query vector given as numbers as float32s', () => {
    const back = roundTrip({ ...call, request: { vector: [0.1, 0.2] } }, FRAME_CALL) as typeof call;
    expect(back.request.vector).toEqual(Float32Array.from([0.1, 0.2]));
  });

  it('carry hits, explained hits and documents with their vectors, and leave metadata named vector alone', () => {
    const backHits = roundTrip(hits) as typeof hits;
    expect(backHits[0]!.vector).toEqual(vector);
    expect(backHits[0]!.metadata).toEqual({ vector: [1, 2] });
    expect(backHits[1]).toEqual({ id: 'b', score: 0.25 });
    expect((roundTrip(explained) as typeof explained).hits[0]!.vector).toEqual(vector);
    expect(roundTrip(documents)).toEqual(documents);
  });

  it('carry plain answers and errors', () => {
    expect(roundTrip(12)).toBe(12);
    expect(roundTrip({ live: 3, totalLength: 9, df: { vitamin: 2 } })).toEqual({ live: 3, totalLength: 9, df: { vitamin: 2 } });
    expect(roundTrip({ code: 'INVALID_FILTER', message: 'bad' }, FRAME_ERROR)).toEqual({ code: 'INVALID_FILTER', message: 'bad' });
  });

  it('come out whole however the stream is cut: byte by byte, or several in one chunk', () => {
    const stream = Buffer.concat([encodeFrame(1, FRAME_CALL, call), encodeFrame(2, FRAME_ANSWER, hits), encodeFrame(3, FRAME_ANSWER, documents)]);
    const reader = new FrameReader();
    const frames = [];
    for (let i = 0; i < stream.length; i++) frames.push(...reader.push(stream.subarray(i, i + 1)));
    expect(frames.map((frame) => frame.id)).toEqual([1, 2, 3]);
    expect((frames[1]!.message as typeof hits)[0]!.vector).toEqual(vector);
    const together = new FrameReader().push(stream);
    expect(together.map((frame) => frame.message)).toEqual(frames.map((frame) => frame.message));
  });

  it('refuse a frame larger than the limit before buffering it', () => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(MAX_FRAME_BYTES, 0);
    expect(() => new FrameReader().push(header)).toThrow(/at most/);
  });
});
