// A real Playwright runner asks authbridge for a connector's cookies through
// the Node client (clients/node, authbridge-client), exactly as the README
// shows, and is then signed in. The Go end-to-end test starts the browser,
// the agent and the test site, and runs this file with node --test and these
// variables:
//   AUTHBRIDGE_SOCKET   the agent's API socket (the client reads it)
//   CONNECTOR           the connector id
//   ACCOUNT_URL         a page that shows #account-name when signed in
//   STORAGE_STATE       a file written by `authbridge cookies --format playwright --out`
//   RESOLVER_RULES      Chromium --host-resolver-rules for the test site
//   CHROMIUM            the browser executable
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Client } from '../../../clients/node/index.mjs';

const env = process.env;

// getCookies is the README's example: the connector's cookies as a
// Playwright storage state.
function getCookies(connector) {
  return new Client().cookies(connector, { format: 'playwright' });
}

async function launch() {
  return chromium.launch({
    executablePath: env.CHROMIUM,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=${env.RESOLVER_RULES}`, '--ignore-certificate-errors',
    ],
  });
}

test('addCookies with the cookies from the socket signs the runner in', async () => {
  const state = await getCookies(env.CONNECTOR);
  assert.ok(state.cookies.length > 0, 'authbridge returned no cookies');
  const browser = await launch();
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    await context.addCookies(state.cookies);
    const page = await context.newPage();
    await page.goto(env.ACCOUNT_URL);
    await page.locator('#account-name').waitFor({ timeout: 15000 });
    // Every cookie comes back from the context exactly as authbridge gave it.
    const back = await context.cookies();
    for (const c of state.cookies) {
      const b = back.find((x) => x.name === c.name && x.domain === c.domain && x.path === c.path);
      assert.ok(b, `cookie ${c.name} on ${c.domain}${c.path} did not survive addCookies`);
      assert.equal(b.secure, c.secure, `${c.name} secure`);
      assert.equal(b.httpOnly, c.httpOnly, `${c.name} httpOnly`);
      assert.equal(b.sameSite, c.sameSite, `${c.name} sameSite`);
      assert.ok(Math.abs(b.expires - c.expires) < 1, `${c.name} expires`);
    }
  } finally {
    await browser.close();
  }
});

test('newContext({storageState}) from the playwright output file is signed in', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ storageState: env.STORAGE_STATE, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(env.ACCOUNT_URL);
    await page.locator('#account-name').waitFor({ timeout: 15000 });
  } finally {
    await browser.close();
  }
});
