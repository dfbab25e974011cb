// The native port's life cycle: connect to the host, say hello, and after
// every disconnect try again with exponential backoff (reset once a hello
// succeeds). Requests made while the port is down fail at once with
// `host_unreachable`, carrying why (host not installed, forbidden, exited).

import { backoffDelay } from './backoff.js';
import { Endpoint, RpcError } from './rpc.js';
import { CODE, TYPES } from './protocol.js';

export const HOST_NAME = 'com.authbridge.host';
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * classifyDisconnect turns chrome.runtime.lastError.message from the port's
 * onDisconnect into a connection state:
 *   not_installed  no host manifest for this browser ("Specified native messaging host not found.")
 *   forbidden      the manifest does not allow this extension's origin
 *   exited         the host process ended ("Native host has exited.")
 *   unreachable    anything else (the host failed to start, a broken pipe, a failed hello)
 * Firefox's wording ("No such native application ...", "This extension does
 * not have permission to use native application ...") maps the same way.
 */
export function classifyDisconnect(message) {
  const m = String(message ?? '').toLowerCase();
  if (m.includes('not found') || m.includes('no such native application')) return 'not_installed';
  if (m.includes('forbidden') || m.includes('does not have permission')) return 'forbidden';
  if (m.includes('exited')) return 'exited';
  return 'unreachable';
}

/**
 * NativeBridge owns one native port at a time.
 *
 * options:
 *   runtime          chrome.runtime (connectNative, lastError)
 *   hostName         the native host's name
 *   handlers         dispatch table for the host's requests and notifications
 *   helloFields()    fields of the hello request (or a promise of them)
 *   onState(state)   called whenever the connection state changes
 *   onConnected(res) called after a successful hello
 *   onDisconnected() called when the port goes away
 *   setTimeout, clearTimeout, now, random, log
 */
export class NativeBridge {
  constructor({
    runtime,
    hostName = HOST_NAME,
    handlers = {},
    helloFields = () => ({}),
    onState = () => {},
    onConnected = () => {},
    onDisconnected = () => {},
    setTimeout: setT = globalThis.setTimeout,
    clearTimeout: clearT = globalThis.clearTimeout,
    now = Date.now,
    random = Math.random,
    log = console,
  }) {
    Object.assign(this, { runtime, hostName, handlers, helloFields, onState, onConnected, onDisconnected, now, random, log });
    // Wrapped: a native timer called as a method of another object throws "Illegal invocation".
    this.setTimeout = (fn, ms) => setT(fn, ms);
    this.clearTimeout = (id) => clearT(id);
    this.port = null;
    this.endpoint = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.state = { state: 'connecting', since: now() };
  }

  setState(s) {
    this.state = { ...s, since: this.now() };
    this.onState(this.state);
  }

  get connected() {
    return this.state.state === 'connected';
  }

  /** connect opens a new port (closing any previous one) and says hello. */
  connect() {
    if (this.retryTimer !== null) this.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.teardown();
    this.setState({ state: 'connecting' });
    let port;
    try {
      port = this.runtime.connectNative(this.hostName);
    } catch (err) {
      this.lost(String(err?.message || err));
      return;
    }
    const endpoint = new Endpoint({
      send: (m) => port.postMessage(m),
      handlers: this.handlers,
      onUnhandled: (m) => this.log.info?.(`authbridge: ignored ${m.type} message from the host`),
      setTimeout: this.setTimeout,
      clearTimeout: this.clearTimeout,
      log: this.log,
    });
    this.port = port;
    this.endpoint = endpoint;
    port.onMessage.addListener((m) => {
      if (this.port === port) endpoint.receive(m);
    });
    port.onDisconnect.addListener((p) => {
      // Reading lastError here also keeps Chrome from logging it as unchecked;
      // Firefox puts the reason on the port instead (port.error).
      const message = this.runtime.lastError?.message ?? p?.error?.message ?? port.error?.message ?? 'the native port closed';
      if (this.port !== port) return;
      this.log.warn?.(`authbridge: native host disconnected: ${message}`);
      this.lost(message);
    });
    this.hello(endpoint, port);
  }

  async hello(endpoint, port) {
    let res;
    try {
      // helloFields may answer a promise (the worker reads the grants first).
      let fields = this.helloFields();
      if (typeof fields?.then === 'function') {
        fields = await fields;
        if (this.port !== port) return;
      }
      res = await endpoint.request(TYPES.HELLO, fields, { timeoutMs: HELLO_TIMEOUT_MS });
    } catch (err) {
      if (this.port !== port) return; // the disconnect already handled it
      this.log.warn?.(`authbridge: hello failed: ${err.code || ''} ${err.message}`);
      this.lost(`hello failed: ${err.message}`);
      return;
    }
    if (this.port !== port) return;
    this.attempt = 0;
    this.setState({ state: 'connected', agent_version: res.agent_version, bridge_id: res.bridge_id });
    try {
      await this.onConnected(res);
    } catch (err) {
      this.log.warn?.(`authbridge: after hello: ${err?.message || err}`);
    }
  }

  teardown() {
    const port = this.port;
    const endpoint = this.endpoint;
    this.port = null;
    this.endpoint = null;
    endpoint?.close(CODE.host_unreachable, 'the native port was closed');
    try {
      port?.disconnect();
    } catch {
      // already gone
    }
  }

  /** lost handles a dead port: fail what is pending and schedule a reconnect. */
  lost(message) {
    const kind = classifyDisconnect(message);
    const endpoint = this.endpoint;
    this.endpoint = null;
    const port = this.port;
    this.port = null;
    endpoint?.close(CODE.host_unreachable, message, { detail: kind });
    try {
      port?.disconnect();
    } catch {
      // already gone
    }
    const delay = backoffDelay(this.attempt++, { random: this.random });
    this.setState({ state: kind, message, retry_in_ms: delay });
    try {
      this.onDisconnected();
    } catch (err) {
      this.log.warn?.(`authbridge: on disconnect: ${err?.message || err}`);
    }
    this.retryTimer = this.setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  /** reconnectNow connects at once with a fresh backoff (the popup's Retry). */
  reconnectNow() {
    if (this.connected) return;
    this.attempt = 0;
    this.connect();
  }

  /** request sends a request to the host, failing fast when it is not connected. */
  request(type, fields, opts) {
    if (!this.connected || !this.endpoint) {
      return Promise.reject(new RpcError(CODE.host_unreachable, this.state.message || 'authbridge is not connected', { detail: this.state.state }));
    }
    return this.endpoint.request(type, fields, opts);
  }

  notify(type, fields) {
    if (!this.endpoint) return false;
    return this.endpoint.notify(type, fields);
  }
}
