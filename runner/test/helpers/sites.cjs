'use strict';
// Test helper: HTTPS servers on 127.0.0.1 with a throw-away self-signed
// certificate, reached by real host names through Chromium's
// --host-resolver-rules (the browser runs with --ignore-certificate-errors).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const { execFileSync } = require('node:child_process');

let cert = null;

/** selfSigned makes (once) a certificate for the given names. */
function selfSigned() {
  if (cert) return cert;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-cert-'));
  const key = path.join(dir, 'key.pem');
  const crt = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt,
    '-days', '2', '-subj', '/CN=loopback.test',
    '-addext', 'subjectAltName=DNS:example.com,DNS:*.example.com,DNS:linkedin.com,DNS:*.linkedin.com,IP:127.0.0.1'],
  { stdio: 'ignore' });
  cert = { key: fs.readFileSync(key), cert: fs.readFileSync(crt) };
  fs.rmSync(dir, { recursive: true, force: true });
  return cert;
}

/** serve starts an HTTPS server with handler on 127.0.0.1 and a free port. */
async function serve(handler) {
  const server = https.createServer(selfSigned(), handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** browserArgs is AUTHBRIDGE_BROWSER_ARGS mapping hosts to the server. */
function browserArgs(port, hosts) {
  const rules = hosts.map((h) => `MAP ${h} 127.0.0.1:${port}`).join(', ');
  return JSON.stringify([`--host-resolver-rules=${rules}`, '--ignore-certificate-errors', '--disable-quic']);
}

module.exports = { serve, browserArgs, selfSigned };
