'use strict';
// The profile seed (lib/seed.cjs): made from a throwaway profile of the real
// browser, planted whole or not at all into profiles Chromium never opened,
// working databases in the profile it seeds, and set aside when the browser
// is older than the seed.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');

const { ProfileSeed, seedDirFor, compareVersions, closedDatabases, unopened } = require('../lib/seed.cjs');
const { launchScratch } = require('../lib/run.cjs');
const { RunnerProcess, CHROMIUM } = require('./helpers/runner.cjs');

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const ECHO = path.join(__dirname, '..', 'testdata', 'connectors', 'echo-result.js');

function tmp(t, prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function fakeDatabase(file, body = 'x') {
  fs.writeFileSync(file, Buffer.concat([SQLITE_HEADER, Buffer.from(body)]));
}

/** emptySQLite is a valid SQLite database of one 4096-byte page and no tables. */
function emptySQLite() {
  const b = Buffer.alloc(4096);
  SQLITE_HEADER.copy(b, 0);
  b.writeUInt16BE(4096, 16);
  b[18] = 1; b[19] = 1; b[21] = 64; b[22] = 32; b[23] = 32;
  b.writeUInt32BE(1, 28);
  b.writeUInt32BE(4, 44);
  b.writeUInt32BE(1, 56);
  b[100] = 0x0d; // page 1: a table leaf with no cells
  b.writeUInt16BE(4096, 105);
  return b;
}

/** writeSeed writes a private seed folder of the given files (name -> content) and its manifest. */
function writeSeed(dir, files, version = '156.0.1.2') {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const listed = [];
  for (const [name, buf] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, name), buf, { mode: 0o600 });
    listed.push({ path: name, sha256: crypto.createHash('sha256').update(buf).digest('hex') });
  }
  fs.writeFileSync(path.join(dir, 'seed.json'), JSON.stringify({ version, files: listed }), { mode: 0o600 });
  return listed;
}

/** until resolves once check() is true, polling every 20 ms, or rejects after ms. */
async function until(check, ms, what) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** digest hashes every file under dir with its relative path. */
function digest(dir) {
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(dir, { recursive: true }).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) h.update(f).update(fs.readFileSync(p));
  }
  return h.digest('hex');
}

process.env.AUTHBRIDGE_CHROMIUM = process.env.AUTHBRIDGE_CHROMIUM || CHROMIUM;

test('compareVersions orders dotted versions by number', () => {
  assert.equal(compareVersions('156.0.8078.114', '156.0.8078.114'), 0);
  assert.equal(compareVersions('156.0.8078.9', '156.0.8078.114'), -1);
  assert.equal(compareVersions('157.0', '156.9.9999.9'), 1);
  assert.equal(compareVersions('156', '156.0.0.0'), 0);
});

test('seedDirFor: authbridge home by default, a folder of its own, or off', () => {
  assert.equal(seedDirFor({}, '/h'), path.join('/h', 'runner', 'profile-seed'));
  assert.equal(seedDirFor({ AUTHBRIDGE_RUNNER_SEED: 'off' }, '/h'), '');
  assert.equal(seedDirFor({ AUTHBRIDGE_RUNNER_SEED: '/s' }, '/h'), '/s');
  assert.equal(seedDirFor({}, ''), '');
});

test('closedDatabases keeps SQLite files with nothing left to replay', (t) => {
  const d = tmp(t, 'seed-db-');
  fakeDatabase(path.join(d, 'Cookies'));
  fs.writeFileSync(path.join(d, 'Cookies-journal'), '');
  fakeDatabase(path.join(d, 'History'));
  fs.writeFileSync(path.join(d, 'History-journal'), 'a hot journal');
  fakeDatabase(path.join(d, 'Web Data'));
  fs.writeFileSync(path.join(d, 'Web Data-wal'), 'frames');
  fs.writeFileSync(path.join(d, 'Preferences'), '{}');
  fs.mkdirSync(path.join(d, 'Local Storage'));
  fs.writeFileSync(path.join(d, 'Local Storage', 'CURRENT'), 'MANIFEST-000001');
  fs.mkdirSync(path.join(d, 'Shared Dictionary'));
  fakeDatabase(path.join(d, 'Shared Dictionary', 'db'));
  assert.deepEqual(closedDatabases(d), ['Cookies', 'Shared Dictionary/db']);
});

