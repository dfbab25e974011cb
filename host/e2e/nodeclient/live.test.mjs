// The Node client against a real agent with a real browser: the Go test
// TestNodeClientLive signs in on the demo site in Chromium (with the
// extension), expires the site's sessions, runs this file with node --test,
// and signs in again in the tab interactive() opens. Variables:
//   AUTHBRIDGE_HOME, AUTHBRIDGE_BIN   the agent's home and the binary
//   CONNECTOR                         the connector id
//   ACCOUNT_URL                       a URL of the connector (for --format header)
//   RESOLVED_FILE                     written when interactive({wait}) resolves
// No assertion message holds a cookie value: answers are compared whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Client, AuthbridgeError } from '../../../clients/node/index.mjs';

const env = process.env;
const id = env.CONNECTOR;
const client = new Client();

function cli(...args) {
  return execFileSync(env.AUTHBRIDGE_BIN, args, { encoding: 'utf8', env });
}

test('cookies() equals the CLI output in every format', async () => {
  const state = await client.cookies(id);
  assert.ok(Array.isArray(state.cookies) && state.cookies.length > 0, 'cookies() gave no cookies for the signed-in connector');
  assert.ok(state.cookies.some((c) => c.name === 'sid'), 'the storage state lacks the sid cookie');
  const cases = [
    ['playwright', {}, (s) => JSON.stringify(JSON.parse(s))],
    ['cdp', {}, (s) => JSON.stringify(JSON.parse(s))],
    ['netscape', {}, (s) => s],
    // The CLI ends the header line with a newline for the terminal.
    ['header', { url: env.ACCOUNT_URL }, (s) => s.trimEnd()],
  ];
  for (const [format, extra, norm] of cases) {
    const mine = await client.cookies(id, { format, ...extra });
    const args = ['cookies', id, '--format', format];
    if (extra.url) args.push('--url', extra.url);
    const theirs = cli(...args);
    const got = typeof mine === 'string' ? norm(mine) : JSON.stringify(mine);
    assert.ok(got === norm(theirs), `cookies({format: '${format}'}) differs from \`authbridge cookies --format ${format}\``);
    if (format === 'playwright' || format === 'cdp') assert.equal(typeof mine, 'object', format);
    else assert.equal(typeof mine, 'string', format);
  }
});

test('verify() reports the expired session; interactive({wait}) resolves after the sign-in', async () => {
  const v = await client.verify(id, { runId: `${id}-1764590000000` });
  assert.equal(v.result.code, 'SESSION_EXPIRED');
  assert.equal(v.row.health_key, 'needs_attention');
  const res = await client.interactive(id, { wait: true, timeoutMs: 90_000 });
  writeFileSync(env.RESOLVED_FILE, String(Date.now()));
  assert.equal(res.row.id, id);
  assert.equal(res.row.health_key, 'healthy');
  assert.equal(res.row.awaiting_interactive, false);
  assert.ok(res.row.last_interactive_login_at, 'the interactive login is not recorded');
  assert.ok(res.tab_id > 0);
  const st = await client.status();
  assert.equal(st.connectors.find((r) => r.id === id).health_key, 'healthy');
});

test('the browser is connected: cookies of an unknown connector are not_found', async () => {
  await assert.rejects(client.cookies('nosuch'), (e) => e instanceof AuthbridgeError && e.code === 'not_found' && e.status === 404);
  client.close();
});
