// Message layer of the native port (PROTOCOL.md, "Messages" and "Chunks"):
// a request table with ids and timeouts, a dispatch table for the other
// side's requests and notifications, reassembly of incoming `chunk` frames and
// chunking of our own messages that are too large for one frame.
//
// Nothing here touches chrome.*: the caller passes `send` (one frame out) and
// timer functions, so node --test drives it directly.

import { CODE, TYPES } from './protocol.js';

/** Largest JSON text we send in one frame; bigger messages go out as chunks. */
export const OUTGOING_FRAME_LIMIT = 8 * 1024 * 1024;
/** Largest message we reassemble from incoming chunks. */
export const INCOMING_MESSAGE_LIMIT = 64 * 1024 * 1024;
/** Most chunks one message may be split into. */
export const MAX_CHUNKS = 4096;
/** How long an incomplete chunked message is kept. */
export const CHUNK_TTL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;

/** RpcError is what a failed request rejects with: a stable code and a message. */
export class RpcError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = 'RpcError';
    this.code = code;
    Object.assign(this, extra);
  }

  toWire() {
    const e = { code: this.code, message: this.message };
    if (this.detail) e.detail = this.detail;
    return e;
  }
}

const encoder = new TextEncoder();
const byteLength = (s) => encoder.encode(s).length;

/** jsonCost returns how many UTF-8 bytes code unit i of s (and its pair) takes inside a JSON string, and how many code units it spans. */
function jsonCost(s, i) {
  const c = s.charCodeAt(i);
  if (c === 0x22 || c === 0x5c) return [2, 1]; // \" and \\
  if (c < 0x20) return [c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6, 1];
  if (c < 0x80) return [1, 1];
  if (c < 0x800) return [2, 1];
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return [4, 2];
    return [6, 1]; // a lone surrogate is escaped as \udxxx
  }
  if (c >= 0xdc00 && c <= 0xdfff) return [6, 1];
  return [3, 1];
}

/**
 * splitForChunks cuts `text` into pieces whose `chunk` frames each stay within
 * `limit` bytes of JSON, never splitting a UTF-16 surrogate pair (a lone
 * surrogate would not survive the JSON round trip).
 */
