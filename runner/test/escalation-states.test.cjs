'use strict';
// The escalation's state machine (escalation.cjs) without a browser: every
// transition of the table, the ones it refuses, and the auth mode it
// reports; then the escalation paths against a fake authbridge.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { AuthState, TRANSITIONS, nextState, escalate, signedOutReason } = require('../lib/escalation.cjs');
const { RunEnded } = require('../lib/runended.cjs');

const EVENTS = ['escalate', 'repaired', 'repair_failed', 'no_help', 'ask_person', 'person_signed_in', 'person_failed'];

test('nextState: the table\'s transitions, every other one refused by name', () => {
  const want = {
    unchecked: { escalate: 'repairing' },
    repairing: { escalate: 'repairing', repaired: 'recovered', repair_failed: 'unrepaired', no_help: 'unrepaired', ask_person: 'waiting_for_person' },
    unrepaired: { escalate: 'repairing', no_help: 'unrepaired', ask_person: 'waiting_for_person' },
    waiting_for_person: { escalate: 'repairing', no_help: 'waiting_for_person', person_signed_in: 'recovered', person_failed: 'unrepaired' },
    recovered: {},
  };
  assert.deepEqual(Object.keys(TRANSITIONS).sort(), Object.keys(want).sort());
  for (const [from, row] of Object.entries(want)) {
    for (const ev of EVENTS) {
      if (row[ev]) assert.equal(nextState(from, ev), row[ev], `${from} on ${ev}`);
      else assert.throws(() => nextState(from, ev), new RegExp(`no transition from ${from} on ${ev}`), `${from} on ${ev} refused`);
    }
  }
  assert.throws(() => nextState('nowhere', 'escalate'), /no transition from nowhere/);
});

test('AuthState: paths through the machine and the auth mode they report', () => {
  const cases = [
    { name: 'no escalation', events: [], state: 'unchecked', mode: 'headless_only', escalated: false, recovered: false },
    { name: 'repaired headless', events: ['escalate', 'repaired'], state: 'recovered', mode: 'headless_only', escalated: true, recovered: true },
    { name: 'repair failed, no help', events: ['escalate', 'repair_failed', 'no_help'], state: 'unrepaired', mode: 'interactive_required', escalated: true, recovered: false },
    { name: 'a person signed in', events: ['escalate', 'repair_failed', 'ask_person', 'person_signed_in'], state: 'recovered', mode: 'interactive_required', escalated: true, recovered: true },
    { name: 'the person did not sign in', events: ['escalate', 'repair_failed', 'ask_person', 'person_failed'], state: 'unrepaired', mode: 'interactive_required', escalated: true, recovered: false },
    { name: 'not transferable: asked, then the script\'s own way', events: ['escalate', 'repair_failed', 'ask_person', 'no_help'], state: 'waiting_for_person', mode: 'interactive_required', escalated: true, recovered: false },
    { name: 'asked again after a person was needed: the mode stays', events: ['escalate', 'no_help', 'escalate', 'repaired'], state: 'recovered', mode: 'interactive_required', escalated: true, recovered: true },
    { name: 'healthy repair without cookies, a person asked at once', events: ['escalate', 'ask_person'], state: 'waiting_for_person', mode: 'interactive_required', escalated: true, recovered: false },
  ];
  for (const c of cases) {
    const a = new AuthState();
    for (const e of c.events) a.to(e);
    assert.equal(a.state, c.state, c.name);
    assert.equal(a.mode, c.mode, c.name);
    assert.equal(a.escalated, c.escalated, c.name);
    assert.equal(a.recovered, c.recovered, c.name);
  }
  const done = new AuthState();
  done.to('escalate');
  done.to('repaired');
  assert.throws(() => done.to('escalate'), /no transition from recovered on escalate/);
});

/** fakeRun is the part of a Run the escalation uses, with a scripted authbridge. */
function fakeRun({ repair, allowHeaded = true, known = true, interactive = { ok: true } }) {
  const lines = [];
  const run = {
    auth: new AuthState(), allowHeaded, runId: 'r1', env: {}, connector: { id: 'demo' },
    abort: new AbortController(), ended: false, endWhy: '', lines,
    browser: { context: null, page: null },
    sessions: {
      enabled: true,
      repairs: 0,
      async repair() { this.repairs++; return repair; },
      async cookies() { return { ok: true, cookies: [{ name: 'sid', domain: 'demo.test', path: '/' }] }; },
      async verify() { return { ok: true, healthy: false, reason: 'UNKNOWN', detail: 'browser_not_connected', prompt: { what: 'No browser' } }; },
      async interactive() { return interactive; },
    },
    checkOpen() { if (run.ended) throw new RunEnded(run.endWhy); },
    log: (m) => lines.push(['log', m]),
    status: (s, extra) => lines.push(['status', s, extra]),
    event: (type, f) => lines.push(['event', type, f]),
    sendAuthChecked: (r) => { run.auth.checkedSent = true; lines.push(['checked', r]); },
    failureFor: (errorClass, debug) => ({ outcome: 'failure', errorClass, debug }),
    async finish(c) { run.ended = true; run.endWhy = c.outcome; lines.push(['finish', c]); },
  };
  run.auth.known = known;
  return run;
}

