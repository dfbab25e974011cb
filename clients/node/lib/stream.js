'use strict';
// Client#cookieStream: GET /v1/connectors/{id}/cookies/stream on one
// dedicated connection (not the kept-alive pool), read as server-sent
// events.

const http = require('node:http');
const { AuthbridgeError, ClientCodes, apiError } = require('./errors');

/**
 * parseEvent reads one server-sent event block (the lines between two blank
 * lines) into {event, data}: event defaults to "message", data lines are
 * joined with newlines, comment lines are skipped. data is null when the
 * block has no data line.
 */
function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return { event, data: data.length === 0 ? null : data.join('\n') };
}

// open makes the stream's request and answers the response.
async function open(client, path, signal, what) {
  try {
    return await new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: client.socket, method: 'GET', path, signal, agent: false,
        headers: { Host: 'authbridge', Accept: 'text/event-stream' },
      }, resolve);
      req.on('error', reject);
      req.end();
    });
  } catch (err) {
    if (signal && signal.aborted) return null;
    throw new AuthbridgeError(`${what}: cannot reach the agent on ${client.socket}: ${err.message}`, {
      code: ClientCodes.AGENT_UNREACHABLE, detail: err.code || 'unreachable', cause: err,
    });
  }
}

// MAX_EVENT_CHARS bounds one event of the stream: a connector's cookie set
// is far smaller, so a longer one is a broken stream, not a bigger buffer.
const MAX_EVENT_CHARS = 16 << 20;

// events yields the parsed events of res, a text/event-stream answer (an
// async iterable of strings), and throws when one event passes max chars.
async function* events(res, max = MAX_EVENT_CHARS) {
  if (typeof res.setEncoding === 'function') res.setEncoding('utf8');
  let buf = '';
  for await (const chunk of res) {
    buf += chunk;
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const e = parseEvent(block);
      if (e.data !== null) yield e;
    }
    if (buf.length > max) throw new Error(`an event of more than ${max} characters`);
  }
}

// cookieStream is Client#cookieStream (see there).
async function* cookieStream(client, path, opts) {
  const signal = opts.signal;
  const what = `GET ${path}`;
  if (signal && signal.aborted) return;
  try {
    await client._call('GET', '/v1/ping', { signal }); // starts the agent when needed
  } catch (err) {
    if (signal && signal.aborted) return;
    throw err;
  }
  const res = await open(client, path, signal, what);
  if (!res) return;
  try {
    if (res.statusCode >= 400) {
      const chunks = [];
      for await (const c of res) chunks.push(c);
      throw apiError(res.statusCode, Buffer.concat(chunks), what);
    }
    try {
      for await (const { event, data } of events(res)) {
        const body = JSON.parse(data);
        if (event === 'cookies') yield body;
        else if (event === 'error' && body && body.code === 'access_not_granted') {
          // The grant was removed in the browser: the agent ends the
          // stream, and so does the iteration, with that error.
          throw apiError(403, Buffer.from(JSON.stringify({ error: body })), what);
        } else if (event === 'error' && typeof opts.onError === 'function') opts.onError(apiError(500, Buffer.from(JSON.stringify({ error: body })), what));
      }
    } catch (err) {
      if (signal && signal.aborted) return;
      if (err instanceof AuthbridgeError) throw err;
      throw new AuthbridgeError(`${what}: the stream broke: ${err.message}`, { code: ClientCodes.CONNECTION_LOST, cause: err });
    }
    if (signal && signal.aborted) return;
    throw new AuthbridgeError(`${what}: the agent closed the stream`, { code: ClientCodes.CONNECTION_LOST });
  } finally {
    res.destroy();
  }
}

module.exports = { cookieStream, parseEvent, events };