export function splitForChunks(text, limit, chunkId) {
  const overhead = byteLength(JSON.stringify({ type: TYPES.CHUNK, chunk_id: chunkId, seq: 999999, total: 999999, data: '' }));
  const budget = limit - overhead;
  if (budget < 8) throw new RangeError('frame limit too small for chunking');
  const pieces = [];
  let start = 0;
  let used = 0;
  let i = 0;
  while (i < text.length) {
    const [cost, units] = jsonCost(text, i);
    if (used + cost > budget) {
      pieces.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += cost;
    i += units;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/**
 * Endpoint is one side of the message protocol over a connected port.
 *
 * options:
 *   send(msg)            posts one frame (a plain object)
 *   handlers             {type: async (msg) => result} for requests and notifications
 *   onUnhandled(msg)     called for notifications without a handler and stray replies
 *   idPrefix             "e" for the extension
 *   setTimeout/clearTimeout  timer functions (injected for tests)
 *   frameLimit           outgoing JSON size above which messages are chunked
 *   log                  {warn, info}
 */
export class Endpoint {
  constructor({
    send,
    handlers = {},
    onUnhandled = () => {},
    idPrefix = 'e',
    setTimeout: setT = globalThis.setTimeout,
    clearTimeout: clearT = globalThis.clearTimeout,
    frameLimit = OUTGOING_FRAME_LIMIT,
    log = console,
  }) {
    this.send = send;
    this.handlers = handlers;
    this.onUnhandled = onUnhandled;
    this.idPrefix = idPrefix;
    // Wrapped: a native timer called as a method of another object throws "Illegal invocation".
    this.setTimeout = (fn, ms) => setT(fn, ms);
    this.clearTimeout = (id) => clearT(id);
    this.frameLimit = frameLimit;
    this.log = log;
    this.nextId = 1;
    this.nextChunkId = 1;
    /** @type {Map<string, {resolve, reject, timer, type}>} */
    this.pending = new Map();
    /** @type {Map<string, {total, parts, received, bytes, timer}>} */
    this.chunks = new Map();
    this.closed = false;
  }

  /** request sends a request and resolves with its `result`, or rejects with an RpcError. */
  request(type, fields = {}, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    if (this.closed) return Promise.reject(new RpcError(CODE.host_unreachable, 'the native port is closed'));
    const id = `${this.idPrefix}${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = this.setTimeout(() => {
        if (this.pending.delete(id)) reject(new RpcError(CODE.timeout, `${type} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, type });
      try {
        this.post({ ...fields, id, type });
      } catch (err) {
        this.clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof RpcError ? err : new RpcError(CODE.host_unreachable, String(err?.message || err)));
      }
    });
  }

  /** notify sends a message without id: no answer is expected. */
  notify(type, fields = {}) {
    if (this.closed) return false;
    this.post({ ...fields, type });
    return true;
  }

  /** post sends one message, as chunk frames when its JSON exceeds the frame limit. */
  post(msg) {
    const text = JSON.stringify(msg);
    if (byteLength(text) <= this.frameLimit) {
      this.send(msg);
      return;
    }
    const chunkId = `${this.idPrefix}c${this.nextChunkId++}`;
    const pieces = splitForChunks(text, this.frameLimit, chunkId);
    pieces.forEach((data, seq) => this.send({ type: TYPES.CHUNK, chunk_id: chunkId, seq, total: pieces.length, data }));
  }

  /** receive handles one incoming frame. It never throws. */
  async receive(msg) {
    if (this.closed) return;
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg) || typeof msg.type !== 'string') {
      this.log.warn?.('authbridge: dropped a malformed message');
      if (msg && typeof msg === 'object' && typeof msg.id === 'string') {
        this.replyError(msg.id, new RpcError(CODE.bad_request, 'message has no type'));
      }
      return;
    }
    if (msg.type === TYPES.CHUNK) {
      const whole = this.addChunk(msg);
      if (whole !== undefined) await this.receive(whole);
      return;
    }
    if (msg.type === TYPES.RESULT || msg.type === TYPES.ERROR) {
      const p = this.pending.get(msg.id);
      if (!p) {
        this.onUnhandled(msg);
        return;
      }
      this.pending.delete(msg.id);
      this.clearTimeout(p.timer);
      if (msg.type === TYPES.RESULT) p.resolve(msg.result ?? {});
      else {
        const e = msg.error || {};
        p.reject(new RpcError(e.code || CODE.internal, e.message || 'the host answered with an error', { detail: e.detail }));
      }
      return;
    }
    const handler = Object.hasOwn(this.handlers, msg.type) ? this.handlers[msg.type] : undefined;
    const isRequest = typeof msg.id === 'string' && msg.id !== '';
    if (!handler) {
      if (isRequest) this.replyError(msg.id, new RpcError(CODE.unknown_type, `unknown message type ${JSON.stringify(msg.type)}`));
      else this.onUnhandled(msg);
      return;
    }
    try {
      const result = await handler(msg);
      if (isRequest && !this.closed) this.post({ id: msg.id, type: TYPES.RESULT, result: result ?? {} });
    } catch (err) {
      if (!isRequest) {
        this.log.warn?.(`authbridge: ${msg.type} handler failed: ${err?.message || err}`);
        return;
      }
      const e = err instanceof RpcError ? err : new RpcError(CODE.internal, String(err?.message || err));
      this.replyError(msg.id, e);
    }
  }

  replyError(id, err) {
    if (this.closed) return;
    try {
      this.post({ id, type: TYPES.ERROR, error: err.toWire() });
    } catch (e) {
      this.log.warn?.(`authbridge: could not send an error reply: ${e?.message || e}`);
    }
  }

  /** addChunk stores one chunk and returns the parsed message once all have arrived. */
  addChunk(c) {
    const { chunk_id: cid, seq, total, data } = c;
    const valid = typeof cid === 'string' && cid !== '' && Number.isInteger(seq) && Number.isInteger(total) &&
      total >= 1 && total <= MAX_CHUNKS && seq >= 0 && seq < total && typeof data === 'string';
    if (!valid) {
      this.log.warn?.('authbridge: dropped a malformed chunk');
      if (typeof cid === 'string') this.dropChunks(cid);
      return undefined;
    }
    let entry = this.chunks.get(cid);
    if (!entry) {
      entry = { total, parts: new Array(total), received: 0, bytes: 0, timer: null };
      entry.timer = this.setTimeout(() => {
        if (this.chunks.delete(cid)) this.log.warn?.(`authbridge: chunked message ${cid} incomplete after ${CHUNK_TTL_MS} ms`);
      }, CHUNK_TTL_MS);
      this.chunks.set(cid, entry);
    }
    if (entry.total !== total) {
      this.log.warn?.(`authbridge: chunk ${cid} changed its total; dropped`);
      this.dropChunks(cid);
      return undefined;
    }
    if (entry.parts[seq] === undefined) {
      entry.parts[seq] = data;
      entry.received++;
      entry.bytes += data.length * 2; // UTF-16 code units in memory
    }
    if (entry.bytes > INCOMING_MESSAGE_LIMIT) {
      this.log.warn?.(`authbridge: chunked message ${cid} exceeds ${INCOMING_MESSAGE_LIMIT} bytes; dropped`);
      this.dropChunks(cid);
      return undefined;
    }
    if (entry.received < entry.total) return undefined;
    this.dropChunks(cid);
    try {
      return JSON.parse(entry.parts.join(''));
    } catch {
      this.log.warn?.(`authbridge: chunked message ${cid} is not valid JSON; dropped`);
      return undefined;
    }
  }

  dropChunks(cid) {
    const e = this.chunks.get(cid);
    if (!e) return;
    this.clearTimeout(e.timer);
    this.chunks.delete(cid);
  }

  /** close rejects every pending request with `code` and drops partial chunks. */
  close(code = CODE.host_unreachable, message = 'the native port closed', extra = {}) {
    this.closed = true;
    for (const [id, p] of this.pending) {
      this.clearTimeout(p.timer);
      p.reject(new RpcError(code, message, extra));
      this.pending.delete(id);
    }
    for (const cid of [...this.chunks.keys()]) this.dropChunks(cid);
  }
}
