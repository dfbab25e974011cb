'use strict';
// One run: a connector script on its persistent browser profile, signed in
// with authbridge's cookies, driven through the page API (version 1).

const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { createRequire } = require('node:module');

const { chromium } = require('playwright-core');

const { resolveConnector, profileDir } = require('./connector.cjs');
const { flagsFor, withDisabledFeatures, withQuietHosts } = require('./launchflags.cjs');
const { classifyResult, failure, cancelled, errorClassOf } = require('./classify.cjs');
const { waitForProfile } = require('./profilelock.cjs');
const { cookieHeader } = require('./cookiejar.cjs');
const { Follower } = require('./follow.cjs');
const { browserVersion, compareVersions } = require('./seed.cjs');
const { readRegularFile } = require('./script.cjs');
const { userIdentity, identityOptions } = require('./identity.cjs');

const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** RunEnded is thrown by page API calls made after the run has ended. */
class RunEnded extends Error {
  constructor(why) {
    super(`the run has ended (${why})`);
    this.name = 'RunEnded';
  }
}

/** browserArgs parses AUTHBRIDGE_BROWSER_ARGS (a JSON array of strings). */
function browserArgs(env = process.env) {
  const raw = env.AUTHBRIDGE_BROWSER_ARGS;
  if (!raw) return [];
  let v;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new Error(`AUTHBRIDGE_BROWSER_ARGS must be a JSON array of strings: ${err.message}`);
  }
  if (!Array.isArray(v) || v.some((a) => typeof a !== 'string')) {
    throw new Error('AUTHBRIDGE_BROWSER_ARGS must be a JSON array of strings, e.g. ["--lang=en"]');
  }
  return v;
}

/**
 * launchOptions are a run's launchPersistentContext options: the table's
 * browser and key-store flags for app profiles, AUTHBRIDGE_BROWSER_ARGS, and
 * the features the runner switches off (launchflags.cjs).
 */
function launchOptions(env, headless, siteHosts = [], identity = null) {
  const flags = flagsFor('app');
  return {
    ...identityOptions(identity),
    executablePath: env.AUTHBRIDGE_CHROMIUM || DEFAULT_CHROMIUM,
    headless,
    args: withQuietHosts(withDisabledFeatures([...flags.args, ...browserArgs(env)]), siteHosts),
    ignoreDefaultArgs: flags.drop.length ? flags.drop : undefined,
    viewport: headless ? { width: 1280, height: 900 } : null,
  };
}

/**
 * MATCH_NOW answers, in the page, whether the first light-DOM match of a
 * CSS selector is there ('attached') and visible as Playwright defines it
 * (checkVisibility, a non-empty box, visibility: visible): 'yes', 'no', or
 * 'unknown' for what only Playwright's engine can tell (its own selector
 * syntax, display: contents).
 */
const MATCH_NOW = `([sel, state]) => {
  let el;
  try { el = document.querySelector(sel); } catch { return 'unknown'; }
  if (!el) return 'no';
  if (state === 'attached') return 'yes';
  const style = getComputedStyle(el);
  if (style.display === 'contents') return 'unknown';
  const box = el.getBoundingClientRect();
  const shown = (typeof el.checkVisibility !== 'function' || el.checkVisibility()) && box.width > 0 && box.height > 0 && style.visibility === 'visible';
  return shown ? 'yes' : 'no';
}`;

/**
 * alreadyMatches reports whether waitForSelector can return at once: a
 * plain CSS selector whose first match in the document (outside shadow
 * roots, which Playwright's engine also searches) is in the wanted state
 * (visible, the default, or attached). Playwright's own syntax (text=,
 * >>, :has-text, xpath) is not CSS and is left to Playwright, as are the
 * hidden and detached states and every wait.
 */
async function alreadyMatches(page, selector, state = 'visible') {
  if (typeof selector !== 'string' || (state !== 'visible' && state !== 'attached')) return false;
  try {
    return (await page.evaluate(`(${MATCH_NOW})(${JSON.stringify([selector, state])})`)) === 'yes';
  } catch {
    return false; // a navigation under the check: Playwright waits instead
  }
}

/** launchScratch opens a headless browser the way a run does, on dir (for the profile seed). */
function launchScratch(dir, env = process.env) {
  return chromium.launchPersistentContext(dir, launchOptions(env, true));
}

/** profileTaken: Chromium refused the profile because another browser holds it. */
function profileTaken(err) {
  return /ProcessSingleton|profile (?:directory )?is already in use/i.test(String((err && err.message) || err));
}

