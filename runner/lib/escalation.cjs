'use strict';
// What a run knows of its session from authbridge, and the auth escalation
// as an explicit state machine: when a script asks for a sign-in
// (showBrowser, promptUser, requestInput for sign-in material) the run first
// repairs from the user's browser session (no click); failing that, with a
// person there, the interactive repair in the user's own browser; with
// nobody there the run ends at once with the precise reason.
//
// States (AuthState.state):
//   unchecked           no sign-in asked for yet
//   repairing           an escalation is running (later callers join it)
//   recovered           the session works again; escalations answer at once
//   unrepaired          authbridge could not repair headless: a person is needed
//   waiting_for_person  a person was asked to sign in (WAITING_FOR_USER)
// The auth mode reported in events (headless_only, interactive_required)
// turns interactive_required on entering unrepaired or waiting_for_person
// and stays so for the rest of the run.

const { RunEnded } = require('./runended.cjs');
const { envInt, mergeCookies } = require('./launch.cjs');
const { Follower } = require('./follow.cjs');

const DEFAULT_INTERACTIVE_TIMEOUT_MS = 10 * 60 * 1000;

/** TRANSITIONS[state][event] is the next state; anything else is a bug. */
const TRANSITIONS = Object.freeze({
  unchecked: { escalate: 'repairing' },
  // escalate from repairing: an escalation that threw (not a run end) is asked again.
  repairing: { escalate: 'repairing', repaired: 'recovered', repair_failed: 'unrepaired', no_help: 'unrepaired', ask_person: 'waiting_for_person' },
  unrepaired: { escalate: 'repairing', no_help: 'unrepaired', ask_person: 'waiting_for_person' },
  waiting_for_person: { escalate: 'repairing', no_help: 'waiting_for_person', person_signed_in: 'recovered', person_failed: 'unrepaired' },
  recovered: {},
});

const NEEDS_PERSON = new Set(['unrepaired', 'waiting_for_person']);

/** nextState answers the state after event, or throws naming the refused transition. */
function nextState(state, event) {
  const to = TRANSITIONS[state] && TRANSITIONS[state][event];
  if (!to) throw new Error(`escalation: no transition from ${state} on ${event}`);
  return to;
}

/** AuthState is what authbridge said about a run's session, and where its escalation stands. */
class AuthState {
  constructor() {
    this.state = 'unchecked';
    this.mode = 'headless_only';
    this.known = false; // authbridge knows the connector
    this.cookies = []; // the connector's cookies from authbridge (never logged)
    this.noBrowser = null; // the browser_not_connected error, when there was one
    this.failure = null; // {code, reason, detail, prompt, message}
    this.reason = ''; // the taxonomy reason for metrics
    this.checkedSent = false; // the auth_checked event went out
    this.pending = null; // the running escalation's promise
  }

  /** to moves the machine on event and answers the new state. */
  to(event) {
    this.state = nextState(this.state, event);
    if (NEEDS_PERSON.has(this.state)) this.mode = 'interactive_required';
    return this.state;
  }

  /** escalated: a sign-in was asked for at least once. */
  get escalated() {
    return this.state !== 'unchecked';
  }

  get recovered() {
    return this.state === 'recovered';
  }
}

const REASONS = new Set(['SESSION_EXPIRED', 'MFA_OR_CHALLENGE_REQUIRED', 'CHECKPOINT_OR_SUSPICIOUS_LOGIN',
  'PROFILE_COOKIE_MISSING', 'CONNECTOR_AUTH_SELECTOR_CHANGED', 'NETWORK_OR_TIMEOUT', 'UNKNOWN']);
function validReason(r) {
  return REASONS.has(r);
}

/**
 * accessMessage says what to click when the browser has not allowed a
 * connector's sites: the popup's button and the browser's own prompt.
 */
function accessMessage(connectorId, err) {
  const sites = err && err.detail ? ` (${String(err.detail).split(' ').join(', ')})` : '';
  return `Allow ${connectorId} in the authbridge popup: click the authbridge icon in your browser's toolbar, press Allow access on the ${connectorId} row${sites}, then Allow in the browser's prompt.`;
}

