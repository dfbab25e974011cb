'use strict';
// How a run ends: the classification of what the script left (its result
// or error, made precise when the session is the cause) and the dogfood
// events that record the run for authbridge's metrics.

const { randomUUID } = require('node:crypto');

const { classifyResult, failure } = require('./classify.cjs');
const { authDebug, validReason } = require('./escalation.cjs');

const SIGN_IN_WORDS = /log\s?in|sign\s?in|auth|session/i;

/**
 * failureFor is a failure of errorClass, made precise (auth_failed with the
 * session's reason, detail and prompt) when auth holds the session's failure.
 */
function failureFor(auth, connectorId, errorClass, debug, requestedScopes) {
  if (auth.failure) {
    return failure('auth_failed', { ...debug, ...authDebug(connectorId, auth.failure) }, requestedScopes);
  }
  return failure(errorClass, debug, requestedScopes);
}

/**
 * outcomeOf classifies a script's end: the result it set (setData('result'))
 * or returned ({data}), else the error it set. An error mentioning a sign-in
 * while no browser was connected, or after an escalation that did not
 * recover, becomes the session's failure (auth is updated so).
 * Answers {classification, data}.
 */
function outcomeOf({ data, returned, auth, connectorId, requestedScopes }) {
  let result = data.result;
  if (result === undefined && returned && typeof returned === 'object' && returned.data && typeof returned.data === 'object') {
    result = returned.data;
  }
  if (result !== undefined && data.error === undefined) {
    const out = classifyResult(result, requestedScopes);
    const c = out.classification;
    if (c.outcome === 'failure' && c.errorClass === 'auth_failed' && auth.failure) {
      c.debug = { ...(c.debug || {}), ...authDebug(connectorId, auth.failure) };
    }
    return out;
  }
  if (data.error === undefined) {
    return { classification: failure('protocol_violation', { message: 'the script ended without setting a result' }, requestedScopes) };
  }
  const message = String(typeof data.error === 'string' ? data.error : JSON.stringify(data.error));
  if (!auth.failure && auth.noBrowser && SIGN_IN_WORDS.test(message)) {
    auth.failure = auth.noBrowser;
  }
  if (!auth.failure && auth.escalated && !auth.recovered) {
    auth.failure = { code: 'auth_failed', reason: 'UNKNOWN', message };
  }
  return { classification: failureFor(auth, connectorId, 'runtime_error', { message }, requestedScopes) };
}

/**
 * RunEvents sends a run's dogfood events to authbridge in order, one batch
 * each; after the first refusal the rest are dropped (one line says why).
 */
class RunEvents {
  /**
   * @param {object} o
   * @param {object} o.sessions session.cjs Sessions (enabled, events)
   * @param {string} o.runId
   * @param {function} o.connectorId the run's connector id once known, else ''
   * @param {function} o.debug a line for stderr
   */
  constructor({ sessions, runId, connectorId, debug }) {
    this.o = { sessions, runId, connectorId, debug };
    this.queue = Promise.resolve();
    this.refused = false;
  }

  /** record queues one event of type with fields. */
  record(type, fields = {}) {
    const { sessions, runId, connectorId, debug } = this.o;
    const id = connectorId();
    if (!sessions.enabled || !id) return;
    const ev = {
      event_id: randomUUID(), type, at: new Date().toISOString(),
      connector_id: id, run_id: String(runId), source: 'app', ...fields,
    };
    this.queue = this.queue.then(async () => {
      if (this.refused) return;
      const r = await sessions.events([ev]);
      if (!r.ok) {
        this.refused = true;
        debug(`authbridge did not record the run's events (${r.error.code}): ${r.error.message}`);
      }
    });
  }

  /** checked records auth_checked, with the reason when there is one. */
  checked(reason) {
    const f = { auth_mode_used: 'headless_only' };
    if (reason) f.auth_failure_reason = reason;
    this.record('auth_checked', f);
  }

  /**
   * ended records the run's end (auth_checked first when no escalation sent
   * it) and waits until every event went out.
   */
  async ended(classification, auth, startedAt) {
    if (!auth.checkedSent) {
      auth.checkedSent = true;
      this.checked(validReason(auth.reason) ? auth.reason : '');
    }
    if (classification.outcome === 'success' || classification.outcome === 'partial') {
      this.record('run_succeeded', { auth_mode_used: auth.mode, time_to_success_ms: Date.now() - startedAt });
    } else if (classification.outcome === 'failure') {
      const f = { auth_mode_used: auth.mode };
      if (classification.errorClass === 'auth_failed' && validReason(auth.reason)) f.auth_failure_reason = auth.reason;
      this.record('run_failed', f);
    }
    await this.queue;
  }
}

module.exports = { outcomeOf, failureFor, RunEvents };