test('plant: only into a profile Chromium never opened, whole or not at all', (t) => {
  const dir = path.join(tmp(t, 'seed-plant-'), 'seed');
  const files = ['Cookies', 'History', 'Shared Dictionary/db'];
  writeSeed(dir, Object.fromEntries(files.map((f) => [f, emptySQLite()])));
  const logs = [];
  const seed = new ProfileSeed({ dir, log: (m) => logs.push(m) });

  const fresh = tmp(t, 'seed-profile-');
  assert.ok(unopened(fresh));
  const planted = seed.plant(fresh);
  assert.deepEqual(planted, { version: '156.0.1.2', files });
  assert.deepEqual(fs.readdirSync(fresh), ['Default'], 'no staging folder is left behind');
  assert.deepEqual(closedDatabases(path.join(fresh, 'Default')), files);
  assert.equal(fs.statSync(path.join(fresh, 'Default', 'Cookies')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(fresh, 'Default', 'Shared Dictionary')).mode & 0o777, 0o700);
  assert.equal(seed.plant(fresh), null, 'a profile that has its Default folder is not seeded again');

  const opened = tmp(t, 'seed-opened-');
  fs.writeFileSync(path.join(opened, 'Local State'), '{}');
  assert.equal(seed.plant(opened), null, 'a profile with a Local State was opened before');
  assert.deepEqual(fs.readdirSync(opened), ['Local State']);
  const opening = tmp(t, 'seed-opening-');
  fs.symlinkSync('otherhost-12345', path.join(opening, 'SingletonLock'));
  assert.equal(seed.plant(opening), null, 'a browser is starting on this profile (its lock, dangling here)');
  assert.deepEqual(fs.readdirSync(opening), ['SingletonLock']);

  // A seed naming a file it lacks (a seed being replaced under the copy):
  // the profile is left as it was.
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'seed.json'), 'utf8'));
  m.files.push({ path: 'Gone', sha256: '0'.repeat(64) });
  fs.writeFileSync(path.join(dir, 'seed.json'), JSON.stringify(m), { mode: 0o600 });
  const second = tmp(t, 'seed-profile-');
  assert.equal(seed.plant(second), null);
  assert.deepEqual(fs.readdirSync(second), []);
  assert.match(logs.join('\n'), /could not be copied \(ENOENT\)/);

  // Manifests that are not a seed's.
  const h = '0'.repeat(64);
  const notSeeds = ['{', `{"version":"x","files":[{"path":"Cookies","sha256":"${h}"}]}`, '{"version":"1","files":[]}', `{"version":"1","files":[{"path":"../Cookies","sha256":"${h}"}]}`,
    `{"version":"1","files":[{"path":"a/../../b","sha256":"${h}"}]}`, `{"version":"1","files":[{"path":"/etc/passwd","sha256":"${h}"}]}`, `{"version":"1","files":[{"path":".hidden","sha256":"${h}"}]}`,
    '{"version":"1","files":["Cookies"]}', '{"version":"1","files":[{"path":"Cookies"}]}'];
  for (const bad of notSeeds) {
    fs.writeFileSync(path.join(dir, 'seed.json'), bad, { mode: 0o600 });
    assert.equal(seed.manifest(), null, bad);
    assert.equal(seed.plant(tmp(t, 'seed-profile-')), null, bad);
  }
});