test('escalate: a healthy repair recovers once; later calls answer at once', async () => {
  const run = fakeRun({ repair: { ok: true, healthy: true, reason: 'OK', detail: 'logged_in' } });
  const [a, b] = await Promise.all([escalate(run, 'showBrowser'), escalate(run, 'promptUser')]);
  assert.deepEqual([a, b], ['recovered', 'recovered']);
  assert.equal(run.sessions.repairs, 1, 'the second call joined the first');
  assert.equal(await escalate(run, 'showBrowser'), 'recovered');
  assert.equal(run.sessions.repairs, 1);
  assert.equal(run.auth.state, 'recovered');
  assert.equal(run.auth.mode, 'headless_only');
  assert.deepEqual(run.lines.find((l) => l[0] === 'checked'), ['checked', 'PROFILE_COOKIE_MISSING']);
});

test('escalate: not repairable and nobody there ends the run with the host\'s reason', async () => {
  const run = fakeRun({ repair: { ok: true, healthy: false, reason: 'MFA_OR_CHALLENGE_REQUIRED', detail: 'mfa_redirect', prompt: null }, allowHeaded: false });
  await assert.rejects(escalate(run, 'showBrowser'), RunEnded);
  assert.equal(run.auth.state, 'unrepaired');
  assert.equal(run.auth.reason, 'MFA_OR_CHALLENGE_REQUIRED');
  assert.equal(run.auth.failure.detail, 'mfa_redirect');
  assert.equal(run.lines.filter((l) => l[0] === 'finish').length, 1);
});

test('escalate: not repairable with a person there goes through waiting_for_person to recovered', async () => {
  const run = fakeRun({ repair: { ok: true, healthy: false, reason: 'SESSION_EXPIRED', detail: 'login_redirect', prompt: { what: 'Expired.', action: { id: 'interactive', label: 'Sign in again' } } } });
  assert.equal(await escalate(run, 'showBrowser'), 'recovered');
  assert.equal(run.auth.state, 'recovered');
  assert.equal(run.auth.mode, 'interactive_required');
  const waiting = run.lines.find((l) => l[0] === 'status' && l[1] === 'WAITING_FOR_USER');
  assert.equal(waiting[2].message, 'Expired. Sign in again');
});

test('escalate: authbridge does not know the connector: unavailable, a person is needed', async () => {
  const run = fakeRun({ repair: null, known: false });
  assert.equal(await escalate(run, 'requestInput'), 'unavailable');
  assert.equal(run.sessions.repairs, 0);
  assert.equal(run.auth.state, 'unrepaired');
  assert.equal(run.auth.mode, 'interactive_required');
});

test('signedOutReason: the host\'s classification of the page\'s cookies; the runner\'s guess only when the host does not answer', async () => {
  const sent = [];
  const page = { url: () => 'https://demo.test/feed' };
  const context = { cookies: async (u) => (u === 'https://demo.test/feed' ? [{ name: 'lang', value: 'en', domain: 'demo.test', path: '/', expires: -1 }] : []) };
  const cases = [
    { name: 'the host classifies', answer: { ok: true, reason: 'PROFILE_COOKIE_MISSING', detail: 'cookie_absent' }, want: 'PROFILE_COOKIE_MISSING' },
    { name: 'the host is unreachable: cookies on the page', answer: { ok: false, error: { code: 'agent_unreachable' } }, want: 'SESSION_EXPIRED' },
    { name: 'an answer without a taxonomy reason', answer: { ok: true, reason: 'nonsense' }, want: 'SESSION_EXPIRED' },
  ];
  for (const c of cases) {
    const run = fakeRun({ repair: null });
    run.browser = { context, page };
    run.sessions.signedOut = async (id, runId, cookies) => { sent.push({ id, runId, cookies }); return c.answer; };
    assert.equal(await signedOutReason(run), c.want, c.name);
  }
  assert.deepEqual(sent[0], { id: 'demo', runId: 'r1', cookies: [{ name: 'lang', value: 'en', domain: 'demo.test', path: '/', expires: -1 }] });

  const gone = fakeRun({ repair: null });
  gone.auth.cookies = [];
  gone.sessions.enabled = false;
  gone.sessions.signedOut = async () => { throw new Error('not asked when authbridge is switched off'); };
  assert.equal(await signedOutReason(gone), 'PROFILE_COOKIE_MISSING', 'switched off, no cookies anywhere');
});
