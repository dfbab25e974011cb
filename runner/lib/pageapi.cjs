'use strict';
// The page API (version 1): the `page` object a connector script drives.
// Each call goes to the run that made it (makePageAPI).

const { randomUUID } = require('node:crypto');

const { RunEnded } = require('./runended.cjs');
const { httpFetch } = require('./capture.cjs');

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

/** pick copies the keys of o that are set. */
function pick(o, keys) {
  const out = {};
  for (const k of keys) if (o && o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * sleep waits ms, or rejects with RunEnded when signal aborts first.
 */
function sleep(ms, signal, why) {
  const n = Number(ms) || 0;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, n));
    const onAbort = () => { clearTimeout(t); reject(new RunEnded(why())); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** reloadSignedIn reopens the run's page so the site sees the fresh session. */
async function reloadSignedIn(run, url) {
  const page = await run.livePage();
  const target = url || page.url();
  if (target && target !== 'about:blank') {
    await page.goto(target, { waitUntil: 'domcontentloaded' }).catch((err) => run.log(`reopening after the repair failed: ${err.message}`));
  }
}

/** answerInput settles the requestInput call requestId waits in; false when none waits. */
function answerInput(pending, requestId, data, error) {
  const p = pending.get(requestId);
  if (!p) return false;
  pending.delete(requestId);
  if (error !== undefined && error !== null) p.reject(new Error(typeof error === 'string' ? error : JSON.stringify(error)));
  else p.resolve(data && typeof data === 'object' ? data : {});
  return true;
}

/** browserCalls are the calls that drive the run's page. */
function browserCalls(run) {
  return {
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
      // Playwright's selector engine is injected into the page; anything
      // else waits as Playwright does (alreadyMatches).
      if (await alreadyMatches(page, selector, options.state)) return;
      // The API answers nothing, so no element handle is made: the first
      // match, as page.waitForSelector takes it, without adopting a handle
      // into the page's main world.
      await page.locator(selector).first().waitFor(pick(options, ['timeout', 'state']));
    },
    async screenshot() {
      const page = await run.livePage();
      const buf = await page.screenshot({ type: 'jpeg', quality: 70 });
      return buf.toString('base64');
    },
    async closeBrowser() {
      run.checkOpen();
      await run.browser.close();
    },
    async goHeadless() {
      run.checkOpen();
      if (run.browser.headless || !run.browser.context) return;
      await run.relaunch(true);
    },
  };
}

/** signInCalls are the calls through which a script asks for a person or a sign-in. */
function signInCalls(run, api) {
  return {
    async showBrowser(url) {
      run.checkOpen();
      const how = await run.escalate('showBrowser');
      if (how === 'recovered') {
        await reloadSignedIn(run, url);
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
        if (!run.browser.context) await run.launch(true);
        if (url) await run.browser.page.goto(url, { waitUntil: 'domcontentloaded' }).catch(() => {});
        return { headed: false };
      }
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
        await reloadSignedIn(run);
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
          await reloadSignedIn(run);
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
  };
}

/** dataCalls report to the app, capture responses and fetch from Node. */
function dataCalls(run) {
  return {
    async sleep(ms) {
      run.checkOpen();
      await sleep(ms, run.abort.signal, () => run.endWhy);
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
    async captureNetwork(config = {}) {
      run.checkOpen();
      run.captures.add(config);
    },
    async getCapturedResponse(key) {
      return run.captures.get(key);
    },
    hasCapturedResponse(key) {
      return run.captures.has(key);
    },
    async clearNetworkCaptures() {
      run.captures.clear();
    },
    async httpFetch(url, options = {}) {
      run.checkOpen();
      // A request from Node with the browser session's cookies.
      return httpFetch(run.browser ? await run.browser.cookies() : [], url, options, run.abort.signal);
    },
  };
}

/** evaluateFromDriver runs the driver's script in the page: {result} or {error}. */
async function evaluateFromDriver(livePage, script) {
  try {
    const page = await livePage();
    return { result: await page.evaluate(String(script)) };
  } catch (err) {
    return { error: err.message };
  }
}

/** screenshotFromDriver is the page as a JPEG for the driver: {data} (base64) or {error}. */
async function screenshotFromDriver(livePage) {
  try {
    const page = await livePage();
    const buf = await page.screenshot({ type: 'jpeg', quality: 70 });
    return { data: buf.toString('base64') };
  } catch (err) {
    return { error: err.message };
  }
}

/** makePageAPI is the page object of one run. */
function makePageAPI(run) {
  const api = {};
  Object.assign(api, browserCalls(run), dataCalls(run), signInCalls(run, api));
  return api;
}

module.exports = { makePageAPI, evaluateFromDriver, screenshotFromDriver, answerInput, reloadSignedIn, alreadyMatches, isAuthInput, pick, MATCH_NOW };