/** authDebug is the machine-readable auth part of classification.debug. */
function authDebug(connectorId, f) {
  const d = { source: 'authbridge', connectorId, code: f.code || 'auth_failed' };
  const missing = f.code === 'browser_not_connected' || f.code === 'access_not_granted';
  d.reason = f.reason || (missing ? 'PROFILE_COOKIE_MISSING' : 'UNKNOWN');
  d.detail = f.detail || (missing ? f.code : '');
  if (f.prompt) d.prompt = f.prompt;
  return d;
}

/** promptMessage is the one line WAITING_FOR_USER shows for a prompt. */
function promptMessage(p) {
  const action = p.action ? (p.action.label || p.action.id || '') : '';
  return [p.what, action].filter(Boolean).join(' ');
}

/** fetchSessionCookies asks authbridge for the connector's cookies at the run's start. */
async function fetchSessionCookies(run) {
  const auth = run.auth;
  if (!run.sessions.enabled) {
    run.debug('authbridge is switched off: running on the profile\'s own cookies');
    return;
  }
  const r = await run.sessions.cookies(run.connector.id);
  if (r.ok) {
    auth.known = true;
    auth.cookies = r.cookies;
    run.debug(`${r.cookies.length} cookies of ${run.connector.id} from authbridge`);
    return;
  }
  const e = r.error;
  if (e.code === 'browser_not_connected') {
    auth.known = true;
    auth.noBrowser = e;
    run.log(`no browser is connected to authbridge: running on the profile's own cookies (${e.prompt && e.prompt.action ? e.prompt.action.label || e.prompt.action.id : 'open your browser with the authbridge extension'})`);
  } else if (e.code === 'access_not_granted') {
    // The user has not allowed this connector's sites in the browser:
    // nothing of them leaves it. The run goes on with the profile's own
    // cookies; a repair then says what to click.
    auth.known = true;
    run.log(`authbridge: ${e.message || 'access not granted'}: running on the profile's own cookies`);
  } else if (e.code === 'not_found') {
    run.log(`authbridge has no connector ${run.connector.id}: running on the profile's own cookies`);
  } else {
    run.log(`authbridge did not answer (${e.code}): running on the profile's own cookies`);
  }
}

/** pageCookies are the cookies the run's page is sent now; null when the browser is gone. */
async function pageCookies(run) {
  const { context, page } = run.browser || {};
  try {
    if (context && page) {
      const u = page.url();
      if (/^https?:/.test(u)) return await context.cookies(u);
    }
  } catch {
    // the browser went away
  }
  return null;
}

/**
 * signedOutReason is why the site signed the run out, for metrics: the
 * host's classification (POST /v1/connectors/{id}/signed-out) of the cookies
 * the run's page was sent, or of the cookies authbridge gave the run when
 * the browser is gone. Only when authbridge does not answer (switched off,
 * unreachable, or an older host without that route) does the runner guess
 * itself: cookies there but refused is SESSION_EXPIRED, none is
 * PROFILE_COOKIE_MISSING.
 */
async function signedOutReason(run) {
  const onPage = await pageCookies(run);
  const cookies = onPage || run.auth.cookies;
  if (run.sessions.enabled && typeof run.sessions.signedOut === 'function') {
    const r = await run.sessions.signedOut(run.connector.id, run.runId, cookies);
    if (r.ok && validReason(r.reason)) return r.reason;
  }
  // The local fallback: authbridge did not answer.
  if (onPage && onPage.length > 0) return 'SESSION_EXPIRED';
  return run.auth.cookies.length > 0 ? 'SESSION_EXPIRED' : 'PROFILE_COOKIE_MISSING';
}

/**
 * escalate is what showBrowser, promptUser and requestInput (for sign-in)
 * do first. Answers 'recovered', 'unavailable' (authbridge cannot help: fall
 * back to the script's own way) or throws RunEnded.
 */
async function escalate(run, kind) {
  run.checkOpen();
  const auth = run.auth;
  if (auth.recovered) return 'recovered';
  if (auth.pending) return auth.pending;
  auth.pending = repairFromBrowser(run, kind).finally(() => { auth.pending = null; });
  return auth.pending;
}

/** endForNobody ends the run when nobody is there to sign in. */
async function endForNobody(run, kind, why) {
  run.log(why);
  await run.finish(run.failureFor('auth_failed', { message: `${kind}: the session needs a sign-in` }));
  throw new RunEnded(run.endWhy);
}