test('a seed is used only when it is private, hashes as listed, holds empty databases and no Preferences', (t) => {
  const logs = [];
  const plantOf = (dir) => new ProfileSeed({ dir, log: (m) => logs.push(m) }).plant(tmp(t, 'seed-profile-'));
  const good = path.join(tmp(t, 'seed-good-'), 'seed');
  writeSeed(good, { Cookies: emptySQLite() });
  assert.notEqual(plantOf(good), null, 'a private seed of empty databases is planted');

  // A planted Preferences (a proxy for the run), even listed with its hash.
  const prefs = path.join(tmp(t, 'seed-prefs-'), 'seed');
  writeSeed(prefs, { Cookies: emptySQLite(), Preferences: Buffer.from('{"proxy":{"mode":"fixed_servers","server":"127.0.0.1:9"}}') });
  assert.equal(plantOf(prefs), null, 'Preferences is never seeded');
  assert.match(logs.join('\n'), /Preferences is never seeded/);

  // A file that is not an empty database (a cookie row, or not SQLite).
  const notEmpty = path.join(tmp(t, 'seed-rows-'), 'seed');
  const rows = emptySQLite();
  rows[100] = 0x05; // page 1 turned into an interior page pointing elsewhere: not an empty database
  writeSeed(notEmpty, { Cookies: rows });
  assert.equal(plantOf(notEmpty), null);
  assert.match(logs.join('\n'), /Cookies is not an empty database/);

  // A file changed after the manifest was written.
  const changed = path.join(tmp(t, 'seed-changed-'), 'seed');
  writeSeed(changed, { Cookies: emptySQLite() });
  fs.appendFileSync(path.join(changed, 'Cookies'), Buffer.alloc(4096));
  assert.equal(plantOf(changed), null);
  assert.match(logs.join('\n'), /Cookies does not match its SHA-256/);

  // A seed folder open to others.
  const open = path.join(tmp(t, 'seed-open-'), 'seed');
  writeSeed(open, { Cookies: emptySQLite() });
  fs.chmodSync(open, 0o755);
  assert.equal(plantOf(open), null);
  assert.match(logs.join('\n'), /is open to other users \(mode 755\)/);

  // A seed file that is a symbolic link.
  const link = path.join(tmp(t, 'seed-link-'), 'seed');
  writeSeed(link, { Cookies: emptySQLite() });
  const target = path.join(tmp(t, 'seed-target-'), 'Cookies');
  fs.renameSync(path.join(link, 'Cookies'), target);
  fs.symlinkSync(target, path.join(link, 'Cookies'));
  assert.equal(plantOf(link), null);
  assert.match(logs.join('\n'), /Cookies is a symbolic link/);
});

test('a seed made with the real browser gives a new profile working databases', async (t) => {
  const dir = path.join(tmp(t, 'seed-real-'), 'runner', 'profile-seed');
  const logs = [];
  const seed = new ProfileSeed({ dir, log: (m) => logs.push(m) });
  await seed.make((d) => launchScratch(d));
  const m = seed.manifest();
  assert.ok(m, `a seed was made: ${logs.join('\n')}`);
  assert.match(m.version, /^\d+\.\d+\.\d+\.\d+$/);
  const names = m.files.map((f) => f.path);
  // Which databases Chromium has closed cleanly when the scratch browser
  // quits varies with the machine's load (one whose journal still holds a
  // write is left out); the seed holds some, each checked below.
  assert.ok(names.length > 0, 'the seed holds at least one database');
  assert.ok(!names.includes('Preferences'), 'Preferences is never seeded');
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  for (const { path: f, sha256 } of m.files) {
    const b = fs.readFileSync(path.join(dir, f));
    assert.equal(crypto.createHash('sha256').update(b).digest('hex'), sha256, `${f} is listed with its SHA-256`);
    assert.ok(b.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER), `${f} is a SQLite database`);
    assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
  }
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['profile-seed'], 'no staging folder is left behind');
  assert.equal(seed.needed(m.version), false);
  assert.equal(seed.needed('1.0.0.0'), true, 'another browser version needs its own seed');
  const before = digest(dir);

  // A run's cookie in a seeded profile is written to its Cookies database
  // and read back by the next launch; the seed itself is not touched.
  const profile = tmp(t, 'seed-profile-');
  assert.ok(seed.plant(profile));
  const value = `v-${crypto.randomBytes(8).toString('hex')}`;
  let ctx = await launchScratch(profile);
  await ctx.addCookies([{ name: 'seeded', value, domain: 'seed.example', path: '/', expires: Math.floor(Date.now() / 1000) + 3600, httpOnly: true, secure: false, sameSite: 'Lax' }]);
  await ctx.close();
  ctx = await launchScratch(profile);
  const back = await ctx.cookies('http://seed.example/');
  await ctx.close();
  assert.deepEqual(back.map((c) => [c.name, c.value === value]), [['seeded', true]]);
  assert.equal(digest(dir), before, 'the seed is unchanged by the profile it seeded');
});

