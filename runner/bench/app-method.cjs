'use strict';
// The data-export app's current way to sign a connector in, for the bench
// (host/cmd/authbridge-bench): Playwright's launchPersistentContext on the
// connector's profile, as the app runs it. The bench sends JSON lines:
//   {"cmd":"create","dir"}       first launch to create the profile, then close
//   {"cmd":"open","dir","url"}   relaunch, open url, wait for #account-name
// and copies the cookies table with SQLite ATTACH in between. Each answer is
// {"ok":true} or {"ok":false,"error"} on one line (after open, {"closed":true}
// follows once the browser is closed).

const readline = require('node:readline');
const { chromium } = require('playwright-core');
const { flagsFor } = require('../lib/launchflags.cjs');
const { browserArgs } = require('../lib/run.cjs');

const flags = flagsFor('app');
const launch = (dir) => chromium.launchPersistentContext(dir, {
  executablePath: process.env.AUTHBRIDGE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [...flags.args, ...browserArgs()],
  ignoreDefaultArgs: flags.drop.length ? flags.drop : undefined,
});

const reply = (m) => process.stdout.write(JSON.stringify(m) + '\n');

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  let ctx;
  try {
    const m = JSON.parse(line);
    ctx = await launch(m.dir);
    if (m.cmd === 'open') {
      const page = ctx.pages()[0] || (await ctx.newPage());
      await page.goto(m.url, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#account-name', { timeout: 15000 });
      reply({ ok: true });
      await ctx.close();
      reply({ closed: true });
      return;
    }
    await ctx.close();
    reply({ ok: true });
  } catch (err) {
    if (ctx) await ctx.close().catch(() => {});
    reply({ ok: false, error: String(err.message || err).split('\n')[0] });
  }
});
reply({ ok: true, ready: true });