/** repairFromBrowser asks authbridge to repair from the user's browser session. */
async function repairFromBrowser(run, kind) {
  const auth = run.auth;
  const first = !auth.escalated;
  auth.to('escalate');
  if (!run.sessions.enabled || !auth.known) return noHelp(run, kind, null);
  run.log(`${kind}: the script asks for a sign-in; repairing from the browser session first`);
  const siteGuess = await signedOutReason(run);
  const rep = await run.sessions.repair(run.connector.id, run.runId);
  run.checkOpen();
  let reasonNow = rep.ok ? rep.reason : rep.error.reason || '';
  if (!validReason(reasonNow) || reasonNow === 'UNKNOWN' || reasonNow === 'OK') reasonNow = siteGuess;
  // The run's own session failed; the repair's verdict on the browser's
  // session is the precise reason when it has one.
  auth.reason = rep.ok && rep.healthy ? siteGuess : reasonNow;
  if (first) run.sendAuthChecked(auth.reason);
  if (rep.ok && rep.healthy) {
    const ok = await refreshCookies(run);
    run.event('recovery_attempted', { recovery_action: 'repair_from_chrome', recovery_success: ok, auth_mode_used: 'headless_only' });
    if (ok) {
      auth.to('repaired');
      auth.failure = null;
      run.log('repaired from the browser session: continuing headless');
      return 'recovered';
    }
  } else {
    // Not repaired headless: from here on the run needs a person.
    auth.to('repair_failed');
    run.event('recovery_attempted', { recovery_action: 'repair_from_chrome', recovery_success: false, auth_mode_used: 'interactive_required', auth_failure_reason: reasonNow });
  }
  auth.failure = rep.ok ? { code: 'auth_failed', reason: rep.reason, detail: rep.detail, prompt: rep.prompt } : rep.error;
  return afterFailedRepair(run, kind, rep);
}

/** afterFailedRepair takes the way the repair's failure leaves: a person, the script's own way, or the run's end. */
async function afterFailedRepair(run, kind, rep) {
  const auth = run.auth;
  const fail = auth.failure;
  if (fail.detail === 'session_not_transferable') {
    // A copy of the browser's session does not work here (a bound or
    // device-bound session): the interactive repair in the user's browser
    // would copy it again. It has to be signed in inside the connector's
    // own browser, which for a run is the run's browser: the script's own
    // way (a headed window, or the app asking for the credentials).
    run.log('authbridge: this session does not carry over from your browser (session_not_transferable): it has to be signed in inside the run\'s own browser');
    if (run.allowHeaded) {
      const p = fail.prompt || {};
      auth.to('ask_person');
      run.status('WAITING_FOR_USER', { message: promptMessage(p), prompt: p, reason: fail.reason || '', detail: fail.detail });
    }
    return noHelp(run, kind, null);
  }
  if (!rep.ok && rep.error.code === 'access_not_granted') {
    // Not a session problem: the user has not allowed the connector's
    // sites in the browser. Only a person can, in the authbridge popup.
    const e = { ...rep.error, detail: 'access_not_granted', domains: String(rep.error.detail || '').split(' ').filter(Boolean) };
    auth.failure = e;
    run.log(`authbridge: ${e.message || 'access not granted'}`);
    if (run.allowHeaded) {
      run.status('WAITING_FOR_USER', { message: accessMessage(run.connector.id, rep.error), prompt: e.prompt || {}, reason: '', detail: 'access_not_granted' });
    }
    return noHelp(run, kind, e);
  }
  if (!rep.ok && rep.error.code === 'browser_not_connected') {
    // The host renders the prompt for this situation in its verify answer.
    const v = await run.sessions.verify(run.connector.id, run.runId);
    run.checkOpen();
    const nb = { ...rep.error, detail: 'browser_not_connected' };
    if (v.ok && v.detail === 'browser_not_connected') Object.assign(nb, { reason: v.reason, prompt: v.prompt });
    auth.noBrowser = nb;
    auth.failure = nb;
    return noHelp(run, kind, nb);
  }
  if (!rep.ok && rep.error.code !== 'busy') return noHelp(run, kind, rep.error);
  if (!run.allowHeaded) return endForNobody(run, kind, `no person is there (allowHeaded false): the run ends (${fail.reason || fail.code})`);
  return interactiveRepair(run, fail);
}