/** envInt reads a positive whole number from the environment. */
function envInt(env, name, def) {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number of milliseconds, got ${JSON.stringify(v)}`);
  return n;
}

/** patternTest: a capture pattern matches as a substring, or as a regular expression. */
function patternTest(pattern, text) {
  if (!pattern) return true;
  if (text.includes(pattern)) return true;
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return false;
  }
}

// Messages that ask the driver for sign-in material (credentials, codes).
const AUTH_INPUT = /log\s?in|sign\s?in|password|verification|2fa|two.factor|one.time|otp|passcode|\bcode\b/i;

/** isAuthInput says whether a requestInput payload asks for sign-in material. */
function isAuthInput(payload) {
  if (!payload || typeof payload !== 'object') return false;
  if (AUTH_INPUT.test(String(payload.message || ''))) return true;
  const props = payload.schema && payload.schema.properties;
  if (props && typeof props === 'object') {
    for (const [name, p] of Object.entries(props)) {
      if ((p && p.format === 'password') || /password|passcode|otp|pin|code/i.test(name)) return true;
    }
  }
  return false;
}

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
    this.browserVersion = ''; // what the run's browser reported at its last launch

    this.context = null;
    this.page = null;
    this.currentHeadless = this.headless;
    this.data = {};
    this.captures = new Map(); // key -> {config, hit}
    this.pendingInputs = new Map(); // requestId -> {resolve, reject}
    this.savedCookies = []; // the browser's cookies when it was last closed
    this.ended = false;
    this.endWhy = '';
    this.abort = new AbortController();
    this.startedAt = Date.now();
    this.times = {}; // when the first launch's steps ended (ms since epoch), for the log

    // What authbridge said about this run's session.
    this.auth = {
      known: false, // authbridge knows the connector
      cookies: [], // the connector's cookies from authbridge (never logged)
      noBrowser: null, // the browser_not_connected error, when there was one
      escalated: false,
      recovered: false,
      interactive: false,
      failure: null, // {code, reason, detail, prompt, message}
      reason: '', // the taxonomy reason for metrics
      needsPerson: false, // the session could not be repaired headless
      checkedSent: false,
    };
    this.eventQueue = Promise.resolve();
    this.eventsRefused = false;
  }

  send(msg) {
    this._send({ ...msg, runId: this.runId });
  }

  log(message) {
    this._log(`run ${this.runId}: ${message}`);
    if (!this.ended) this.send({ type: 'log', message });
  }

  status(status, extra = {}) {
    if (!this.ended) this.send({ type: 'status', status, ...extra });
  }

  // ─── dogfood events ────────────────────────────────────────

  event(type, fields = {}) {
    if (!this.sessions.enabled || !this.connector) return;
    const ev = {
      event_id: randomUUID(), type, at: new Date().toISOString(),
      connector_id: this.connector.id, run_id: String(this.runId), source: 'app', ...fields,
    };
    this.eventQueue = this.eventQueue.then(async () => {
      if (this.eventsRefused) return;
      const r = await this.sessions.events([ev]);
      if (!r.ok) {
        this.eventsRefused = true;
        this._log(`run ${this.runId}: authbridge did not record the run's events (${r.error.code}): ${r.error.message}`);
      }
    });
  }

  /** authMode: a run needs a person once its session could not be repaired headless. */
  authMode() {
    return this.auth.interactive || this.auth.needsPerson ? 'interactive_required' : 'headless_only';
  }

  /**
   * signedOutReason guesses why the site signed the run out, for metrics:
   * cookies there but refused is SESSION_EXPIRED, none is PROFILE_COOKIE_MISSING.
   */
  /** siteHosts are the hosts of the run's own site (its url, the manifest's connect_url and brand domain). */
  siteHosts() {
    const m = (this.connector && this.connector.manifest) || {};
    const out = [];
    for (const u of [this.url, m.connect_url, m.connectURL]) {
      try {
        if (typeof u === 'string' && u) out.push(new URL(u).hostname);
      } catch {
        // not a URL: no host
      }
    }
    const brand = m.consumer_metadata && m.consumer_metadata.brand_domain;
    if (typeof brand === 'string' && brand) out.push(brand.replace(/^[a-z]+:\/\//i, '').split('/')[0]);
    return out;
  }

  async signedOutReason() {
    try {
      if (this.context && this.page) {
        const u = this.page.url();
        if (/^https?:/.test(u) && (await this.context.cookies(u)).length > 0) return 'SESSION_EXPIRED';
      }
    } catch {
      // the browser went away: fall through
    }
    return this.auth.cookies.length > 0 ? 'SESSION_EXPIRED' : 'PROFILE_COOKIE_MISSING';
  }

  // ─── lifecycle ─────────────────────────────────────────────

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
      this._log(`run ${this.runId}: connector ${this.connector.id}, profile ${this.profileDir}`);

      // The user's browser's identity (user agent, Accept-Language) is
      // asked for first: the launch presents it.
      this.identity = userIdentity(this.sessions, this.env);
      // The cookies are fetched while the browser starts; they are added
      // before the first navigation.
      const cookies = this.fetchSessionCookies().finally(() => { this.times.cookies = Date.now(); });
      cookies.catch(() => {});
      await this.launch(this.headless, cookies);
      const launched = Date.now();
      if (this.url) await this.page.goto(this.url, { waitUntil: 'domcontentloaded' });
      const t = this.times;
      const at = (x) => (x ? x - this.startedAt : -1);
      this._log(`run ${this.runId}: browser ready in ${launched - this.startedAt} ms, ${this.url || 'no url'} open after ${Date.now() - this.startedAt} ms` +
        ` (cookies at ${at(t.cookies)}, browser up at ${at(t.browser)}, cookies added at ${at(t.added)} ms)`);
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

  /** fetchSessionCookies asks authbridge for the connector's cookies. */
  async fetchSessionCookies() {
    if (!this.sessions.enabled) {
      this._log(`run ${this.runId}: authbridge is switched off: running on the profile's own cookies`);
      return;
    }
    const r = await this.sessions.cookies(this.connector.id);
    if (r.ok) {
      this.auth.known = true;
      this.auth.cookies = r.cookies;
      this._log(`run ${this.runId}: ${r.cookies.length} cookies of ${this.connector.id} from authbridge`);
      return;
    }
    const e = r.error;
    if (e.code === 'browser_not_connected') {
      this.auth.known = true;
      this.auth.noBrowser = e;
      this.log(`no browser is connected to authbridge: running on the profile's own cookies (${e.prompt && e.prompt.action ? e.prompt.action.label || e.prompt.action.id : 'open your browser with the authbridge extension'})`);
    } else if (e.code === 'access_not_granted') {
      // The user has not allowed this connector's sites in the browser:
      // nothing of them leaves it. The run goes on with the profile's own
      // cookies; a repair then says what to click.
      this.auth.known = true;
      this.auth.accessNotGranted = e;
      this.log(`authbridge: ${e.message || 'access not granted'}: running on the profile's own cookies`);
    } else if (e.code === 'not_found') {
      this.log(`authbridge has no connector ${this.connector.id}: running on the profile's own cookies`);
    } else {
      this.log(`authbridge did not answer (${e.code}): running on the profile's own cookies`);
    }
  }

  /**
   * launchWhenFree starts the browser on the profile once no other process
   * holds it. Checking the lock and starting Chromium are two steps, so
   * authbridge's profile writer can take the profile in between: Chromium
   * then refuses it ("ProcessSingleton"), and the run waits for the writer
   * and tries again, within the same bound.
   */
  async launchWhenFree(headless) {
    const timeoutMs = envInt(this.env, 'AUTHBRIDGE_PROFILE_WAIT_MS', 60000);
    const start = Date.now();
    let told = false;
    for (;;) {
      const waited = await waitForProfile(this.profileDir, {
        timeoutMs: Math.max(1, timeoutMs - (Date.now() - start)),
        signal: this.abort.signal,
        onWait: (holder) => {
          if (!told) this.log(`the profile is being written by another process (${holder}): waiting for it to finish`);
          told = true;
        },
      });
      if (waited) this.log(`the profile is free after ${Date.now() - start} ms`);
      this.checkOpen();
      fs.mkdirSync(this.profileDir, { recursive: true, mode: 0o700 });
      const planted = this.seed ? this.seed.plant(this.profileDir) : null;
      let context;
      try {
        context = await chromium.launchPersistentContext(this.profileDir, launchOptions(this.env, headless, this.siteHosts(), await this.identity));
      } catch (err) {
        if (!profileTaken(err) || Date.now() - start > timeoutMs) throw err;
        if (!told) this.log('another process took the profile as the browser started: waiting for it to finish');
        told = true;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      this.browserVersion = browserVersion(context);
      if (!planted) return context;
      if (this.browserVersion && compareVersions(this.browserVersion, planted.version) < 0) {
        // An older Chromium refuses databases a newer one made: start over
        // without them (the profile is still new; only this browser held it).
        this._log(`run ${this.runId}: the profile seed is from Chromium ${planted.version}, newer than this browser (${this.browserVersion}): starting the new profile without it`);
        await context.close().catch(() => {});
        this.seed.unplant(this.profileDir, planted);
        continue;
      }
      this._log(`run ${this.runId}: the new profile started from the profile seed (${planted.files.length} empty databases of Chromium ${planted.version})`);
      return context;
    }
  }

  /** launch opens the persistent profile and adds the session's cookies. */
  async launch(headless, cookiesReady = null) {
    this.checkOpen();
    const context = await this.launchWhenFree(headless);
    this.times.browser = this.times.browser || Date.now();
    if (this.ended) {
      await context.close().catch(() => {});
      throw new RunEnded(this.endWhy);
    }
    this.context = context;
    this.currentHeadless = headless;
    if (cookiesReady) await cookiesReady;
    this.checkOpen();
    const carry = mergeCookies(this.savedCookies, this.auth.cookies);
    if (carry.length) await context.addCookies(carry);
    this.times.added = this.times.added || Date.now();
    context.on('response', (res) => this.onResponse(res));
    context.on('close', () => {
      if (this.context === context) {
        this.context = null;
        this.page = null;
      }
    });
    this.page = context.pages()[0] || (await context.newPage());
    this.startFollowing();
  }

  /**
   * startFollowing keeps the context in step with the user's browser for the
   * rest of the run (follow.cjs); AUTHBRIDGE_RUNNER_FOLLOW=off leaves it out.
   */
  startFollowing() {
    if (this.follower || this.env.AUTHBRIDGE_RUNNER_FOLLOW === 'off' || !this.sessions || typeof this.sessions.stream !== 'function') return;
    this.follower = new Follower({
      id: this.connector.id,
      sessions: this.sessions,
      signal: this.abort.signal,
      log: (m) => this.log(m),
      apply: async ({ cookies, removed }) => {
        const ctx = this.context;
        if (!ctx || this.ended) return;
        for (const r of removed) await ctx.clearCookies(r).catch(() => {});
        if (cookies.length) await ctx.addCookies(cookies);
        this.auth.cookies = mergeCookies(this.auth.cookies, cookies);
      },
    });
    this.follower.start().catch((err) => this.log(`following the session stopped: ${err.message}`));
  }

  /** closeContext saves the browser's cookies and closes it. */
  async closeContext() {
    const ctx = this.context;
    if (!ctx) return;
    try {
      this.savedCookies = await ctx.cookies();
    } catch {
      // The browser is gone already; keep what was saved before.
    }
    this.context = null;
    this.page = null;
    await ctx.close().catch(() => {});
  }

  /** relaunch switches between headless and headed, keeping cookies and the URL. */
  async relaunch(headless, url) {
    const here = url || (this.page ? this.page.url() : '');
    await this.closeContext();
    await this.launch(headless);
    if (here && here !== 'about:blank') await this.page.goto(here, { waitUntil: 'domcontentloaded' }).catch((err) => this.log(`reopening ${here} failed: ${err.message}`));
  }

  checkOpen() {
    if (this.ended) throw new RunEnded(this.endWhy);
  }

  async livePage() {
    this.checkOpen();
    if (!this.page) throw new Error('the browser is closed (closeBrowser was called); only httpFetch works now');
    return this.page;
  }

  /** runScript evaluates the connector script with `page` bound to this run. */
  async runScript() {
    const page = this.pageAPI();
    const scriptRequire = createRequire(path.resolve(this.connectorPath));
    // Direct eval inside a function whose parameter is `page`: the script
    // runs unmodified, its last expression (the async IIFE) is the value,
    // and several runs each see their own `page`.
    // eslint-disable-next-line no-new-func
    const runner = new Function('page', 'require', '__filename', '__dirname', '__authbridgeScript',
      'return eval(__authbridgeScript);');
    const code = this.code + `\n//# sourceURL=${path.resolve(this.connectorPath)}`;
    let value;
    try {
      value = await runner(page, scriptRequire, path.resolve(this.connectorPath), path.dirname(path.resolve(this.connectorPath)), code);
    } catch (err) {
      if (this.ended) return;
      if (err instanceof RunEnded || (err && err.name === 'RunEnded')) return;
      this.send({ type: 'error', message: `connector script failed: ${err && err.message ? err.message : err}` });
      await this.finish(this.failureFor(errorClassOf(err), { message: String(err && err.message ? err.message : err) }));
      return;
    }
    if (this.ended) return;
    await this.finishFromData(value);
  }

  /** failureFor is a failure, made precise when the session is the cause. */
  failureFor(errorClass, debug) {
    if (this.auth.failure) {
      return failure('auth_failed', { ...debug, ...authDebug(this.connector.id, this.auth.failure) }, this.requestedScopes);
    }
    return failure(errorClass, debug, this.requestedScopes);
  }

  async finishFromData(returned) {
    let result = this.data.result;
    if (result === undefined && returned && typeof returned === 'object' && returned.data && typeof returned.data === 'object') {
      result = returned.data;
    }
    if (result !== undefined && this.data.error === undefined) {
      const { classification, data } = classifyResult(result, this.requestedScopes);
      if (classification.outcome === 'failure' && classification.errorClass === 'auth_failed' && this.auth.failure) {
        classification.debug = { ...(classification.debug || {}), ...authDebug(this.connector.id, this.auth.failure) };
      }
      await this.finish(classification, data);
      return;
    }
    const message = this.data.error !== undefined ? String(typeof this.data.error === 'string' ? this.data.error : JSON.stringify(this.data.error)) : 'the script ended without setting a result';
    if (this.data.error === undefined) {
      await this.finish(failure('protocol_violation', { message }, this.requestedScopes));
      return;
    }
    if (!this.auth.failure && this.auth.noBrowser && /log\s?in|sign\s?in|auth|session/i.test(message)) {
      this.auth.failure = this.auth.noBrowser;
    }
    if (!this.auth.failure && this.auth.escalated && !this.auth.recovered) {
      this.auth.failure = { code: 'auth_failed', reason: 'UNKNOWN', message };
    }
    await this.finish(this.failureFor('runtime_error', { message }));
  }

  /** finish sends the result once, closes the browser and records the run's end. */
  async finish(classification, data) {
    if (this.ended) return;
    this.ended = true;
    this.endWhy = classification.outcome;
    this.abort.abort();
    for (const [, p] of this.pendingInputs) p.reject(new RunEnded(this.endWhy));
    this.pendingInputs.clear();
    await this.closeContext();
    if (!this.auth.checkedSent) this.sendAuthChecked(validReason(this.auth.reason) ? this.auth.reason : '');
    if (classification.outcome === 'success' || classification.outcome === 'partial') {
      this.event('run_succeeded', { auth_mode_used: this.authMode(), time_to_success_ms: Date.now() - this.startedAt });
    } else if (classification.outcome === 'failure') {
      const f = {};
      f.auth_mode_used = this.authMode();
      if (classification.errorClass === 'auth_failed' && validReason(this.auth.reason)) f.auth_failure_reason = this.auth.reason;
      this.event('run_failed', f);
    }
    await this.eventQueue;
    const msg = { type: 'result', classification };
    if (data !== undefined && (classification.outcome === 'success' || classification.outcome === 'partial')) msg.data = data;
    this.send(msg);
    if (classification.outcome === 'cancelled') this.send({ type: 'status', status: 'STOPPED' });
    else if (classification.outcome === 'failure') this.send({ type: 'status', status: 'ERROR' });
    this.onEnd(this);
  }

  sendAuthChecked(reason) {
    this.auth.checkedSent = true;
    const f = { auth_mode_used: 'headless_only' };
    if (reason) f.auth_failure_reason = reason;
    this.event('auth_checked', f);
  }

  /** stop cancels the run. */
  async stop() {
    await this.finish(cancelled(this.requestedScopes));
  }

  // ─── escalation ────────────────────────────────────────────

  /**
   * escalate is what showBrowser, promptUser and requestInput (for sign-in)
   * do first: repair from the user's browser (no click), else, with a person
   * there, the interactive repair in the user's own browser; with nobody
   * there the run ends at once with the precise reason.
   * Answers 'recovered', 'unavailable' (authbridge cannot help: fall back to
   * the script's own way) or throws RunEnded.
   */
  async escalate(kind) {
    this.checkOpen();
    if (this.auth.recovered) return 'recovered';
    if (this._escalation) return this._escalation;
    this._escalation = this._escalate(kind).finally(() => { this._escalation = null; });
    return this._escalation;
  }

  async _escalate(kind) {
    const id = this.connector.id;
    const first = !this.auth.escalated;
    this.auth.escalated = true;
    if (!this.sessions.enabled || !this.auth.known) {
      return this.noHelp(kind, null);
    }
    this.log(`${kind}: the script asks for a sign-in; repairing from the browser session first`);
    const siteGuess = await this.signedOutReason();
    const rep = await this.sessions.repair(id, this.runId);
    this.checkOpen();
    let reasonNow = rep.ok ? rep.reason : rep.error.reason || '';
    if (!validReason(reasonNow) || reasonNow === 'UNKNOWN' || reasonNow === 'OK') reasonNow = siteGuess;
    // The run's own session failed; the repair's verdict on the browser's
    // session is the precise reason when it has one.
    this.auth.reason = rep.ok && rep.healthy ? siteGuess : reasonNow;
    if (first) this.sendAuthChecked(this.auth.reason);
    if (rep.ok && rep.healthy) {
      const ok = await this.refreshCookies();
      this.event('recovery_attempted', { recovery_action: 'repair_from_chrome', recovery_success: ok, auth_mode_used: 'headless_only' });
      if (ok) {
        this.auth.recovered = true;
        this.auth.failure = null;
        this.log('repaired from the browser session: continuing headless');
        return 'recovered';
      }
    } else {
      // Not repaired headless: from here on the run needs a person.
      this.auth.needsPerson = true;
      this.event('recovery_attempted', { recovery_action: 'repair_from_chrome', recovery_success: false, auth_mode_used: 'interactive_required', auth_failure_reason: reasonNow });
    }
    const fail = rep.ok
      ? { code: 'auth_failed', reason: rep.reason, detail: rep.detail, prompt: rep.prompt }
      : rep.error;
    this.auth.failure = fail;
    if (fail.detail === 'session_not_transferable') {
      // A copy of the browser's session does not work here (a bound or
      // device-bound session): the interactive repair in the user's browser
      // would copy it again. It has to be signed in inside the connector's
      // own browser, which for a run is the run's browser: the script's own
      // way (a headed window, or the app asking for the credentials).
      this.log('authbridge: this session does not carry over from your browser (session_not_transferable): it has to be signed in inside the run\'s own browser');
      if (this.allowHeaded) {
        const p = fail.prompt || {};
        const action = p.action ? (p.action.label || p.action.id || '') : '';
        this.auth.interactive = true;
        this.status('WAITING_FOR_USER', { message: [p.what, action].filter(Boolean).join(' '), prompt: p, reason: fail.reason || '', detail: fail.detail });
      }
      return this.noHelp(kind, null);
    }
    if (!rep.ok && rep.error.code === 'access_not_granted') {
      // Not a session problem: the user has not allowed the connector's
      // sites in the browser. Only a person can, in the authbridge popup.
      const e = { ...rep.error, detail: 'access_not_granted', domains: String(rep.error.detail || '').split(' ').filter(Boolean) };
      this.auth.failure = e;
      this.log(`authbridge: ${e.message || 'access not granted'}`);
      if (this.allowHeaded) {
        this.status('WAITING_FOR_USER', { message: accessMessage(this.connector.id, rep.error), prompt: e.prompt || {}, reason: '', detail: 'access_not_granted' });
      }
      return this.noHelp(kind, e);
    }
    if (!rep.ok && rep.error.code === 'browser_not_connected') {
      // The host renders the prompt for this situation in its verify answer.
      const v = await this.sessions.verify(id, this.runId);
      this.checkOpen();
      const nb = { ...rep.error, detail: 'browser_not_connected' };
      if (v.ok && v.detail === 'browser_not_connected') Object.assign(nb, { reason: v.reason, prompt: v.prompt });
      this.auth.noBrowser = nb;
      this.auth.failure = nb;
      return this.noHelp(kind, nb);
    }
    if (!rep.ok && rep.error.code !== 'busy') {
      return this.noHelp(kind, rep.error);
    }
    if (!this.allowHeaded) {
      this.log(`no person is there (allowHeaded false): the run ends (${fail.reason || fail.code})`);
      await this.finish(this.failureFor('auth_failed', { message: `${kind}: the session needs a sign-in` }));
      throw new RunEnded(this.endWhy);
    }
    return this.interactiveRepair(fail);
  }

  /** noHelp: authbridge cannot repair; a person may still help headed. */
  async noHelp(kind, err) {
    this.auth.needsPerson = true;
    if (!validReason(this.auth.reason)) this.auth.reason = await this.signedOutReason();
    if (err) this.log(`authbridge cannot repair (${err.code}${err.detail ? ', ' + err.detail : ''})`);
    if (!this.allowHeaded) {
      if (!this.auth.failure) this.auth.failure = err || { code: 'auth_failed', reason: 'UNKNOWN', message: 'the session needs a sign-in and no person is there' };
      this.log('no person is there (allowHeaded false): the run ends');
      await this.finish(this.failureFor('auth_failed', { message: `${kind}: the session needs a sign-in` }));
      throw new RunEnded(this.endWhy);
    }
    return 'unavailable';
  }

  /** interactiveRepair opens the login page in the user's browser and waits until Healthy. */
  async interactiveRepair(fail) {
    const p = fail.prompt || {};
    const action = p.action ? (p.action.label || p.action.id || '') : '';
    const message = [p.what, action].filter(Boolean).join(' ') || `Sign in to ${this.connector.id} in your browser.`;
    this.auth.interactive = true;
    this.status('WAITING_FOR_USER', { message, prompt: p, reason: fail.reason || '', detail: fail.detail || '' });
    this.log('opened the sign-in page in your browser; waiting until the session works');
    const timeoutMs = envInt(this.env, 'AUTHBRIDGE_INTERACTIVE_TIMEOUT_MS', 10 * 60 * 1000);
    const r = await this.sessions.interactive(this.connector.id, this.runId, { signal: this.abort.signal, timeoutMs });
    this.checkOpen();
    let ok = r.ok;
    if (ok) ok = await this.refreshCookies();
    this.event('recovery_attempted', { recovery_action: 'interactive_repair', recovery_success: ok, auth_mode_used: 'interactive_required', ...(validReason(this.auth.reason) ? { auth_failure_reason: this.auth.reason } : {}) });
    if (!ok) {
      if (!r.ok) this.auth.failure = { ...fail, ...(r.error.code === 'timeout' ? { detail: 'interactive_timeout' } : {}), message: r.error.message };
      this.log(`the interactive repair did not succeed (${r.ok ? 'no cookies' : r.error.code})`);
      await this.finish(this.failureFor('auth_failed', { message: 'the interactive sign-in did not complete' }));
      throw new RunEnded(this.endWhy);
    }
    this.auth.recovered = true;
    this.auth.failure = null;
    this.status('RUNNING');
    this.log('signed in: continuing');
    return 'recovered';
  }

  /** refreshCookies fetches the connector's cookies again and adds them to the browser. */
  async refreshCookies() {
    const r = await this.sessions.cookies(this.connector.id);
    if (!r.ok || r.cookies.length === 0) return false;
    this.auth.cookies = r.cookies;
    if (this.context) await this.context.addCookies(r.cookies);
    return true;
  }

  /** reloadSignedIn reopens the current page so the site sees the fresh session. */
  async reloadSignedIn(url) {
    const page = await this.livePage();
    const target = url || page.url();
    if (target && target !== 'about:blank') {
      await page.goto(target, { waitUntil: 'domcontentloaded' }).catch((err) => this.log(`reopening after the repair failed: ${err.message}`));
    }
  }

  // ─── network capture ───────────────────────────────────────

  async onResponse(res) {
    if (this.captures.size === 0 || this.ended) return;
    const url = res.url();
    for (const [key, c] of this.captures) {
      if (!patternTest(c.config.urlPattern, url)) continue;
      let text;
      try {
        text = await res.text();
      } catch {
        continue; // redirects and aborted requests have no body
      }
      if (c.config.bodyPattern && !patternTest(c.config.bodyPattern, text)) continue;
      let data = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      if (!this.captures.has(key) || this.ended) continue;
      c.hit = { url, data, timestamp: Date.now() };
      this.send({ type: 'network-captured', key, url });
    }
  }

  // ─── driver requests ───────────────────────────────────────

  async evaluateFromDriver(script) {
    try {
      const page = await this.livePage();
      return { result: await page.evaluate(String(script)) };
    } catch (err) {
      return { error: err.message };
    }
  }

  async screenshotFromDriver() {
    try {
      const page = await this.livePage();
      const buf = await page.screenshot({ type: 'jpeg', quality: 70 });
      return { data: buf.toString('base64') };
    } catch (err) {
      return { error: err.message };
    }
  }

  inputResponse(requestId, data, error) {
    const p = this.pendingInputs.get(requestId);
    if (!p) return false;
    this.pendingInputs.delete(requestId);
    if (error !== undefined && error !== null) p.reject(new Error(typeof error === 'string' ? error : JSON.stringify(error)));
    else p.resolve(data && typeof data === 'object' ? data : {});
    return true;
  }

  // ─── the page API (version 1) ──────────────────────────────

  pageAPI() {
    const run = this;
    const api = {
      async goto(url, options = {}) {
        const page = await run.livePage();
        const o = {};
        if (options.waitUntil) o.waitUntil = options.waitUntil;
        if (options.timeout !== undefined) o.timeout = options.timeout;
        await page.goto(url, o);
      },
      async url() {
        const page = await run.livePage();
        return page.url();
      },
      async evaluate(script) {
        const page = await run.livePage();
        return page.evaluate(typeof script === 'function' ? script : String(script));
      },
      async click(selector, options = {}) {
        const page = await run.livePage();
        await page.click(selector, pick(options, ['timeout', 'force', 'delay']));
      },
      async fill(selector, value, options = {}) {
        const page = await run.livePage();
        await page.fill(selector, String(value), pick(options, ['timeout', 'force']));
      },
      async press(selector, key, options = {}) {
        const page = await run.livePage();
        await page.press(selector, key, pick(options, ['timeout', 'delay']));
      },
      async waitForSelector(selector, options = {}) {
        const page = await run.livePage();
        // A match that is already there answers from one evaluate, before
        // Playwright's selector engine is injected into the page (about
        // 40 ms on each page's first call); anything else waits as
        // Playwright does (alreadyMatches).
        if (await alreadyMatches(page, selector, options.state)) return;
        // The API answers nothing, so no element handle is made: the first
        // match, as page.waitForSelector takes it, without adopting a handle
        // into the page's main world (two round trips and an injected
        // script fewer on each page's first call).
        await page.locator(selector).first().waitFor(pick(options, ['timeout', 'state']));
      },
      async sleep(ms) {
        run.checkOpen();
        const n = Number(ms) || 0;
        await new Promise((resolve, reject) => {
          const t = setTimeout(() => { run.abort.signal.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, n));
          const onAbort = () => { clearTimeout(t); reject(new RunEnded(run.endWhy)); };
          run.abort.signal.addEventListener('abort', onAbort, { once: true });
        });
      },
      async setData(key, value) {
        run.checkOpen();
        run.data[key] = value;
        run.send({ type: 'data', key, value });
      },
      async setProgress(update = {}) {
        run.checkOpen();
        const s = { type: 'COLLECTING' };
        if (update.message !== undefined) s.message = update.message;
        if (update.phase !== undefined) s.phase = update.phase;
        if (update.count !== undefined) s.count = update.count;
        run.status(s);
      },
      async showBrowser(url) {
        run.checkOpen();
        const how = await run.escalate('showBrowser');
        if (how === 'recovered') {
          await run.reloadSignedIn(url);
          return { headed: true };
        }
        // authbridge cannot help: a headed connector window is the last resort.
        try {
          await run.relaunch(false, url);
          run.log('opened a browser window for you to sign in');
          return { headed: true };
        } catch (err) {
          if (err instanceof RunEnded) throw err;
          run.log(`could not open a browser window (${err.message.split('\n')[0]}): staying headless`);
          if (!run.context) await run.launch(true);
          if (url) await run.page.goto(url, { waitUntil: 'domcontentloaded' }).catch(() => {});
          return { headed: false };
        }
      },
      async goHeadless() {
        run.checkOpen();
        if (run.currentHeadless || !run.context) return;
        await run.relaunch(true);
      },
      async promptUser(message, checkFn, interval = 2000) {
        run.checkOpen();
        const check = async () => {
          try {
            return await checkFn();
          } catch (err) {
            if (err instanceof RunEnded) throw err;
            return false;
          }
        };
        if (await check()) return;
        const how = await run.escalate('promptUser');
        if (how === 'recovered') {
          if (await check()) return;
          await run.reloadSignedIn();
        } else {
          run.status('WAITING_FOR_USER', { message: String(message) });
        }
        for (;;) {
          if (await check()) break;
          await api.sleep(interval);
        }
        run.status('RUNNING');
      },
      async requestInput(payload = {}) {
        run.checkOpen();
        if (isAuthInput(payload)) {
          const how = await run.escalate('requestInput');
          if (how === 'recovered') {
            // Signed in already: the site's sign-in form is gone once the
            // page is reopened, so the script's own check passes.
            await run.reloadSignedIn();
            return {};
          }
        }
        const requestId = randomUUID();
        return new Promise((resolve, reject) => {
          run.pendingInputs.set(requestId, { resolve, reject });
          run.status('WAITING_FOR_USER', { message: String(payload.message || '') });
          run.send({ type: 'request-input', requestId, payload });
        }).finally(() => run.status('RUNNING'));
      },
      async captureNetwork(config = {}) {
        run.checkOpen();
        if (!config || typeof config.key !== 'string' || !config.key) throw new Error('captureNetwork: key is required');
        run.captures.set(config.key, { config: { urlPattern: config.urlPattern || '', bodyPattern: config.bodyPattern || '' }, hit: null });
      },
      async getCapturedResponse(key) {
        const c = run.captures.get(key);
        return c && c.hit ? c.hit : null;
      },
      hasCapturedResponse(key) {
        const c = run.captures.get(key);
        return !!(c && c.hit);
      },
      async clearNetworkCaptures() {
        run.captures.clear();
      },
      async closeBrowser() {
        run.checkOpen();
        await run.closeContext();
      },
      async httpFetch(url, options = {}) {
        run.checkOpen();
        return run.httpFetch(url, options);
      },
      async screenshot() {
        const page = await run.livePage();
        const buf = await page.screenshot({ type: 'jpeg', quality: 70 });
        return buf.toString('base64');
      },
    };
    return api;
  }

  /** httpFetch makes a request from Node with the browser session's cookies. */
  async httpFetch(url, options = {}) {
    let jar = this.savedCookies;
    if (this.context) {
      try {
        jar = await this.context.cookies();
      } catch {
        // closed meanwhile: use the saved cookies
      }
    }
    const headers = { ...(options.headers || {}) };
    const hasCookie = Object.keys(headers).some((h) => h.toLowerCase() === 'cookie');
    const cookie = cookieHeader(jar, url);
    if (cookie && !hasCookie) headers.cookie = cookie;
    try {
      const res = await fetch(url, {
        method: options.method || 'GET',
        headers,
        body: options.body,
        signal: AbortSignal.any([AbortSignal.timeout(options.timeout || 30000), this.abort.signal]),
      });
      const text = await res.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON
      }
      const h = {};
      res.headers.forEach((v, k) => { h[k] = v; });
      return { ok: res.ok, status: res.status, headers: h, text, json, error: null };
    } catch (err) {
      return { ok: false, status: 0, headers: {}, text: '', json: null, error: err.message };
    }
  }
}

function pick(o, keys) {
  const out = {};
  for (const k of keys) if (o && o[k] !== undefined) out[k] = o[k];
  return out;
}

/** mergeCookies: the later list wins for the same name, domain and path. */
function mergeCookies(...lists) {
  const m = new Map();
  for (const l of lists) for (const c of l || []) m.set(`${c.name}\u0000${c.domain}\u0000${c.path}`, c);
  return [...m.values()];
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

module.exports = { Run, RunEnded, browserArgs, launchOptions, launchScratch, isAuthInput, authDebug, accessMessage, patternTest, profileTaken, alreadyMatches };
