'use strict';
// The identity of the user's browser, which a run presents so that a
// session a site ties to the browser's user agent carries over: the user
// agent and Accept-Language the extension reported in its hello (the
// agent's status lists them per connected browser).

/** IDENTITY_WAIT_MS bounds the status call the launch waits for. */
const IDENTITY_WAIT_MS = 2000;

/**
 * pickIdentity chooses, from the status's bridges, the browser the cookies
 * come from: the most recently active one that reported a user agent.
 * Returns null when none did.
 */
function pickIdentity(bridges) {
  if (!Array.isArray(bridges)) return null;
  const withUA = bridges.filter((b) => b && typeof b.user_agent === 'string' && b.user_agent.trim() !== '');
  if (!withUA.length) return null;
  withUA.sort((a, b) => String(b.last_active_at || '').localeCompare(String(a.last_active_at || '')));
  const b = withUA[0];
  const id = { userAgent: b.user_agent };
  if (typeof b.accept_language === 'string' && /^[A-Za-z0-9;=.,\- ]{1,512}$/.test(b.accept_language)) id.acceptLanguage = b.accept_language;
  return id;
}

/**
 * userIdentity asks authbridge for the user's browser identity; null when
 * it is switched off (AUTHBRIDGE_RUNNER_USER_AGENT=off or sessions off),
 * unknown, or does not answer within IDENTITY_WAIT_MS. It never throws.
 */
async function userIdentity(sessions, env = process.env) {
  if (!sessions || !sessions.enabled || env.AUTHBRIDGE_RUNNER_USER_AGENT === 'off' || typeof sessions.status !== 'function') return null;
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve({ ok: false }), IDENTITY_WAIT_MS); });
  try {
    const r = await Promise.race([sessions.status(), late]);
    return r && r.ok ? pickIdentity(r.bridges) : null;
  } finally {
    clearTimeout(timer);
  }
}

/** identityOptions are the launch options that present an identity. */
function identityOptions(identity) {
  if (!identity) return {};
  const o = { userAgent: identity.userAgent };
  if (identity.acceptLanguage) o.extraHTTPHeaders = { 'Accept-Language': identity.acceptLanguage };
  return o;
}

module.exports = { pickIdentity, userIdentity, identityOptions, IDENTITY_WAIT_MS };
