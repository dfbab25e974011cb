'use strict';
// Result classification (the honest-telemetry contract): a connector's
// result object in, {outcome, errorClass?, recordCount?, scopeSummary, debug?}
// out. Pure: no I/O.

const ERROR_CLASSES = new Set([
  'auth_failed', 'rate_limited', 'upstream_error', 'navigation_error', 'network_error',
  'selector_error', 'timeout', 'protocol_violation', 'runtime_error',
  'personal_server_unavailable', 'unknown',
]);
const DISPOSITIONS = new Set(['omitted', 'degraded', 'fatal']);

// Keys of a result object that are not scope payloads.
const META_KEYS = new Set(['requestedScopes', 'timestamp', 'version', 'platform', 'exportSummary', 'errors']);

/** isScopeKey: scope names are "<source>.<scope>" (linkedin.profile). */
function isScopeKey(k) {
  return !META_KEYS.has(k) && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(k);
}

function summary(requested, produced, degraded) {
  return {
    requested: requested.length,
    produced: produced.length,
    degraded: degraded.length,
    omitted: requested.filter((s) => !produced.includes(s)).length,
  };
}

function violation(requested, produced, why) {
  return {
    outcome: 'failure',
    errorClass: 'protocol_violation',
    scopeSummary: summary(requested, produced.filter((s) => requested.includes(s)), []),
    debug: { violation: why },
  };
}

/**
 * scopesOf returns the result's scope keys whose payload is present (any
 * value but undefined and null: an empty object is a produced scope).
 */
function scopesOf(result) {
  return Object.keys(result).filter((k) => isScopeKey(k) && result[k] !== undefined && result[k] !== null);
}

/**
 * classifyResult classifies a result object. requestedScopes is the run's
 * list (may be empty); the result's own requestedScopes wins when it has one.
 * Returns {classification, data} where data is what the app may keep.
 */
function classifyResult(result, requestedScopes = []) {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    return {
      classification: { outcome: 'failure', errorClass: 'protocol_violation', scopeSummary: summary([], [], []), debug: { violation: 'result is not an object' } },
    };
  }
  const produced = scopesOf(result);
  let requested;
  let data = result;
  if (Array.isArray(result.requestedScopes)) {
    requested = result.requestedScopes;
    if (requested.some((s) => typeof s !== 'string' || !s)) {
      return { classification: violation([], produced, 'requestedScopes holds a value that is not a scope name') };
    }
  } else if (Array.isArray(requestedScopes) && requestedScopes.length > 0) {
    // A script that does not declare scopes exports what it exports; the app
    // asked for these, so the rest is left out of the data (not an error).
    requested = requestedScopes;
    data = {};
    for (const [k, v] of Object.entries(result)) {
      if (!isScopeKey(k) || requested.includes(k)) data[k] = v;
    }
  } else {
    requested = produced;
  }
  const have = produced.filter((s) => requested.includes(s));

  if (Array.isArray(result.requestedScopes)) {
    const extra = produced.filter((s) => !requested.includes(s));
    if (extra.length) return { classification: violation(requested, produced, `scope ${extra[0]} was produced but not requested`) };
  }
  const errors = result.errors === undefined ? [] : result.errors;
  if (!Array.isArray(errors)) return { classification: violation(requested, produced, 'errors is not a list') };
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    const at = `errors[${i}]`;
    if (!e || typeof e !== 'object') return { classification: violation(requested, produced, `${at} is not an object`) };
    if (!ERROR_CLASSES.has(e.errorClass)) return { classification: violation(requested, produced, `${at}.errorClass ${JSON.stringify(e.errorClass)} is not a known error class`) };
    if (typeof e.reason !== 'string' || !e.reason) return { classification: violation(requested, produced, `${at}.reason must be a non-empty string`) };
    if (!DISPOSITIONS.has(e.disposition)) return { classification: violation(requested, produced, `${at}.disposition must be omitted, degraded or fatal`) };
    if (e.scope !== undefined && (typeof e.scope !== 'string' || !requested.includes(e.scope))) {
      return { classification: violation(requested, produced, `${at}.scope ${JSON.stringify(e.scope)} is not a requested scope`) };
    }
    if ((e.disposition === 'omitted' || e.disposition === 'degraded') && e.scope === undefined) {
      return { classification: violation(requested, produced, `${at} is ${e.disposition} but names no scope`) };
    }
    if (e.disposition === 'omitted' && have.includes(e.scope)) {
      return { classification: violation(requested, produced, `${at} says ${e.scope} was omitted, but it was produced`) };
    }
    if (e.disposition === 'degraded' && !have.includes(e.scope)) {
      return { classification: violation(requested, produced, `${at} says ${e.scope} was degraded, but it was not produced`) };
    }
  }

  const degraded = [...new Set(errors.filter((e) => e.disposition === 'degraded').map((e) => e.scope))];
  const c = { outcome: 'success', scopeSummary: summary(requested, have, degraded) };
  const count = result.exportSummary && result.exportSummary.count;
  if (Number.isFinite(count)) c.recordCount = count;

  const fatal = errors.find((e) => e.disposition === 'fatal');
  const missing = requested.filter((s) => !have.includes(s));
  if (fatal) {
    c.outcome = 'failure';
    c.errorClass = fatal.errorClass;
    c.debug = { reason: fatal.reason, phase: fatal.phase };
  } else if (have.length === 0 && requested.length > 0) {
    c.outcome = 'failure';
    const first = errors[0];
    c.errorClass = first ? first.errorClass : 'runtime_error';
    c.debug = { reason: first ? first.reason : 'no requested scope was produced' };
  } else if (errors.length > 0 || missing.length > 0) {
    c.outcome = 'partial';
    const first = errors[0];
    c.errorClass = first ? first.errorClass : 'unknown';
    if (!first) c.debug = { reason: `requested scopes not produced and not explained: ${missing.join(', ')}` };
  }
  if (c.outcome === 'failure') return { classification: c };
  return { classification: c, data };
}

/** failure is a classification for a run that ended without a result. */
function failure(errorClass, debug, requestedScopes = []) {
  const req = Array.isArray(requestedScopes) ? requestedScopes : [];
  const c = { outcome: 'failure', errorClass, scopeSummary: summary(req, [], []) };
  if (debug) c.debug = debug;
  return c;
}

/** cancelled is the classification of a stopped run. */
function cancelled(requestedScopes = []) {
  const req = Array.isArray(requestedScopes) ? requestedScopes : [];
  return { outcome: 'cancelled', scopeSummary: summary(req, [], []) };
}

/** errorClassOf maps a thrown error (Playwright's, Node's) to an error class. */
function errorClassOf(err) {
  const msg = String((err && err.message) || err || '');
  if (err && err.name === 'TimeoutError') return 'timeout';
  if (/net::ERR_(NAME_NOT_RESOLVED|CONNECTION_REFUSED|CONNECTION_RESET|INTERNET_DISCONNECTED|ADDRESS_UNREACHABLE|TIMED_OUT|CONNECTION_CLOSED)/.test(msg)) return 'network_error';
  if (/net::ERR_|Navigation failed|page\.goto/.test(msg)) return 'navigation_error';
  if (/selector|locator|waiting for/i.test(msg)) return 'selector_error';
  return 'runtime_error';
}

module.exports = { classifyResult, failure, cancelled, errorClassOf, isScopeKey, ERROR_CLASSES };
