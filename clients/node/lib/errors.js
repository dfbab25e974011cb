'use strict';

/**
 * AuthbridgeError is how every failed call rejects. `code` is a PROTOCOL.md
 * error code when the agent answered with an error (not_found,
 * browser_not_connected, bad_request, busy, ...), or one of the client's own
 * codes below when the answer never came.
 */
class AuthbridgeError extends Error {
  constructor(message, { code = 'internal', detail, status, reason, prompt, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AuthbridgeError';
    this.code = code;
    if (detail !== undefined && detail !== '') this.detail = detail;
    if (status !== undefined) this.status = status;
    if (reason !== undefined && reason !== '') this.reason = reason;
    if (prompt !== undefined && prompt !== null) this.prompt = prompt;
  }
}

// The client's own codes, for failures that are not an answer of the agent.
const ClientCodes = Object.freeze({
  // Nothing answers on the socket and the agent could not be started.
  // detail: not_running (autoStart is off, or the agent started but does not
  // listen on this socket), binary_not_found, start_failed, or the errno of
  // the connect (EACCES, ENOTSOCK, ...).
  AGENT_UNREACHABLE: 'agent_unreachable',
  // The connection broke before the whole answer came.
  CONNECTION_LOST: 'connection_lost',
  // The call's timeoutMs passed (also a PROTOCOL.md code: "the other side
  // did not answer in time").
  TIMEOUT: 'timeout',
  // The caller's AbortSignal fired.
  ABORTED: 'aborted',
  // The agent answered something that is not its API's JSON.
  BAD_ANSWER: 'bad_answer',
  // interactive({wait: true}): the agent stopped waiting for the sign-in
  // without the connector becoming Healthy (its session was cleared, or the
  // agent restarted).
  INTERACTIVE_CANCELLED: 'interactive_cancelled',
});

/** apiError builds the error of an agent's error answer. */
function apiError(status, body, what) {
  let e;
  try {
    e = JSON.parse(body.toString('utf8')).error;
  } catch {
    e = undefined;
  }
  if (!e || typeof e !== 'object' || typeof e.code !== 'string') {
    return new AuthbridgeError(`${what}: the agent answered HTTP ${status} without an error object`, {
      code: status >= 500 ? 'internal' : ClientCodes.BAD_ANSWER,
      status,
    });
  }
  return new AuthbridgeError(e.message || `${what}: ${e.code}`, {
    code: e.code,
    detail: e.detail,
    status,
    reason: e.reason,
    prompt: e.prompt,
  });
}

module.exports = { AuthbridgeError, ClientCodes, apiError };
