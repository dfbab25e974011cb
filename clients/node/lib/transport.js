'use strict';
// The transport under the Client: one HTTP request over the agent's socket
// (or named pipe), bounded by a deadline, with the agent started on demand
// and the client's own error codes for answers that never came.

const http = require('node:http');
const { spawn } = require('node:child_process');
const { AuthbridgeError, ClientCodes, apiError } = require('./errors');

// deadline joins the caller's signal and a timer into one signal, and
// remembers which of them fired.
function deadline(signal, ms) {
  const ctl = new AbortController();
  let why = '';
  const onAbort = () => {
    if (!why) why = 'aborted';
    ctl.abort(signal.reason);
  };
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  let timer;
  if (Number.isFinite(ms) && ms > 0 && !ctl.signal.aborted) {
    timer = setTimeout(() => {
      if (!why) why = 'timeout';
      ctl.abort(new Error('timeout'));
    }, ms);
  }
  return {
    signal: ctl.signal,
    ms,
    why: () => why,
    done() {
      clearTimeout(timer);
      if (signal) signal.removeEventListener('abort', onAbort);
    },
  };
}

// stopped is the error of a call whose deadline fired: timeout or aborted.
function stopped(dl, what, cause) {
  if (dl.why() === 'timeout') {
    return new AuthbridgeError(`${what}: no answer within ${dl.ms} ms`, { code: ClientCodes.TIMEOUT, cause });
  }
  return new AuthbridgeError(`${what}: aborted`, { code: ClientCodes.ABORTED, cause: dl.signal.reason ?? cause });
}

// sleep waits ms, or until signal aborts (then it resolves early; the caller
// looks at the signal).
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// raceSignal settles with p, or rejects as soon as signal aborts.
function raceSignal(p, signal) {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const isDown = (err) => err && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED');
const isReset = (err) => err && (err.code === 'ECONNRESET' || err.code === 'EPIPE');

/**
 * request sends one call of client (its socket, _agent pool, _autoStart and
 * _ensureAgent) within deadline dl and answers the parsed JSON, or the text
 * for the other content types. Nothing answering starts the agent once; a
 * reset connection is retried once when that is safe.
 */
async function request(client, method, path, opts, dl, what) {
  let data = opts.raw;
  let contentType = opts.contentType;
  if (!data && opts.body !== undefined) {
    data = Buffer.from(JSON.stringify(opts.body), 'utf8');
    contentType = 'application/json';
  }
  let started = false;
  let retried = false;
  let res;
  for (;;) {
    if (dl.signal.aborted) throw stopped(dl, what);
    try {
      res = await send(client, method, path, data, contentType, dl.signal);
      break;
    } catch (err) {
      if (dl.signal.aborted) throw stopped(dl, what, err);
      if (isDown(err)) {
        if (!client._autoStart || started) {
          throw new AuthbridgeError(`${what}: the authbridge agent does not answer on ${client.socket}`, {
            code: ClientCodes.AGENT_UNREACHABLE, detail: 'not_running', cause: err,
          });
        }
        started = true;
        try {
          await raceSignal(client._ensureAgent(), dl.signal);
        } catch (serr) {
          if (dl.signal.aborted) throw stopped(dl, what, serr);
          throw serr;
        }
        continue;
      }
      // A kept-alive connection the agent had closed, or an agent killed
      // with connections in its backlog: safe to send again when nothing
      // was processed (a reused socket) or the request only reads.
      if (isReset(err) && !retried && (method === 'GET' || err.reusedSocket)) {
        retried = true;
        continue;
      }
      throw sendError(client, what, err);
    }
  }
  return decode(res, opts, what);
}

// sendError is the error of a request that got no answer.
function sendError(client, what, err) {
  if (isReset(err)) {
    return new AuthbridgeError(`${what}: the connection to the agent broke before its answer`, {
      code: ClientCodes.CONNECTION_LOST, detail: err.code, cause: err,
    });
  }
  return new AuthbridgeError(`${what}: cannot reach the agent on ${client.socket}: ${err.message}`, {
    code: ClientCodes.AGENT_UNREACHABLE, detail: err.code || 'unreachable', cause: err,
  });
}

// decode turns an answer into the call's value: the API's error, parsed
// JSON (with a notice field), or text.
function decode(res, opts, what) {
  if (res.status >= 400) throw apiError(res.status, res.body, what);
  if (/json/i.test(res.type)) {
    let v;
    try {
      v = JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      throw new AuthbridgeError(`${what}: the agent's answer is not JSON`, { code: ClientCodes.BAD_ANSWER, status: res.status, cause: err });
    }
    // A correct answer that is probably not what was hoped for (no auth
    // cookie in the browser) says why in a field, not an exception. It is
    // not enumerable, so JSON.stringify and Playwright see the answer as is.
    if (res.notice && v && typeof v === 'object') Object.defineProperty(v, 'notice', { value: res.notice, enumerable: false });
    return v;
  }
  if (opts.onNotice && res.notice) opts.onNotice(res.notice);
  return res.body.toString('utf8');
}

// send makes one HTTP request on client's kept-alive pool and answers
// {status, type, body, notice}.
function send(client, method, path, data, contentType, signal) {
  return new Promise((resolve, reject) => {
    const headers = { Host: 'authbridge' };
    if (data) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = data.length;
    }
    const req = http.request({ socketPath: client.socket, method, path, headers, agent: client._agent, signal }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, type: res.headers['content-type'] || '', body: Buffer.concat(chunks),
        notice: res.headers['authbridge-notice'] ? { code: res.headers['authbridge-notice-code'] || '', message: res.headers['authbridge-notice'] } : null,
      }));
      res.on('error', (err) => reject(err));
      res.on('aborted', () => reject(Object.assign(new Error('the answer was cut short'), { code: 'ECONNRESET' })));
    });
    req.on('error', (err) => {
      err.reusedSocket = req.reusedSocket;
      reject(err);
    });
    req.end(data);
  });
}

// startAgent runs `bin serve`, which starts the agent in the background and
// exits once it listens, within timeoutMs.
function startAgent(bin, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true });
    } catch (err) {
      reject(startError(bin, err));
      return;
    }
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => {
      if (stderr.length < 4096) stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    let failed = null;
    child.on('error', (err) => {
      failed = err;
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (failed) return reject(startError(bin, failed));
      if (code === 0) return resolve();
      const why = sig ? `did not start within ${timeoutMs} ms` : `exited with status ${code}`;
      const said = stderr.trim().split('\n').pop();
      reject(new AuthbridgeError(`\`${bin} serve\` ${why}${said ? `: ${said}` : ''}`, {
        code: ClientCodes.AGENT_UNREACHABLE, detail: 'start_failed',
      }));
    });
  });
}

function startError(bin, err) {
  if (err.code === 'ENOENT') {
    return new AuthbridgeError(`cannot start the agent: ${bin} was not found (set AUTHBRIDGE_BIN or the bin option, or put authbridge on PATH)`, {
      code: ClientCodes.AGENT_UNREACHABLE, detail: 'binary_not_found', cause: err,
    });
  }
  return new AuthbridgeError(`cannot start the agent with ${bin}: ${err.message}`, {
    code: ClientCodes.AGENT_UNREACHABLE, detail: 'start_failed', cause: err,
  });
}

module.exports = { deadline, stopped, sleep, request, startAgent };
