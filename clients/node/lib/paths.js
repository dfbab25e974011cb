'use strict';
// Where the agent's API socket is, decided exactly as the Go code does
// (host/paths): AUTHBRIDGE_HOME or the OS convention for the home, and a short
// user-only runtime directory for the sockets. Both rules are tested against
// one table of cases, host/paths/testdata/sockets.json.

const crypto = require('node:crypto');
const os = require('node:os');
const path = require('node:path');

// Socket paths stay under the smallest sun_path limit (104 bytes on macOS,
// 108 on Linux), leaving room for the terminating NUL.
const MAX_SOCKET_PATH = 100;

function fits(dir) {
  return Buffer.byteLength(path.join(dir, 'bridge.sock')) <= MAX_SOCKET_PATH;
}

/**
 * pipeName is the Windows named pipe standing in for the agent's kind ('api'
 * or 'bridge') socket of home, an absolute path: \\.\pipe\authbridge-<h>-<kind>,
 * h the first 16 hex digits of the SHA-256 of home's UTF-8 bytes. The Go rule
 * (host/paths.PipeName) is the same; both are tested against
 * host/paths/testdata/sockets.json.
 */
function pipeName(home, kind) {
  const h = crypto.createHash('sha256').update(home, 'utf8').digest('hex').slice(0, 16);
  return `\\\\.\\pipe\\authbridge-${h}-${kind}`;
}

function defaultHome(env, platform) {
  const p = platform === 'win32' ? path.win32 : path;
  if (platform === 'win32') {
    if (env.LOCALAPPDATA) return p.join(env.LOCALAPPDATA, 'authbridge');
  } else if (platform === 'darwin') {
    if (env.HOME) return path.join(env.HOME, 'Library', 'Application Support', 'authbridge');
  } else {
    if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'authbridge');
    if (env.HOME) return path.join(env.HOME, '.local', 'state', 'authbridge');
  }
  return p.join(os.homedir(), '.authbridge');
}

function runtimeDir(home, explicit, env, platform, uid) {
  if (!explicit && platform === 'linux' && env.XDG_RUNTIME_DIR) {
    const d = path.join(env.XDG_RUNTIME_DIR, 'authbridge');
    if (fits(d)) return d;
  }
  const run = path.join(home, 'run');
  if (fits(run)) return run;
  // A deep home: a short per-user, per-home directory in the temp directory.
  const sum = crypto.createHash('sha256').update(home).digest('hex').slice(0, 12);
  const tmp = platform === 'win32' ? os.tmpdir() : '/tmp';
  return path.join(tmp, `authbridge-${uid}-${sum}`);
}

/**
 * resolvePaths returns the home and API socket an authbridge command would
 * use with this environment: on Windows the socket is a named pipe
 * (pipeName). An explicit socket (opts.socket, then AUTHBRIDGE_SOCKET) wins
 * over the one computed from the home.
 */
function resolvePaths({ env = process.env, home, socket, platform = process.platform, uid } = {}) {
  let h = home || env.AUTHBRIDGE_HOME || '';
  const explicit = h !== '';
  if (!explicit) h = defaultHome(env, platform);
  if (platform === 'win32') {
    h = path.win32.resolve(h);
  } else {
    h = path.resolve(h);
  }
  if (uid === undefined) uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const computed = platform === 'win32'
    ? pipeName(h, 'api')
    : path.join(runtimeDir(h, explicit, env, platform, uid), 'api.sock');
  const sock = socket || env.AUTHBRIDGE_SOCKET || computed;
  return { home: h, explicitHome: explicit, socket: sock, explicitSocket: sock !== computed };
}

module.exports = { resolvePaths, pipeName };
