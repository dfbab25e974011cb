// docs/privacy.md lists every message that carries cookie values out of
// the extension. This test drives every message the worker handles (and
// the notifications a cookie change causes) with a cookie whose value is a
// marker, and fails when a message that carried the marker is not listed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from '../lib/worker.js';
import { TYPES } from '../lib/protocol.js';
import { FakeClock, cookie, fakeChrome, quietLog, settle } from '../testkit/fakes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MARK = 'VALUE-MARKER-7f3a';
const NOW = 1_700_000_000_000;

/** listed returns the message types named in docs/privacy.md's "Messages that carry cookie values" section. */
function listed() {
  const doc = readFileSync(join(root, 'docs', 'privacy.md'), 'utf8');
  const m = /## Messages that carry cookie values\n([\s\S]*?)(\n## |$)/.exec(doc);
  assert.ok(m, 'docs/privacy.md has no "## Messages that carry cookie values" section');
  return new Set([...m[1].matchAll(/^\|\s*`([a-z.]+)`/gm)].map((x) => x[1]));
}

test('every message that carries cookie values is listed in docs/privacy.md', async () => {
  const chrome = fakeChrome({ cookies: [cookie({ name: 'sid', domain: '.demo.test', hostOnly: false, value: MARK, session: false, expirationDate: NOW / 1000 + 3600 })] });
  const clock = new FakeClock(NOW);
  const fetch = async () => ({ status: 200, arrayBuffer: async () => new ArrayBuffer(0) });
  const w = startWorker({ chrome, log: quietLog, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now, random: () => 0.5, userAgent: 'ua', fetch });
  const native = chrome.natives.at(-1);
  await settle();
  native.onMessage.emit({ id: native.last('hello').id, type: 'result', result: { agent_version: '1', bridge_id: 'b' } });
  await settle();
  const fields = {
    domains: ['demo.test'], url: 'http://demo.test/account', limit: 10, hold: true,
    connectors: [{ id: 'demo', domains: ['demo.test'], auth_cookies: ['sid'] }],
  };
  // Every request type the worker answers.
  const asked = new Map();
  let n = 0;
  for (const type of Object.keys(w.handlers)) {
    if (type === TYPES.TABS_OPEN) continue; // opens a tab; carries no cookie
    const id = `h${++n}`;
    asked.set(id, type);
    native.onMessage.emit({ id, type, ...fields });
    await settle(10);
  }
  // Notifications a cookie change causes.
  chrome.cookies.onChanged.emit({ removed: false, cause: 'explicit', cookie: cookie({ name: 'sid', domain: '.demo.test', hostOnly: false, value: MARK }) });
  clock.advance(1000);
  await settle(10);
  chrome.permissions.revoke(['*://*/*']);
  await settle(10);

  const carrying = new Set();
  for (const m of native.sent) {
    if (!JSON.stringify(m).includes(MARK)) continue;
    carrying.add(m.type === 'result' || m.type === 'error' ? asked.get(m.id) ?? `reply to ${m.id}` : m.type);
  }
  assert.ok(carrying.has(TYPES.COOKIES_GET), 'the test reaches cookies.get (it must see values)');
  const docs = listed();
  for (const type of carrying) assert.ok(docs.has(type), `${type} carries cookie values but docs/privacy.md does not list it`);
});
