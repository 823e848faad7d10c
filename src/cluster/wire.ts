/**
 * The format of shard calls between nodes: length-prefixed frames on one
 * long-lived connection per pair of nodes, each frame tagged with a call id
 * so that many calls share the connection and answers come back in any
 * order (as in Elasticsearch's transport protocol or PostgreSQL's wire
 * protocol, not one HTTP request per call).
 *
 * A frame is a 13-byte header (little-endian: u32 length of the rest, u32
 * call id, u8 kind, u32 length of the JSON part), then the message as JSON,
 * then its vectors as raw float32s, each after its u32 length. Vectors travel
 * outside the JSON because printing and parsing a 1536-d vector as decimal
 * text costs more than the rest of a shard call; the JSON holds each
 * vector's index in the frame instead. They are found where a shard call or
 * its answer holds them: the call's query vector, each hit's or document's
 * vector. Every platform Node.js runs on is little-endian, so the floats are
 * copied as they lie in memory.
 */

/** A shard call. */
export const FRAME_CALL = 1;
/** The answer to a call. */
export const FRAME_ANSWER = 2;
/** A call that failed: { code?, message }. */
export const FRAME_ERROR = 3;

export type FrameKind = typeof FRAME_CALL | typeof FRAME_ANSWER | typeof FRAME_ERROR;

const HEADER_BYTES = 13;
/** No frame is larger: a peer that sends one is cut off rather than buffered without bound. */
export const MAX_FRAME_BYTES = 1 << 30;

export interface Frame {
  id: number;
  kind: FrameKind;
  message: unknown;
}

/** The frame that carries `message`, with its vectors outside the JSON. */
export function encodeFrame(id: number, kind: FrameKind, message: unknown): Buffer {
  const vectors: Float32Array[] = [];
  const json = Buffer.from(JSON.stringify(takeVectors(message, vectors)));
  const vectorBytes = vectors.reduce((sum, vector) => sum + 4 + vector.byteLength, 0);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + json.length + vectorBytes);
  frame.writeUInt32LE(frame.length - 4, 0);
  frame.writeUInt32LE(id, 4);
  frame.writeUInt8(kind, 8);
  frame.writeUInt32LE(json.length, 9);
  json.copy(frame, HEADER_BYTES);
  let at = HEADER_BYTES + json.length;
  for (const vector of vectors) {
    frame.writeUInt32LE(vector.length, at);
    frame.set(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), at + 4);
    at += 4 + vector.byteLength;
  }
  return frame;
}

/**
 * Splits a byte stream into frames: `push` each chunk as it arrives and get
 * back the frames it completes. Throws on a frame over MAX_FRAME_BYTES or
 * one that does not parse (the connection is then closed by the caller).
 */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    let data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    while (data.length >= 4) {
      const length = data.readUInt32LE(0);
      if (length + 4 > MAX_FRAME_BYTES || length < HEADER_BYTES - 4) throw new Error(`a frame of ${length + 4} bytes (at most ${MAX_FRAME_BYTES})`);
      if (data.length < length + 4) break;
      frames.push(decodeFrame(data.subarray(0, length + 4)));
      data = data.subarray(length + 4);
    }
    // A partial frame is copied, so the chunk it came in can be freed.
    this.#pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
    return frames;
  }
}

function decodeFrame(frame: Buffer): Frame {
  const id = frame.readUInt32LE(4);
  const kind = frame.readUInt8(8) as FrameKind;
  const jsonLength = frame.readUInt32LE(9);
  const message: unknown = JSON.parse(frame.toString('utf8', HEADER_BYTES, HEADER_BYTES + jsonLength));
  const vectors: Float32Array[] = [];
  for (let at = HEADER_BYTES + jsonLength; at < frame.length;) {
    const length = frame.readUInt32LE(at);
    const vector = new Float32Array(length);
    // Copied: the frame's bytes need not lie at a multiple of 4.
    new Uint8Array(vector.buffer).set(frame.subarray(at + 4, at + 4 + length * 4));
    vectors.push(vector);
    at += 4 + length * 4;
  }
  return { id, kind, message: putVectors(message, vectors) };
}

type WithVector = { vector?: unknown };

/** A copy of `message` (as deep as needed) with each vector replaced by its index in `vectors`. */
function takeVectors(message: unknown, vectors: Float32Array[]): unknown {
  const take = (vector: unknown): unknown => {
    if (vector instanceof Float32Array) return vectors.push(vector) - 1;
    if (Array.isArray(vector)) return vectors.push(Float32Array.from(vector as number[])) - 1;
    return vector;
  };
  const items = (list: unknown[]) => list.map((item) => (item !== null && typeof item === 'object' && 'vector' in item ? { ...item, vector: take((item as WithVector).vector) } : item));
  if (Array.isArray(message)) return items(message);
  if (message === null || typeof message !== 'object') return message;
  const { request, hits } = message as { request?: WithVector; hits?: unknown };
  if (request !== undefined && request !== null && 'vector' in request) return { ...message, request: { ...request, vector: take(request.vector) } };
  if (Array.isArray(hits)) return { ...message, hits: items(hits) };
  return message;
}

/** `takeVectors` undone, in place: each index where a vector was is the vector again. */
function putVectors(message: unknown, vectors: Float32Array[]): unknown {
  if (vectors.length === 0) return message;
  const put = (holder: WithVector | null | undefined) => {
    if (holder !== null && holder !== undefined && typeof holder.vector === 'number') holder.vector = vectors[holder.vector];
  };
  if (Array.isArray(message)) message.forEach(put);
  else if (message !== null && typeof message === 'object') {
    const { request, hits } = message as { request?: WithVector; hits?: unknown };
    put(request);
    if (Array.isArray(hits)) hits.forEach(put);
  }
  return message;
}
