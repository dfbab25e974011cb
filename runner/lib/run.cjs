'use strict';
// One run: a connector script on its persistent browser profile, signed in
// with authbridge's cookies, driven through the page API (version 1). Run
// coordinates the parts: the browser (launch.cjs), the auth escalation
// (escalation.cjs), the page API (pageapi.cjs), network capture and the
// Node-side fetch (capture.cjs), and the run's end (outcome.cjs).

const path = require('node:path');
const { createRequire } = require('node:module');

const { resolveConnector, profileDir } = require('./connector.cjs');
const { failure, cancelled, errorClassOf } = require('./classify.cjs');
const { readRegularFile } = require('./script.cjs');
const { userIdentity } = require('./identity.cjs');
const { RunEnded, isRunEnded } = require('./runended.cjs');
const { Browser, browserArgs, launchOptions, launchScratch, profileTaken, siteHosts } = require('./launch.cjs');
const { AuthState, escalate, fetchSessionCookies, followSession, authDebug, accessMessage } = require('./escalation.cjs');
const { makePageAPI, alreadyMatches, isAuthInput, evaluateFromDriver, screenshotFromDriver, answerInput } = require('./pageapi.cjs');
const { Captures, patternTest } = require('./capture.cjs');
const { outcomeOf, failureFor, RunEvents } = require('./outcome.cjs');

class Run {
  /**
   * @param {object} o
   * @param {object} o.msg the run message
   * @param {function} o.send writes one protocol message
   * @param {function} o.log writes a diagnostic line to stderr
   * @param {import('./session.cjs').Sessions} o.sessions
   * @param {object} [o.env]
   * @param {function} [o.onEnd] called once the result is sent
   * @param {import('./seed.cjs').ProfileSeed} [o.seed] the profile seed a new profile starts from
   */
  constructor({ msg, send, log, sessions, env = process.env, onEnd = () => {}, seed = null }) {
    this.runId = msg.runId;
    this.connectorPath = msg.connectorPath;
    this.url = msg.url;
    this.headless = msg.headless !== false;
    this.allowHeaded = msg.allowHeaded !== false;
    this.requestedScopes = Array.isArray(msg.requestedScopes) ? msg.requestedScopes : [];
    this._send = send;
    this._log = log;
    this.sessions = sessions;
    this.env = env;
    this.onEnd = onEnd;
    this.seed = seed;
    this.browser = null; // made once the connector is resolved (start)
    this.data = {};
    this.captures = new Captures({ onHit: (key, url) => this.send({ type: 'network-captured', key, url }), ended: () => this.ended });
    this.pendingInputs = new Map(); // requestId -> {resolve, reject}
    this.ended = false;
    this.endWhy = '';
    this.abort = new AbortController();
    this.startedAt = Date.now();
    this.auth = new AuthState(); // what authbridge said about this run's session
    this.events = new RunEvents({ sessions, runId: this.runId, connectorId: () => (this.connector ? this.connector.id : ''), debug: (m) => this.debug(m) });
  }

  /** browserVersion is what the run's browser reported at its last launch. */
  get browserVersion() {
    return this.browser ? this.browser.version : '';
  }

  send(msg) {
    this._send({ ...msg, runId: this.runId });
  }

  /** log writes a line to stderr and, while the run is on, to the app. */
  log(message) {
    this._log(`run ${this.runId}: ${message}`);
    if (!this.ended) this.send({ type: 'log', message });
  }

  /** debug writes a line to stderr only. */
  debug(message) {
    this._log(`run ${this.runId}: ${message}`);
  }

  status(status, extra = {}) {
    if (!this.ended) this.send({ type: 'status', status, ...extra });
  }

  event(type, fields = {}) {
    this.events.record(type, fields);
  }

  sendAuthChecked(reason) {
    this.auth.checkedSent = true;
    this.events.checked(reason);
  }

  /** start runs the whole run; it never rejects. */
  async start() {
    try {
      if (typeof this.connectorPath !== 'string' || !this.connectorPath) {
        throw Object.assign(new Error('run: connectorPath is required (the connector script\'s path)'), { errorClass: 'runtime_error' });
      }
      this.connector = resolveConnector(this.connectorPath);
      this.profileDir = profileDir(this.connectorPath, this.env);
      this.code = readRegularFile(this.connectorPath, 'connectorPath');
      this.status('RUNNING');
      this.event('run_started');
      this.debug(`connector ${this.connector.id}, profile ${this.profileDir}`);
      this.browser = browserOf(this);
      // The cookies are fetched while the browser starts; they are added
      // before the first navigation.
      let cookiesAt = 0;
      const cookies = fetchSessionCookies(this).finally(() => { cookiesAt = Date.now(); });
      cookies.catch(() => {});
      await this.launch(this.headless, cookies);
      const launched = Date.now();
      if (this.url) await this.browser.page.goto(this.url, { waitUntil: 'domcontentloaded' });
      const at = (x) => (x ? x - this.startedAt : -1);
      this.debug(`browser ready in ${launched - this.startedAt} ms, ${this.url || 'no url'} open after ${Date.now() - this.startedAt} ms` +
        ` (cookies at ${at(cookiesAt)}, browser up at ${at(this.browser.launchedAt)}, cookies added at ${at(this.browser.cookiesAddedAt)} ms)`);
      await this.runScript();
    } catch (err) {
      if (!this.ended) {
        if (err instanceof RunEnded) return;
        const errorClass = err.errorClass || errorClassOf(err);
        // Playwright's launch errors carry the whole browser log: the first
        // line goes to the app, the rest to stderr.
        const first = String(err.message || err).split('\n')[0];
        this._log(`run ${this.runId}: ${err.stack || err}`);
        this.send({ type: 'error', message: first });
        await this.finish(failure(errorClass, { message: first }, this.requestedScopes));
      }
    }
  }

