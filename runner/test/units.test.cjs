'use strict';
// Unit tests of the runner's pure parts: the shared launch-flags table,
// classification beyond the corpus, connector resolution, cookie matching,
// the input checks.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { loadTable, flagsFor, playwrightDisabledFeatures, withDisabledFeatures, RUNNER_DISABLED_FEATURES } = require('../lib/launchflags.cjs');
const { classifyResult, errorClassOf } = require('../lib/classify.cjs');
const { resolveConnector, profileDir } = require('../lib/connector.cjs');
const { cookieHeader } = require('../lib/cookiejar.cjs');
const { browserArgs, launchOptions, isAuthInput, profileTaken } = require('../lib/run.cjs');
const { chromium } = require('playwright-core');
const { CHROMIUM } = require('./helpers/runner.cjs');

test('launch flags: one row per OS for app profiles', () => {
  const cases = [
    { platform: 'linux', args: ['--password-store=basic', '--use-mock-keychain'], drop: [], keyStore: 'basic' },
    { platform: 'darwin', args: [], drop: ['--use-mock-keychain', '--password-store=basic'], keyStore: 'keychain' },
    { platform: 'win32', args: ['--password-store=basic', '--use-mock-keychain'], drop: [], keyStore: 'dpapi' },
  ];
  const table = loadTable();
  for (const c of cases) {
    assert.deepEqual(flagsFor('app', c.platform, table), { args: c.args, drop: c.drop, keyStore: c.keyStore }, c.platform);
  }
  assert.throws(() => flagsFor('nosuch', 'linux', table), /no row for kind nosuch on linux/);
});

test('launch flags: a bad table is refused with the field named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
  const f = path.join(dir, 't.json');
  const cases = [
    ['{', /launch flags table .*t\.json/],
    [JSON.stringify({ version: 2, profiles: [] }), /want version 1/],
    [JSON.stringify({ version: 1, profiles: [{ kind: 'app', os: 'linux', args: 'x', drop: [] }] }), /profiles\[0\]\.args must be a list of strings/],
    [JSON.stringify({ version: 1, profiles: [{ kind: '', os: 'linux', args: [], drop: [] }] }), /profiles\[0\]\.kind/],
  ];
  for (const [text, want] of cases) {
    fs.writeFileSync(f, text);
    assert.throws(() => loadTable(f), want);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('launch flags: Playwright\'s disabled features are found in playwright-core', () => {
  const list = playwrightDisabledFeatures();
  // Two of Playwright's own choices; a Playwright whose bundle no longer
  // reads this way fails here rather than silently losing them.
  for (const f of ['PaintHolding', 'ThirdPartyStoragePartitioning']) assert.ok(list.includes(f), `${f} in ${list}`);
  assert.ok(list.every((f) => /^[A-Za-z0-9_]+$/.test(f)), String(list));
  const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'abrun-')), 'none.js');
  assert.deepEqual(playwrightDisabledFeatures(missing), []);
});

