'use strict';
// The data-export app's current way to sign a connector in, for the bench
// (host/cmd/authbridge-bench), step for step as the app's own runner does it
// on a profile without its `.cookies-imported` marker (vana-com/data-connect,
// playwright-runner/index.cjs, read 2026-12-01):
//
//   1. launchPersistentContext on the connector's profile, then close it, so
//      that Chromium creates the profile and its Cookies database;
//   2. the sqlite3 command, through a shell: ATTACH the source profile's
//      Cookies, INSERT OR REPLACE every row of its cookies table, DETACH;
//   3. the sqlite3 command again, to count the rows (the app logs the count);
//   4. the marker file, holding the time;
//   5. launchPersistentContext again, its first page, `goto(url)` until
//      DOMContentLoaded, and the connector's first check.
//
// Launch options: with "launch":"app" (what the bench judges against), the
// app's own: its two switches (the second replaces Playwright's
// --disable-features list, as Chromium honours only the last one), its
// viewport and user agent. With "launch":"runner", the launch options of the
// drop-in runner's own runs instead (lib/run.cjs launchOptions), so that the
// bench can show how much of the difference is the method and how much the
// launch options. `AUTHBRIDGE_BROWSER_ARGS` (the bench's host-resolver rule)
// is added to both.
//
// The bench sends one JSON line per run:
//   {"cmd":"run","dir","source","url","launch":"app"|"runner"}
// and reads {"ok":true,"cookies":N} once the page shows #account-name, then
// {"closed":true} once the browser is closed; a failure is {"ok":false,"error"}.

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { execSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { browserArgs, launchOptions } = require('../lib/run.cjs');

const APP_ARGS = ['--disable-blink-features=AutomationControlled', '--disable-features=MediaRouter,DialMediaRouteProvider'];
const APP_USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

function optionsFor(launch) {
  if (launch === 'runner') return launchOptions(process.env, true);
  if (launch !== 'app') throw new Error(`launch must be "app" or "runner", not ${JSON.stringify(launch)}`);
  // The app passes no ignoreDefaultArgs for a Chromium build (only for system
  // Chrome, to drop --use-mock-keychain).
  return {
    executablePath: process.env.AUTHBRIDGE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...APP_ARGS, ...browserArgs(process.env)],
    viewport: { width: 1280, height: 800 },
    userAgent: APP_USER_AGENT,
  };
}

// quoted puts a path in double quotes for the shell, as the app does; a path
// the app's quoting would break is refused rather than run.
function quoted(p) {
  if (/["$`\\]/.test(p)) throw new Error(`path ${p} cannot be quoted the way the app quotes it`);
  return `"${p}"`;
}

function importCookies(dir, source) {
  const target = path.join(dir, 'Default', 'Cookies');
  if (!fs.existsSync(target)) throw new Error(`the first launch made no cookie store at ${target}`);
  const sql = `ATTACH DATABASE '${source.replace(/'/g, "''")}' AS src; ` +
    'INSERT OR REPLACE INTO cookies SELECT * FROM src.cookies; DETACH DATABASE src;';
  execSync(`sqlite3 ${quoted(target)} ${quoted(sql)}`, { encoding: 'utf8', timeout: 10000 });
  const count = execSync(`sqlite3 ${quoted(target)} "SELECT COUNT(*) FROM cookies;"`, { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(dir, '.cookies-imported'), new Date().toISOString());
  return Number(count);
}

const reply = (m) => process.stdout.write(JSON.stringify(m) + '\n');

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  let ctx;
  try {
    const m = JSON.parse(line);
    if (m.cmd !== 'run') throw new Error(`unknown cmd ${JSON.stringify(m.cmd)}`);
    const opts = optionsFor(m.launch);
    fs.mkdirSync(m.dir, { recursive: true });
    ctx = await chromium.launchPersistentContext(m.dir, opts);
    await ctx.close();
    ctx = null;
    const cookies = importCookies(m.dir, m.source);
    ctx = await chromium.launchPersistentContext(m.dir, opts);
    const page = ctx.pages()[0] || (await ctx.newPage());
    await page.goto(m.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#account-name', { timeout: 15000 });
    reply({ ok: true, cookies });
    await ctx.close();
    reply({ closed: true });
  } catch (err) {
    if (ctx) await ctx.close().catch(() => {});
    reply({ ok: false, error: String(err.message || err).split('\n')[0] });
  }
});
reply({ ok: true, ready: true });