function jsonSite() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(JSON.stringify({ 'echo.result': { ok: true } }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}

test('the runner makes its seed after a run and starts new profiles from it', async (t) => {
  const site = await jsonSite();
  t.after(() => site.close());
  const profiles = tmp(t, 'runner-profiles-');
  const seedDir = path.join(tmp(t, 'runner-seed-'), 'profile-seed');
  const r = new RunnerProcess({ AUTHBRIDGE_RUNNER_SESSIONS: 'off', AUTHBRIDGE_PROFILES_DIR: profiles, AUTHBRIDGE_RUNNER_SEED: seedDir });
  t.after(() => r.close());
  const run = async (runId) => {
    fs.rmSync(path.join(profiles, 'echo-result'), { recursive: true, force: true });
    r.send({ type: 'run', runId, connectorPath: ECHO, url: site.url, requestedScopes: ['echo.result'] });
    const res = await r.result(runId);
    assert.equal(res.classification.outcome, 'success', JSON.stringify(res.classification));
  };

  await run('first');
  assert.doesNotMatch(r.stderr, /started from the profile seed/, 'there was no seed for the first run');
  await until(() => fs.existsSync(path.join(seedDir, 'seed.json')), 60000, 'the seed after the first run');
  await until(() => /made a profile seed of Chromium/.test(r.stderr), 5000, 'the seed log line');

  await run('second');
  assert.match(r.stderr, /run second: the new profile started from the profile seed \(\d+ empty databases of Chromium \d/);
  const made = fs.statSync(path.join(seedDir, 'seed.json')).mtimeMs;
  await run('third');
  assert.match(r.stderr, /run third: the new profile started from the profile seed/);
  assert.equal(fs.statSync(path.join(seedDir, 'seed.json')).mtimeMs, made, 'a seed of this browser is not made again');
  assert.deepEqual(r.badLines, []);
});

test('a seed newer than the browser is set aside and made again', async (t) => {
  const site = await jsonSite();
  t.after(() => site.close());
  const profiles = tmp(t, 'runner-profiles-');
  const seedDir = path.join(tmp(t, 'runner-seed-'), 'profile-seed');
  // A real seed, relabelled as made by a future Chromium.
  const seed = new ProfileSeed({ dir: seedDir });
  await seed.make((d) => launchScratch(d));
  const m = seed.manifest();
  assert.ok(m);
  fs.writeFileSync(path.join(seedDir, 'seed.json'), JSON.stringify({ version: '9999.0.0.0', files: m.files }));

  const r = new RunnerProcess({ AUTHBRIDGE_RUNNER_SESSIONS: 'off', AUTHBRIDGE_PROFILES_DIR: profiles, AUTHBRIDGE_RUNNER_SEED: seedDir });
  t.after(() => r.close());
  r.send({ type: 'run', runId: 'older-browser', connectorPath: ECHO, url: site.url, requestedScopes: ['echo.result'] });
  const res = await r.result('older-browser');
  assert.equal(res.classification.outcome, 'success', JSON.stringify(res.classification));
  assert.match(r.stderr, /the profile seed is from Chromium 9999\.0\.0\.0, newer than this browser \(\d[\d.]*\): starting the new profile without it/);
  assert.doesNotMatch(r.stderr, /run older-browser: the new profile started from the profile seed/);
  await until(() => (seed.manifest() || {}).version === m.version, 60000, 'the seed made again for this browser');
});