test('launch flags: one --disable-features, last, with Playwright\'s, the runner\'s and the given ones', () => {
  const cases = [
    { name: 'runner only', args: ['--password-store=basic'], pw: ['A', 'B'], want: ['--password-store=basic', '--disable-features=A,B,X'] },
    { name: 'given ones merged, no repeats', args: ['--disable-features=C,A', '--lang=en'], pw: ['A', 'B'], want: ['--lang=en', '--disable-features=A,B,X,C'] },
    { name: 'two given switches', args: ['--disable-features=C', '--disable-features=D'], pw: ['A'], want: ['--disable-features=A,X,C,D'] },
    { name: 'without Playwright\'s list nothing is added', args: ['--disable-features=C', '--lang=en'], pw: [], want: ['--disable-features=C', '--lang=en'] },
  ];
  for (const c of cases) assert.deepEqual(withDisabledFeatures(c.args, c.pw, ['X']), c.want, c.name);
  assert.deepEqual(RUNNER_DISABLED_FEATURES, ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup']);
  for (const a of withDisabledFeatures(flagsFor('app', 'linux').args)) {
    assert.ok(!/keychain|password-store/.test(a) || flagsFor('app', 'linux').args.includes(a), `key-store flag ${a} comes from the table only`);
  }
});

test('a run\'s browser starts without the address bar\'s WebUI popups (real Chromium)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abrun-'));
  const ctx = await chromium.launchPersistentContext(dir, launchOptions({ AUTHBRIDGE_CHROMIUM: CHROMIUM }, true));
  try {
    const cdp = await ctx.newCDPSession(ctx.pages()[0]);
    const { targetInfos } = await cdp.send('Target.getTargets');
    const urls = targetInfos.map((t) => `${t.type} ${t.url}`);
    assert.deepEqual(urls.filter((u) => u.includes('omnibox')), [], `targets: ${urls.join(', ')}`);
    assert.equal(ctx.pages().length, 1, 'the persistent context has its one page');
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('classification beyond the corpus', () => {
  const cases = [
    {
      name: 'a legacy script exports more than the run asked for: filtered, success',
      result: { 'li.profile': {}, 'li.skills': {}, exportSummary: { count: 4 } },
      requested: ['li.profile'],
      want: { outcome: 'success', scopeSummary: { requested: 1, produced: 1, degraded: 0, omitted: 0 }, recordCount: 4 },
      dataKeys: ['li.profile', 'exportSummary'],
    },
    {
      name: 'a requested scope missing without an entry: partial, unknown',
      result: { 'li.profile': {} },
      requested: ['li.profile', 'li.skills'],
      want: { outcome: 'partial', errorClass: 'unknown', scopeSummary: { requested: 2, produced: 1, degraded: 0, omitted: 1 } },
    },
    {
      name: 'nothing requested produced: failure',
      result: { exportSummary: { count: 0 } },
      requested: ['li.profile'],
      want: { outcome: 'failure', errorClass: 'runtime_error' },
    },
    {
      name: 'no requested scopes anywhere: what was produced counts',
      result: { 'conformance.result': { methods: {} } },
      requested: [],
      want: { outcome: 'success', scopeSummary: { requested: 1, produced: 1, degraded: 0, omitted: 0 } },
    },
    {
      name: 'an unknown error class is a violation',
      result: { requestedScopes: ['a.b'], 'a.b': {}, errors: [{ errorClass: 'oops', reason: 'x', disposition: 'degraded', scope: 'a.b' }] },
      want: { outcome: 'failure', errorClass: 'protocol_violation' },
      violation: /errors\[0\]\.errorClass "oops"/,
    },
    {
      name: 'a result that is not an object is a violation',
      result: 'done',
      want: { outcome: 'failure', errorClass: 'protocol_violation' },
    },
  ];
  for (const c of cases) {
    const { classification, data } = classifyResult(c.result, c.requested);
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(classification[k], v, `${c.name}: ${k}`);
    if (c.dataKeys) assert.deepEqual(Object.keys(data), c.dataKeys, `${c.name}: data`);
    if (c.violation) assert.match(classification.debug.violation, c.violation, c.name);
  }
});

test('thrown errors get an error class', () => {
  const cases = [
    [Object.assign(new Error('Timeout 30000ms exceeded'), { name: 'TimeoutError' }), 'timeout'],
    [new Error('page.goto: net::ERR_CONNECTION_REFUSED at https://x/'), 'network_error'],
    [new Error('page.goto: net::ERR_ABORTED'), 'navigation_error'],
    [new Error('waiting for locator(\'#x\')'), 'selector_error'],
    [new TypeError('x is not a function'), 'runtime_error'],
  ];
  for (const [err, want] of cases) assert.equal(errorClassOf(err), want, err.message);
});

test('connector id from the manifest beside the script, else the base name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conn-'));
  fs.writeFileSync(path.join(dir, 'shop-playwright.js'), '');
  fs.writeFileSync(path.join(dir, 'shop-playwright.json'), JSON.stringify({ connector_id: 'shop-x' }));
  fs.writeFileSync(path.join(dir, 'bare.js'), '');
  fs.writeFileSync(path.join(dir, 'broken.js'), '');
  fs.writeFileSync(path.join(dir, 'broken.json'), '{');
  assert.equal(resolveConnector(path.join(dir, 'shop-playwright.js')).id, 'shop-x');
  assert.equal(resolveConnector(path.join(dir, 'bare.js')).id, 'bare');
  assert.throws(() => resolveConnector(path.join(dir, 'broken.js')), /manifest .*broken\.json/);
  assert.equal(profileDir(path.join(dir, 'shop-playwright.js'), { AUTHBRIDGE_PROFILES_DIR: '/p' }), path.join('/p', 'shop-playwright'));
  assert.equal(profileDir('/x/y.js', {}), path.join(os.homedir(), '.dataconnect', 'browser-profiles', 'y'));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cookie header for httpFetch: domain, path, secure and expiry', () => {
  const now = 1000;
  const jar = [
    { name: 'a', value: '1', domain: '.example.com', path: '/', secure: false, expires: -1 },
    { name: 'b', value: '2', domain: 'www.example.com', path: '/api', secure: true, expires: 2000 },
    { name: 'c', value: '3', domain: 'other.com', path: '/', secure: false, expires: -1 },
    { name: 'd', value: '4', domain: '.example.com', path: '/', secure: false, expires: 10 },
    { name: 'e', value: '5', domain: 'www.example.com', path: '/apix', secure: false, expires: -1 },
  ];
  const cases = [
    ['https://www.example.com/api/me', 'b=2; a=1'],
    ['http://www.example.com/api/me', 'a=1'],
    ['https://example.com/', 'a=1'],
    ['https://notexample.com/', ''],
    ['not a url', ''],
  ];
  for (const [url, want] of cases) assert.equal(cookieHeader(jar, url, now), want, url);
});