  /** launch opens the browser with the session's cookies and follows the session from then on. */
  async launch(headless, cookiesReady = null) {
    await this.browser.launch(headless, { cookiesReady, authCookies: () => this.auth.cookies });
    followSession(this);
  }

  /** relaunch switches between headless and headed, keeping cookies and the URL. */
  async relaunch(headless, url) {
    await this.browser.relaunch(headless, url, { authCookies: () => this.auth.cookies });
  }

  checkOpen() {
    if (this.ended) throw new RunEnded(this.endWhy);
  }

  async livePage() {
    this.checkOpen();
    if (!this.browser || !this.browser.page) throw new Error('the browser is closed (closeBrowser was called); only httpFetch works now');
    return this.browser.page;
  }

  /** escalate: see escalation.cjs. */
  escalate(kind) {
    return escalate(this, kind);
  }

  /** runScript evaluates the connector script with `page` bound to this run. */
  async runScript() {
    const page = makePageAPI(this);
    const file = path.resolve(this.connectorPath);
    // Direct eval inside a function whose parameter is `page`: the script
    // runs unmodified, its last expression (the async IIFE) is the value,
    // and several runs each see their own `page`.
    // eslint-disable-next-line no-new-func
    const runner = new Function('page', 'require', '__filename', '__dirname', '__authbridgeScript',
      'return eval(__authbridgeScript);');
    let value;
    try {
      value = await runner(page, createRequire(file), file, path.dirname(file), this.code + `\n//# sourceURL=${file}`);
    } catch (err) {
      if (this.ended || isRunEnded(err)) return;
      this.send({ type: 'error', message: `connector script failed: ${err && err.message ? err.message : err}` });
      await this.finish(this.failureFor(errorClassOf(err), { message: String(err && err.message ? err.message : err) }));
      return;
    }
    if (this.ended) return;
    const { classification, data } = outcomeOf({ data: this.data, returned: value, auth: this.auth, connectorId: this.connector.id, requestedScopes: this.requestedScopes });
    await this.finish(classification, data);
  }

  /** failureFor is a failure, made precise when the session is the cause. */
  failureFor(errorClass, debug) {
    return failureFor(this.auth, this.connector.id, errorClass, debug, this.requestedScopes);
  }

  /** finish sends the result once, closes the browser and records the run's end. */
  async finish(classification, data) {
    if (this.ended) return;
    this.ended = true;
    this.endWhy = classification.outcome;
    this.abort.abort();
    for (const [, p] of this.pendingInputs) p.reject(new RunEnded(this.endWhy));
    this.pendingInputs.clear();
    if (this.browser) await this.browser.close();
    await this.events.ended(classification, this.auth, this.startedAt);
    const msg = { type: 'result', classification };
    if (data !== undefined && (classification.outcome === 'success' || classification.outcome === 'partial')) msg.data = data;
    this.send(msg);
    if (classification.outcome === 'cancelled') this.send({ type: 'status', status: 'STOPPED' });
    else if (classification.outcome === 'failure') this.send({ type: 'status', status: 'ERROR' });
    this.onEnd(this);
  }

  /** stop cancels the run. */
  async stop() {
    await this.finish(cancelled(this.requestedScopes));
  }

  // ─── driver requests ───────────────────────────────────────

  evaluateFromDriver(script) {
    return evaluateFromDriver(() => this.livePage(), script);
  }

  screenshotFromDriver() {
    return screenshotFromDriver(() => this.livePage());
  }

  inputResponse(requestId, data, error) {
    return answerInput(this.pendingInputs, requestId, data, error);
  }
}

/** browserOf is the Browser of a run whose connector is resolved. */
function browserOf(run) {
  return new Browser({
    profileDir: run.profileDir, env: run.env, seed: run.seed, signal: run.abort.signal,
    // The user's browser's identity (user agent, Accept-Language) is
    // asked for first: the launch presents it.
    identity: userIdentity(run.sessions, run.env),
    siteHosts: siteHosts(run.url, run.connector.manifest),
    log: (m) => run.log(m), debug: (m) => run.debug(m),
    checkOpen: () => run.checkOpen(), isEnded: () => run.ended,
    ended: () => { throw new RunEnded(run.endWhy); },
    onResponse: (res) => run.captures.onResponse(res),
  });
}

module.exports = {
  Run, RunEnded, browserArgs, launchOptions, launchScratch, isAuthInput, authDebug, accessMessage,
  patternTest, profileTaken, alreadyMatches,
};
