'use strict';
// How a run ends (outcome.cjs): the classification of what the script left
// and the events recorded for it.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { outcomeOf, RunEvents } = require('../lib/outcome.cjs');
const { AuthState } = require('../lib/escalation.cjs');

const base = { connectorId: 'demo', requestedScopes: ['demo.profile'] };

test('outcomeOf: result set, result returned, no result, an error', () => {
  const ok = outcomeOf({ ...base, data: { result: { 'demo.profile': { a: 1 } } }, auth: new AuthState() });
  assert.equal(ok.classification.outcome, 'success');
  const returned = outcomeOf({ ...base, data: {}, returned: { data: { 'demo.profile': { a: 1 } } }, auth: new AuthState() });
  assert.equal(returned.classification.outcome, 'success');
  const none = outcomeOf({ ...base, data: {}, auth: new AuthState() });
  assert.equal(none.classification.errorClass, 'protocol_violation');
  const err = outcomeOf({ ...base, data: { error: 'the page broke' }, auth: new AuthState() });
  assert.equal(err.classification.errorClass, 'runtime_error');
  assert.equal(err.classification.debug.message, 'the page broke');
});

test('outcomeOf: a sign-in error becomes the session\'s failure', () => {
  const noBrowser = new AuthState();
  noBrowser.noBrowser = { code: 'browser_not_connected', reason: 'UNKNOWN', message: 'no browser' };
  const a = outcomeOf({ ...base, data: { error: 'please log in' }, auth: noBrowser });
  assert.equal(a.classification.errorClass, 'auth_failed');
  assert.equal(a.classification.debug.code, 'browser_not_connected');
  assert.equal(a.classification.debug.detail, 'browser_not_connected');

  const escalated = new AuthState();
  escalated.to('escalate');
  escalated.to('no_help');
  const b = outcomeOf({ ...base, data: { error: { why: 'blocked' } }, auth: escalated });
  assert.equal(b.classification.errorClass, 'auth_failed');
  assert.equal(b.classification.debug.reason, 'UNKNOWN');

  const recovered = new AuthState();
  recovered.to('escalate');
  recovered.to('repaired');
  const c = outcomeOf({ ...base, data: { error: 'the page broke' }, auth: recovered });
  assert.equal(c.classification.errorClass, 'runtime_error');
});

test('RunEvents: in order, auth_checked before the end, the auth mode; dropped after a refusal', async () => {
  const batches = [];
  let refuse = false;
  const lines = [];
  const sessions = { enabled: true, async events(list) { batches.push(...list); return refuse ? { ok: false, error: { code: 'internal', message: 'no' } } : { ok: true }; } };
  let id = '';
  const ev = new RunEvents({ sessions, runId: 7, connectorId: () => id, debug: (m) => lines.push(m) });
  ev.record('run_started');
  id = 'demo';
  ev.record('run_started');
  const auth = new AuthState();
  auth.to('escalate');
  auth.to('repair_failed');
  auth.reason = 'SESSION_EXPIRED';
  await ev.ended({ outcome: 'failure', errorClass: 'auth_failed' }, auth, Date.now());
  assert.deepEqual(batches.map((e) => [e.type, e.connector_id, e.run_id, e.auth_mode_used || '', e.auth_failure_reason || '']), [
    ['run_started', 'demo', '7', '', ''],
    ['auth_checked', 'demo', '7', 'headless_only', 'SESSION_EXPIRED'],
    ['run_failed', 'demo', '7', 'interactive_required', 'SESSION_EXPIRED'],
  ]);
  refuse = true;
  ev.record('x');
  ev.record('y');
  await ev.queue;
  assert.equal(batches.length, 4, 'one refused batch, the next not sent');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /did not record the run's events \(internal\)/);
});