/** noHelp: authbridge cannot repair; a person may still help headed. */
async function noHelp(run, kind, err) {
  const auth = run.auth;
  auth.to('no_help');
  if (!validReason(auth.reason)) auth.reason = await signedOutReason(run);
  if (err) run.log(`authbridge cannot repair (${err.code}${err.detail ? ', ' + err.detail : ''})`);
  if (!run.allowHeaded) {
    if (!auth.failure) auth.failure = err || { code: 'auth_failed', reason: 'UNKNOWN', message: 'the session needs a sign-in and no person is there' };
    return endForNobody(run, kind, 'no person is there (allowHeaded false): the run ends');
  }
  return 'unavailable';
}

/** interactiveRepair opens the login page in the user's browser and waits until Healthy. */
async function interactiveRepair(run, fail) {
  const auth = run.auth;
  const p = fail.prompt || {};
  const message = promptMessage(p) || `Sign in to ${run.connector.id} in your browser.`;
  auth.to('ask_person');
  run.status('WAITING_FOR_USER', { message, prompt: p, reason: fail.reason || '', detail: fail.detail || '' });
  run.log('opened the sign-in page in your browser; waiting until the session works');
  const timeoutMs = envInt(run.env, 'AUTHBRIDGE_INTERACTIVE_TIMEOUT_MS', DEFAULT_INTERACTIVE_TIMEOUT_MS);
  const r = await run.sessions.interactive(run.connector.id, run.runId, { signal: run.abort.signal, timeoutMs });
  run.checkOpen();
  let ok = r.ok;
  if (ok) ok = await refreshCookies(run);
  run.event('recovery_attempted', { recovery_action: 'interactive_repair', recovery_success: ok, auth_mode_used: 'interactive_required', ...(validReason(auth.reason) ? { auth_failure_reason: auth.reason } : {}) });
  if (!ok) {
    auth.to('person_failed');
    if (!r.ok) auth.failure = { ...fail, ...(r.error.code === 'timeout' ? { detail: 'interactive_timeout' } : {}), message: r.error.message };
    run.log(`the interactive repair did not succeed (${r.ok ? 'no cookies' : r.error.code})`);
    await run.finish(run.failureFor('auth_failed', { message: 'the interactive sign-in did not complete' }));
    throw new RunEnded(run.endWhy);
  }
  auth.to('person_signed_in');
  auth.failure = null;
  run.status('RUNNING');
  run.log('signed in: continuing');
  return 'recovered';
}

/** refreshCookies fetches the connector's cookies again and adds them to the browser. */
async function refreshCookies(run) {
  const r = await run.sessions.cookies(run.connector.id);
  if (!r.ok || r.cookies.length === 0) return false;
  run.auth.cookies = r.cookies;
  if (run.browser.context) await run.browser.context.addCookies(r.cookies);
  return true;
}

/**
 * followSession keeps the run's browser in step with the user's browser for
 * the rest of the run (follow.cjs), once; AUTHBRIDGE_RUNNER_FOLLOW=off
 * leaves it out.
 */
function followSession(run) {
  if (run.follower || run.env.AUTHBRIDGE_RUNNER_FOLLOW === 'off' || !run.sessions || typeof run.sessions.stream !== 'function') return;
  run.follower = new Follower({
    id: run.connector.id, sessions: run.sessions, signal: run.abort.signal, log: (m) => run.log(m),
    apply: async ({ cookies, removed }) => {
      const ctx = run.browser.context;
      if (!ctx || run.ended) return;
      for (const r of removed) await ctx.clearCookies(r).catch(() => {});
      if (cookies.length) await ctx.addCookies(cookies);
      run.auth.cookies = mergeCookies(run.auth.cookies, cookies);
    },
  });
  run.follower.start().catch((err) => run.log(`following the session stopped: ${err.message}`));
}

module.exports = {
  AuthState, followSession, TRANSITIONS, nextState, escalate, fetchSessionCookies, signedOutReason,
  validReason, accessMessage, authDebug, promptMessage,
};
