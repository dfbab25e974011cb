'use strict';
// Escalation paths of a run, in process with real Chromium and a
// hand-written fake of the authbridge session module (the real agent is
// exercised end to end by host/e2e TestLinkedInRunner).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const { Run } = require('../lib/run.cjs');
const { CHROMIUM } = require('./helpers/runner.cjs');

const SCRIPT = path.join(__dirname, '..', 'testdata', 'connectors', 'signin-escalate.js');
const GOOD = { name: 'sid', value: 'good-session-value', domain: '127.0.0.1', path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Lax' };
const PROMPT = { what: 'Your Test session has expired.', why: 'The site signed you out.', action: { id: 'interactive', label: 'Sign in again' } };

/** fakeSessions answers as authbridge would in one situation. */
const ALLOW = { what: 'Access not allowed yet', why: 'Your browser has not allowed authbridge to read 127.0.0.1 for Test.', action: { id: 'allow_access', label: 'Allow in the authbridge popup' } };

function fakeSessions({ repairHealthy, repairReason = 'SESSION_EXPIRED', repairDetail = 'login_redirect', repairPrompt = PROMPT, interactiveOK = true, noBrowser = false, notGranted = false }) {
  const calls = [];
  let signedIn = false;
  const nb = notGranted
    ? { code: 'access_not_granted', status: 403, detail: '127.0.0.1', prompt: ALLOW, message: 'access not granted: your browser has not allowed authbridge to read 127.0.0.1 for connector test. Allow in the authbridge popup' }
    : { code: 'browser_not_connected', reason: 'UNKNOWN', message: 'no browser is connected to authbridge' };
  noBrowser = noBrowser || notGranted;
  return {
    calls,
    enabled: true,
    async cookies(id) {
      calls.push('cookies');
      if (noBrowser) return { ok: false, error: nb };
      return { ok: true, cookies: signedIn ? [GOOD] : [] };
    },
    async repair(id, runId) {
      calls.push(`repair:${runId}`);
      if (noBrowser) return { ok: false, error: nb };
      if (repairHealthy) signedIn = true;
      return repairHealthy
        ? { ok: true, healthy: true, reason: 'OK', detail: 'logged_in', prompt: null }
        : { ok: true, healthy: false, reason: repairReason, detail: repairDetail, prompt: repairPrompt };
    },
    async verify() {
      calls.push('verify');
      return { ok: true, healthy: false, reason: 'UNKNOWN', detail: 'browser_not_connected', prompt: { what: 'No browser is connected.', action: { id: 'open_browser', label: 'Open your browser' } } };
    },
    async interactive(id, runId) {
      calls.push(`interactive:${runId}`);
      if (!interactiveOK) return { ok: false, error: { code: 'timeout', message: 'the sign-in did not complete' } };
      signedIn = true;
      return { ok: true, value: { row: { health: 'Healthy' } } };
    },
    async events(list) {
      calls.push(...list.map((e) => `event:${e.type}:${e.auth_mode_used || ''}`));
      return { ok: true };
    },
  };
}

async function site() {
  const server = http.createServer((req, res) => {
    const signedIn = /(^|;\s*)sid=good-session-value/.test(req.headers.cookie || '');
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(signedIn ? '<p>Welcome back</p>' : '<p>Please sign in</p>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

async function runWith(t, sessions, { mode = '', allowHeaded = true } = {}) {
  const s = await site();
  const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-esc-'));
  t.after(async () => {
    await s.close();
    fs.rmSync(profiles, { recursive: true, force: true });
  });
  const lines = [];
  const run = new Run({
    msg: { runId: 'esc-run-1', connectorPath: SCRIPT, url: s.url + (mode ? `?mode=${mode}` : ''), allowHeaded },
    send: (m) => lines.push(m), log: () => {}, sessions,
    env: { AUTHBRIDGE_CHROMIUM: CHROMIUM, AUTHBRIDGE_PROFILES_DIR: profiles },
  });
  await run.start();
  const result = lines.find((m) => m.type === 'result');
  assert.ok(result, `no result line: ${JSON.stringify(lines)}`);
  assert.doesNotMatch(JSON.stringify(lines), /good-session-value/, 'no cookie value in any line');
  return { result, lines, waiting: lines.filter((m) => m.type === 'status' && m.status === 'WAITING_FOR_USER') };
}

test('showBrowser: repaired from the browser session, no click, headless', async (t) => {
  const f = fakeSessions({ repairHealthy: true });
  const { result, waiting } = await runWith(t, f);
  assert.equal(result.classification.outcome, 'success', JSON.stringify(result));
  assert.equal(waiting.length, 0);
  assert.ok(f.calls.includes('repair:esc-run-1'), 'repair with the run id');
  assert.ok(!f.calls.some((c) => c.startsWith('interactive')), 'no interactive repair');
  assert.ok(f.calls.includes('event:run_succeeded:headless_only'), f.calls.join(' '));
});

test('promptUser: repaired from the browser session, the check passes', async (t) => {
  const f = fakeSessions({ repairHealthy: true });
  const { result, waiting } = await runWith(t, f, { mode: 'prompt' });
  assert.equal(result.classification.outcome, 'success', JSON.stringify(result));
  assert.equal(waiting.length, 0);
});

test('showBrowser: not repairable, a person is there: one WAITING_FOR_USER with the prompt, then success', async (t) => {
  const f = fakeSessions({ repairHealthy: false });
  const { result, waiting } = await runWith(t, f);
  assert.equal(result.classification.outcome, 'success', JSON.stringify(result));
  assert.equal(waiting.length, 1);
  assert.equal(waiting[0].message, `${PROMPT.what} ${PROMPT.action.label}`);
  assert.deepEqual(waiting[0].prompt, PROMPT);
  assert.equal(waiting[0].reason, 'SESSION_EXPIRED');
  assert.ok(f.calls.includes('interactive:esc-run-1'));
  assert.ok(f.calls.includes('event:run_succeeded:interactive_required'), f.calls.join(' '));
});

test('not repairable and nobody there: auth_failed at once with the precise reason', async (t) => {
  const f = fakeSessions({ repairHealthy: false, repairReason: 'CHECKPOINT_OR_SUSPICIOUS_LOGIN' });
  const { result, waiting } = await runWith(t, f, { allowHeaded: false });
  const c = result.classification;
  assert.equal(c.outcome, 'failure');
  assert.equal(c.errorClass, 'auth_failed');
  assert.equal(c.debug.reason, 'CHECKPOINT_OR_SUSPICIOUS_LOGIN');
  assert.equal(c.debug.detail, 'login_redirect');
  assert.deepEqual(c.debug.prompt, PROMPT);
  assert.equal(waiting.length, 0);
  assert.equal(f.calls.filter((x) => x.startsWith('repair')).length, 1, 'not retried');
  assert.ok(!f.calls.some((x) => x.startsWith('interactive')));
});

test('the interactive sign-in does not complete: auth_failed, interactive_timeout', async (t) => {
  const f = fakeSessions({ repairHealthy: false, interactiveOK: false });
  const { result } = await runWith(t, f);
  assert.equal(result.classification.errorClass, 'auth_failed');
  assert.equal(result.classification.debug.detail, 'interactive_timeout');
});

test('no browser connected and nobody there: auth_failed with browser_not_connected and the action', async (t) => {
  const f = fakeSessions({ noBrowser: true });
  const { result, lines } = await runWith(t, f, { allowHeaded: false });
  const c = result.classification;
  assert.equal(c.errorClass, 'auth_failed');
  assert.equal(c.debug.code, 'browser_not_connected');
  assert.equal(c.debug.detail, 'browser_not_connected');
  assert.equal(c.debug.prompt.action.id, 'open_browser');
  assert.ok(lines.some((m) => m.type === 'log' && /no browser is connected to authbridge: running on the profile's own cookies/.test(m.message)));
});

const NOT_TRANSFERABLE = { what: 'Your Test session only works in its own browser.', why: 'A copy of it stops working.', action: { id: 'sign_in_connector_browser', label: 'Sign in inside the connector\u2019s browser' } };

test('session_not_transferable and nobody there: auth_failed with that detail, no interactive repair in the user\'s browser', async (t) => {
  const f = fakeSessions({ repairHealthy: false, repairDetail: 'session_not_transferable', repairPrompt: NOT_TRANSFERABLE });
  const { result, waiting } = await runWith(t, f, { allowHeaded: false });
  const c = result.classification;
  assert.equal(c.errorClass, 'auth_failed');
  assert.equal(c.debug.reason, 'SESSION_EXPIRED');
  assert.equal(c.debug.detail, 'session_not_transferable');
  assert.equal(c.debug.prompt.action.id, 'sign_in_connector_browser');
  assert.equal(waiting.length, 0);
  assert.ok(!f.calls.some((x) => x.startsWith('interactive')), f.calls.join(' '));
});

test('session_not_transferable with a person there: the prompt says so and the sign-in happens in the run\'s browser, not the user\'s', async (t) => {
  const f = fakeSessions({ repairHealthy: false, repairDetail: 'session_not_transferable', repairPrompt: NOT_TRANSFERABLE });
  const { waiting, lines } = await runWith(t, f);
  assert.equal(waiting.length, 1);
  assert.equal(waiting[0].detail, 'session_not_transferable');
  assert.deepEqual(waiting[0].prompt, NOT_TRANSFERABLE);
  assert.ok(!f.calls.some((x) => x.startsWith('interactive')), 'no interactive repair in the user\'s browser: ' + f.calls.join(' '));
  assert.ok(lines.some((m) => m.type === 'log' && /browser window/.test(m.message)), 'the script\'s own headed window was tried');
});

test('access not granted and nobody there: auth_failed with access_not_granted and the allow_access action', async (t) => {
  const f = fakeSessions({ notGranted: true });
  const { result, waiting, lines } = await runWith(t, f, { allowHeaded: false });
  const c = result.classification;
  assert.equal(c.errorClass, 'auth_failed');
  assert.equal(c.debug.code, 'access_not_granted');
  assert.equal(c.debug.detail, 'access_not_granted');
  assert.equal(c.debug.prompt.action.id, 'allow_access');
  assert.equal(waiting.length, 0);
  assert.ok(!f.calls.some((x) => x.startsWith('interactive')), f.calls.join(' '));
  assert.ok(lines.some((m) => m.type === 'log' && /Allow in the authbridge popup/.test(m.message)));
});

test('access not granted with a person there: WAITING_FOR_USER says what to click', async (t) => {
  const f = fakeSessions({ notGranted: true });
  const { waiting } = await runWith(t, f);
  assert.equal(waiting.length, 1);
  assert.equal(waiting[0].detail, 'access_not_granted');
  assert.equal(waiting[0].prompt.action.id, 'allow_access');
  assert.match(waiting[0].message, /authbridge popup.*Allow access on the .* row \(127\.0\.0\.1\), then Allow in the browser's prompt/);
  assert.ok(!f.calls.some((x) => x.startsWith('interactive')), 'no interactive sign-in for a grant: ' + f.calls.join(' '));
});
