// The popup's messages to the worker over its port: `api` (a local API call
// relayed through the host), `reconnect` and `refresh`. One handler per
// type, built from the parts it needs.

import { RpcError } from './rpc.js';
import { CODE, TYPES } from './protocol.js';

export const POPUP_PORT = 'popup';
export const API_TIMEOUT_MS = 120_000; // verify and repair drive a headless browser

/** ACTION_PATH is the paths a popup may call: the local API's /v1/ ones. */
const ACTION_PATH = /^\/v1\/[A-Za-z0-9._~%\/-]*$/;

/**
 * makePopupHandlers returns {type: async (msg, reply) => void} for the
 * popup's messages; reply posts one message back to that popup.
 *
 * @param {object} deps
 * @param {object} deps.bridge the native bridge (request, reconnectNow, connected, state)
 * @param {object} deps.status the status rows (StatusStore)
 * @param {(extra: object) => void} deps.refresh tells the badge and the popups
 * @param {(extra: object) => object} deps.snapshot the popup's state message
 * @param {() => Promise<void>} deps.loadStatus reads every row from the host
 */
export function makePopupHandlers({ bridge, status, refresh, snapshot, loadStatus }) {
  return {
    async api(msg, reply) {
      const { id, method, path, body } = msg;
      if (typeof method !== 'string' || typeof path !== 'string' || !ACTION_PATH.test(path)) {
        reply({ id, type: TYPES.ERROR, error: { code: CODE.bad_request, message: 'api needs a method and a /v1/ path' } });
        return;
      }
      try {
        const result = await bridge.request(TYPES.API, { method, path, body: body ?? null }, { timeoutMs: API_TIMEOUT_MS });
        const row = result?.body?.row;
        let ids = [];
        if (row && typeof row.id === 'string') ids = status.upsert([row]);
        if (method === 'GET' && path === '/v1/status' && Array.isArray(result?.body?.connectors)) {
          status.replace(result.body.connectors);
        }
        reply({ id, type: TYPES.RESULT, result });
        if (ids.length > 0 || path === '/v1/status') refresh({ source: 'api', ids });
      } catch (err) {
        const e = err instanceof RpcError ? err.toWire() : { code: CODE.internal, message: String(err?.message || err) };
        if (e.code === CODE.host_unreachable && !e.detail) e.detail = bridge.state.state;
        reply({ id, type: 'error', error: e });
      }
    },
    async reconnect() {
      bridge.reconnectNow();
    },
    async refresh(msg, reply) {
      if (bridge.connected) await loadStatus();
      else reply(snapshot({ source: 'refresh' }));
    },
  };
}

/**
 * onPopupMessage answers one message from a popup port with the handler of
 * its type, or an unknown_type error.
 */
export async function onPopupMessage(handlers, port, msg) {
  if (!msg || typeof msg !== 'object') return;
  const reply = (m) => {
    try {
      port.postMessage(m);
    } catch {
      // the popup closed
    }
  };
  const h = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : null;
  if (!h) {
    reply({ id: msg.id, type: TYPES.ERROR, error: { code: CODE.unknown_type, message: `unknown popup message ${msg.type}` } });
    return;
  }
  await h(msg, reply);
}
