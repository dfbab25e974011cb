'use strict';
// The `test` message: can this runner start the browser, and is authbridge there?

const { chromium } = require('playwright-core');
const { flagsFor } = require('./launchflags.cjs');
const { browserArgs } = require('./run.cjs');

const VERSION = require('../package.json').version;

async function selfTest(sessions, env = process.env) {
  const executablePath = env.AUTHBRIDGE_CHROMIUM || '/usr/bin/chromium';
  const data = { ok: false, runner: 'authbridge-runner', version: VERSION, pageApiVersion: 1, executablePath };
  try {
    const flags = flagsFor('app');
    const browser = await chromium.launch({ executablePath, headless: true, args: [...flags.args, ...browserArgs(env)] });
    data.browserVersion = browser.version();
    await browser.close();
    data.ok = true;
  } catch (err) {
    data.error = err.message.split('\n')[0];
  }
  if (sessions.enabled) {
    const r = await sessions._call((c) => c.status());
    data.authbridge = r.ok
      ? { reachable: true, bridges: Array.isArray(r.value && r.value.bridges) ? r.value.bridges.length : 0 }
      : { reachable: false, code: r.error.code, message: r.error.message };
  } else {
    data.authbridge = { reachable: false, code: 'disabled' };
  }
  return data;
}

module.exports = { selfTest };
