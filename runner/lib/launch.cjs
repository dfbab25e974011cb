'use strict';
// A run's browser: the launch options, the start on the run's persistent
// profile (waiting while another process writes it, from the profile seed
// when the profile is new), and the Browser that holds the open context,
// carries the cookies across relaunches and switches headless and headed.

const fs = require('node:fs');

const { chromium } = require('playwright-core');

const { flagsFor, withDisabledFeatures, withQuietHosts } = require('./launchflags.cjs');
const { waitForProfile } = require('./profilelock.cjs');
const { browserVersion, compareVersions } = require('./seed.cjs');
const { identityOptions } = require('./identity.cjs');

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const DEFAULT_PROFILE_WAIT_MS = 60000;
const TAKEN_RETRY_MS = 100;

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

/**
 * siteHosts are the hosts of a run's own site: its url, the manifest's
 * connect_url and brand domain (spared by the quiet-host rules).
 */
function siteHosts(url, manifest) {
  const m = manifest || {};
  const out = [];
  for (const u of [url, m.connect_url, m.connectURL]) {
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

/** mergeCookies: the later list wins for the same name, domain and path. */
function mergeCookies(...lists) {
  const m = new Map();
  for (const l of lists) for (const c of l || []) m.set(`${c.name}\u0000${c.domain}\u0000${c.path}`, c);
  return [...m.values()];
}

/**
 * openProfile starts the browser on the profile once no other process holds
 * it, and answers {context, version}. Checking the lock and starting
 * Chromium are two steps, so authbridge's profile writer can take the
 * profile in between: Chromium then refuses it ("ProcessSingleton"), and the
 * launch waits for the writer and tries again, within the same bound
 * (AUTHBRIDGE_PROFILE_WAIT_MS). A new profile starts from the seed unless the
 * seed is from a newer Chromium than the one that started.
 *
 * @param {object} o
 * @param {string} o.profileDir
 * @param {boolean} o.headless
 * @param {object} o.env
 * @param {import('./seed.cjs').ProfileSeed} [o.seed]
 * @param {AbortSignal} [o.signal]
 * @param {object|Promise<object>} [o.identity] the user's browser identity (identity.cjs)
 * @param {string[]} [o.siteHosts] the connector's own hosts, spared by the quiet-host rules
 * @param {function} o.log a line for the app and stderr
 * @param {function} o.debug a line for stderr only
 * @param {function} o.checkOpen throws once the run has ended
 */
async function openProfile(o) {
  const timeoutMs = envInt(o.env, 'AUTHBRIDGE_PROFILE_WAIT_MS', DEFAULT_PROFILE_WAIT_MS);
  const start = Date.now();
  let told = false;
  const tell = (m) => {
    if (!told) o.log(m);
    told = true;
  };
  for (;;) {
    const waited = await waitForProfile(o.profileDir, {
      timeoutMs: Math.max(1, timeoutMs - (Date.now() - start)),
      signal: o.signal,
      onWait: (holder) => tell(`the profile is being written by another process (${holder}): waiting for it to finish`),
    });
    if (waited) o.log(`the profile is free after ${Date.now() - start} ms`);
    o.checkOpen();
    fs.mkdirSync(o.profileDir, { recursive: true, mode: 0o700 });
    const planted = o.seed ? o.seed.plant(o.profileDir) : null;
    let context;
    try {
      context = await chromium.launchPersistentContext(o.profileDir, launchOptions(o.env, o.headless, o.siteHosts || [], await o.identity));
    } catch (err) {
      if (!profileTaken(err) || Date.now() - start > timeoutMs) throw err;
      tell('another process took the profile as the browser started: waiting for it to finish');
      await new Promise((r) => setTimeout(r, TAKEN_RETRY_MS));
      continue;
    }
    const version = browserVersion(context);
    if (!planted) return { context, version };
    if (version && compareVersions(version, planted.version) < 0) {
      // An older Chromium refuses databases a newer one made: start over
      // without them (the profile is still new; only this browser held it).
      o.debug(`the profile seed is from Chromium ${planted.version}, newer than this browser (${version}): starting the new profile without it`);
      await context.close().catch(() => {});
      o.seed.unplant(o.profileDir, planted);
      continue;
    }
    o.debug(`the new profile started from the profile seed (${planted.files.length} empty databases of Chromium ${planted.version})`);
    return { context, version };
  }
}

/**
 * Browser is a run's browser on its persistent profile: at most one context
 * open at a time, the cookies it had when last closed (savedCookies), and
 * the page scripts drive.
 */
class Browser {
  /**
   * @param {object} o openProfile's options without headless, plus:
   * @param {function} o.isEnded true once the run has ended
   * @param {function} o.ended throws RunEnded (the run ended during a launch)
   * @param {function} o.onResponse gets every response of the context
   */
  constructor(o) {
    this.o = o;
    this.context = null;
    this.page = null;
    this.headless = true;
    this.savedCookies = []; // the browser's cookies when it was last closed
    this.version = ''; // what the browser reported at its last launch
    this.launchedAt = 0; // when the first launch had a browser (ms since epoch)
    this.cookiesAddedAt = 0; // when the first launch had the session's cookies
  }

  /**
   * launch opens the profile and adds the saved cookies and those
   * authCookies() answers once cookiesReady has settled.
   */
  async launch(headless, { cookiesReady = null, authCookies = () => [] } = {}) {
    this.o.checkOpen();
    const { context, version } = await openProfile({ ...this.o, headless });
    this.version = version;
    this.launchedAt = this.launchedAt || Date.now();
    if (this.o.isEnded()) {
      await context.close().catch(() => {});
      this.o.ended();
    }
    this.context = context;
    this.headless = headless;
    if (cookiesReady) await cookiesReady;
    this.o.checkOpen();
    const carry = mergeCookies(this.savedCookies, authCookies());
    if (carry.length) await context.addCookies(carry);
    this.cookiesAddedAt = this.cookiesAddedAt || Date.now();
    context.on('response', (res) => this.o.onResponse(res));
    context.on('close', () => {
      if (this.context === context) {
        this.context = null;
        this.page = null;
      }
    });
    this.page = context.pages()[0] || (await context.newPage());
  }

  /** close saves the browser's cookies and closes it. */
  async close() {
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
  async relaunch(headless, url, opts) {
    const here = url || (this.page ? this.page.url() : '');
    await this.close();
    await this.launch(headless, opts);
    if (here && here !== 'about:blank') await this.page.goto(here, { waitUntil: 'domcontentloaded' }).catch((err) => this.o.log(`reopening ${here} failed: ${err.message}`));
  }

  /** cookies are the open browser's cookies, else those it had when closed. */
  async cookies() {
    if (this.context) {
      try {
        return await this.context.cookies();
      } catch {
        // closed meanwhile: use the saved cookies
      }
    }
    return this.savedCookies;
  }
}

module.exports = { Browser, openProfile, siteHosts, browserArgs, launchOptions, launchScratch, profileTaken, envInt, mergeCookies, DEFAULT_CHROMIUM };