test('AUTHBRIDGE_BROWSER_ARGS must be a JSON array of strings', () => {
  assert.deepEqual(browserArgs({}), []);
  assert.deepEqual(browserArgs({ AUTHBRIDGE_BROWSER_ARGS: '["--lang=en"]' }), ['--lang=en']);
  assert.throws(() => browserArgs({ AUTHBRIDGE_BROWSER_ARGS: '--lang=en' }), /AUTHBRIDGE_BROWSER_ARGS must be a JSON array of strings/);
  assert.throws(() => browserArgs({ AUTHBRIDGE_BROWSER_ARGS: '[1]' }), /AUTHBRIDGE_BROWSER_ARGS must be a JSON array of strings/);
});

test('which requestInput asks for sign-in material', () => {
  const cases = [
    [{ message: 'Log in to LinkedIn', schema: { properties: { email: {}, password: { format: 'password' } } } }, true],
    [{ message: 'Enter your LinkedIn verification code', schema: { properties: { code: {} } } }, true],
    [{ message: 'Pick a colour', schema: { properties: { colour: { type: 'string' } } } }, false],
    [{ message: 'Which account?', schema: { properties: { pin: {} } } }, true],
    [null, false],
  ];
  for (const [p, want] of cases) assert.equal(isAuthInput(p), want, JSON.stringify(p));
});

test('profileTaken names Chromium refusing a profile another browser holds, and nothing else', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abtaken-'));
  const opts = { ...launchOptions({ AUTHBRIDGE_CHROMIUM: CHROMIUM }, true) };
  const first = await chromium.launchPersistentContext(dir, opts);
  try {
    const err = await chromium.launchPersistentContext(dir, opts).then(
      async (second) => { await second.close(); return null; },
      (e) => e,
    );
    assert.ok(err, 'a second browser started on a held profile');
    assert.equal(profileTaken(err), true, `not recognised: ${String(err.message).split('\n')[0]}`);
  } finally {
    await first.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(profileTaken(new Error('net::ERR_CONNECTION_REFUSED at https://example.test/')), false);
  assert.equal(profileTaken(new Error('Executable doesn\'t exist at /nope/chromium')), false);
});

test('alreadyMatches: a visible CSS match answers at once; everything else is left to Playwright', async () => {
  const { alreadyMatches } = require('../lib/run.cjs');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const page = await browser.newPage();
    await page.setContent(`<h1 id="shown">hi</h1><p id="none" style="display:none">x</p>
      <p id="invisible" style="visibility:hidden">x</p><span id="empty"></span>
      <div id="contents" style="display:contents"><b>x</b></div><div id="host"></div>
      <script>document.getElementById('host').attachShadow({mode:'open'}).innerHTML = '<i id="inside">x</i>';</script>`);
    const cases = [
      ['#shown', undefined, true],
      ['h1', 'visible', true],
      ['#none', undefined, false],
      ['#none', 'attached', true],
      ['#invisible', undefined, false],
      ['#empty', undefined, false],
      ['#contents', undefined, false], // display: contents: Playwright decides
      ['#absent', undefined, false],
      ['#inside', undefined, false], // in a shadow root: Playwright's engine finds it
      ['text=hi', undefined, false], // Playwright syntax, not CSS
      ['h1 >> text=hi', undefined, false],
      ['#shown', 'hidden', false],
      ['#shown', 'detached', false],
    ];
    for (const [sel, state, want] of cases) {
      assert.equal(await alreadyMatches(page, sel, state), want, `${sel} (${state || 'default'})`);
    }
  } finally {
    await browser.close();
  }
});
