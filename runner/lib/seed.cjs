'use strict';
// The profile seed: the empty SQLite databases Chromium makes for a new
// profile, kept so that a connector's first run starts from them.
//
// Why: on a new profile Chromium creates its SQLite databases (Cookies,
// History, Web Data, Login Data, ...) and writes each one's schema with its
// own fdatasync calls, on the run's critical path. A profile that starts
// with those databases already made by the same Chromium opens like a kept
// one (the figures: docs/benchmarks.md).
//
// What the seed holds: only the SQLite files of a throwaway profile that a
// headless Chromium opened and closed without loading a page or getting a
// cookie, so no site's data and no secret. The files are 0600 in a 0700
// directory under authbridge's home (<home>/runner/profile-seed), with
// seed.json naming the Chromium version that made them and the files. A seed
// appears whole or not at all (made in a sibling directory, then renamed).
//
// When it is used: a run's profile that Chromium never opened (no Default
// folder, no Local State) gets the seed's files in its Default folder before
// the launch. If the browser then reports a version older than the seed's
// (Chromium was downgraded, and would refuse databases from a newer one),
// the run closes it, removes what it planted and launches again without the
// seed. The seed is made again, after a run, whenever the browser's version
// differs from the seed's.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { emptyDatabase } = require('./seedcheck.cjs');

const MANIFEST = 'seed.json';
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const VERSION = /^\d+(\.\d+)*$/; // a browser version as Chromium reports it

/** browserVersion is the version a launched context's browser reports, '' when it cannot tell. */
function browserVersion(context) {
  try {
    const b = typeof context.browser === 'function' ? context.browser() : null;
    return b ? b.version() : '';
  } catch {
    return '';
  }
}

/** compareVersions orders dotted version strings numerically (-1, 0, 1). */
function compareVersions(a, b) {
  const pa = String(a).split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = String(b).split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** isSQLite: the file starts with SQLite's header string. */
function isSQLite(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(SQLITE_MAGIC.length);
    return fs.readSync(fd, b, 0, b.length, 0) === b.length && b.equals(SQLITE_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** emptyOrMissing: a journal or WAL file that holds nothing to replay. */
function emptyOrMissing(file) {
  try {
    return fs.statSync(file).size === 0;
  } catch (err) {
    return err.code === 'ENOENT';
  }
}

/**
 * closedDatabases lists, as paths relative to dir with '/' between names,
 * the SQLite databases under dir (its sub-folders too) that were closed
 * cleanly: regular files with SQLite's header and no journal or WAL left
 * to replay.
 */
function closedDatabases(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${e.name}` : e.name;
    const file = path.join(dir, name);
    if (e.isDirectory()) out.push(...closedDatabases(dir, name));
    else if (e.isFile() && !/-(journal|wal|shm)$/.test(e.name) && isSQLite(file) &&
      emptyOrMissing(`${file}-journal`) && emptyOrMissing(`${file}-wal`)) out.push(name);
  }
  return out.sort();
}

/** safeRelative: a relative path of plain names, inside the folder it is relative to. */
function safeRelative(f) {
  return typeof f === 'string' && f !== '' && f.split('/').every((n) => n !== '' && n !== '.' && n !== '..' && !n.startsWith('.') && !n.includes('\\'));
}

/** NEVER_SEEDED are files a seed never holds: a profile's settings (a proxy, a start page) are its own. */
const NEVER_SEEDED = new Set(['Preferences', 'Secure Preferences', 'Local State']);

/** sha256 is the hex SHA-256 of buf. */
function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

/**
 * ownedPrivate says why p is not a folder or file of this user only (a
 * symbolic link, another owner, group or other access), or ''.
 */
function ownedPrivate(p, folder) {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return `${p} is a symbolic link`;
  if (folder ? !st.isDirectory() : !st.isFile()) return `${p} is not a ${folder ? 'folder' : 'regular file'}`;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${p} belongs to another user (uid ${st.uid})`;
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) return `${p} is open to other users (mode ${(st.mode & 0o777).toString(8)})`;
  return '';
}

/**
 * seedFile reads one file of a seed and says why it may not be planted:
 * it must be a private regular file of this user, never a settings file,
 * hash as the manifest says and be an empty database.
 */
function seedFile(dir, f) {
  const p = path.join(dir, f.path);
  if (NEVER_SEEDED.has(path.basename(f.path))) return { why: `${f.path} is never seeded` };
  const why = ownedPrivate(p, false);
  if (why) return { why };
  const buf = fs.readFileSync(p);
  if (sha256(buf) !== f.sha256) return { why: `${f.path} does not match its SHA-256 in ${MANIFEST}` };
  if (!emptyDatabase(buf)) return { why: `${f.path} is not an empty database` };
  return { buf };
}

/** copyFiles copies the relative paths files from one folder to another: folders 0700, files 0600. */
function copyFiles(from, to, files) {
  for (const f of files) {
    const dst = path.join(to, f);
    fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(from, f), dst);
    fs.chmodSync(dst, 0o600);
  }
}

/** writeFiles writes the checked contents {path, buf} into a folder: folders 0700, files 0600. */
function writeFiles(to, files) {
  for (const f of files) {
    const dst = path.join(to, f.path);
    fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
    fs.writeFileSync(dst, f.buf, { mode: 0o600, flag: 'wx' });
  }
}

/**
 * unopened: Chromium has never opened this profile folder and no browser is
 * opening it now (its SingletonLock is a symbolic link, often dangling, so
 * it is looked at with lstat).
 */
function unopened(profileDir) {
  const has = (name) => {
    try {
      fs.lstatSync(path.join(profileDir, name));
      return true;
    } catch {
      return false;
    }
  };
  return !has('Default') && !has('Local State') && !has('SingletonLock');
}

class ProfileSeed {
  /**
   * @param {object} o
   * @param {string} o.dir where the seed is kept
   * @param {function} [o.log] diagnostic lines (stderr)
   */
  constructor({ dir, log = () => {} }) {
    this.dir = dir;
    this.log = log;
    this.making = null; // the promise of a seed being made
    this.refused = ''; // why making a seed failed (not tried again)
    this.lastRefusal = ''; // why the seed was last not used (logged once)
  }

  /**
   * manifest is the seed's {version, files: [{path, sha256}]}, or null when
   * there is no usable seed: the seed folder and its manifest must be this
   * user's only (0700 and 0600, no symbolic link), every file named by a
   * plain relative path with its SHA-256.
   */
  manifest() {
    let m;
    try {
      const why = ownedPrivate(this.dir, true) || ownedPrivate(path.join(this.dir, MANIFEST), false);
      if (why) {
        if (why !== this.lastRefusal) this.log(`the profile seed is not used: ${why}`);
        this.lastRefusal = why;
        return null;
      }
      m = JSON.parse(fs.readFileSync(path.join(this.dir, MANIFEST), 'utf8'));
    } catch {
      return null;
    }
    const ok = m && typeof m.version === 'string' && VERSION.test(m.version) && Array.isArray(m.files) &&
      m.files.length > 0 && m.files.every((f) => f && safeRelative(f.path) && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256));
    return ok ? { version: m.version, files: m.files.map((f) => ({ path: f.path, sha256: f.sha256 })) } : null;
  }

  /**
   * plant copies the seed into profileDir/Default when Chromium has never
   * opened the profile. It returns {version, files} of what it planted, or
   * null (no seed, a profile already made, or a copy that failed: then
   * nothing is left behind).
   */
  plant(profileDir) {
    if (!unopened(profileDir)) return null;
    const m = this.manifest();
    if (!m) return null;
    const stage = path.join(profileDir, `.authbridge-seed-${process.pid}`);
    try {
      // Every file is read and checked first; what is written is what was
      // checked.
      const checked = [];
      for (const f of m.files) {
        const c = seedFile(this.dir, f);
        if (c.why) {
          this.log(`the profile seed is not used: ${c.why}`);
          return null;
        }
        checked.push({ path: f.path, buf: c.buf });
      }
      fs.mkdirSync(profileDir, { recursive: true, mode: 0o700 });
      fs.rmSync(stage, { recursive: true, force: true });
      fs.mkdirSync(stage, { mode: 0o700 });
      writeFiles(stage, checked);
      fs.renameSync(stage, path.join(profileDir, 'Default'));
      return { version: m.version, files: m.files.map((f) => f.path) };
    } catch (err) {
      fs.rmSync(stage, { recursive: true, force: true });
      this.log(`the profile seed could not be copied (${err.code || err.message}): the profile starts empty`);
      return null;
    }
  }

  /**
   * unplant removes the databases plant put in profileDir (and their
   * journals) after the browser refused them; the profile is then new again
   * as far as those files go.
   */
  unplant(profileDir, planted) {
    const dir = path.join(profileDir, 'Default');
    for (const f of planted.files) {
      for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(path.join(dir, f + suffix), { force: true });
    }
  }

  /** needed: whether a seed for this browser version should be made. */
  needed(version) {
    if (!version || this.refused || this.making) return false;
    const m = this.manifest();
    return !m || m.version !== version;
  }

  /**
   * make builds a new seed with launch(dir) (a headless launch of the
   * runner's browser on an empty folder that resolves to a Playwright
   * BrowserContext) and puts it in place whole. It never rejects; a failure
   * is logged once and not tried again by this process.
   */
  make(launch) {
    if (this.making) return this.making;
    this.making = this._make(launch)
      .catch((err) => {
        this.refused = String((err && err.message) || err).split('\n')[0];
        this.log(`no profile seed was made: ${this.refused}`);
      })
      .finally(() => { this.making = null; });
    return this.making;
  }

  async _make(launch) {
    const started = Date.now();
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'authbridge-seed-'));
    const stage = `${this.dir}.new-${process.pid}`;
    const old = `${this.dir}.old-${process.pid}`;
    try {
      const ctx = await launch(scratch);
      const version = browserVersion(ctx);
      await ctx.close();
      if (!VERSION.test(version)) throw new Error(`the browser reported no version (${JSON.stringify(version)})`);
      const made = path.join(scratch, 'Default');
      const files = closedDatabases(made).filter((f) => !NEVER_SEEDED.has(path.basename(f)) && emptyDatabase(fs.readFileSync(path.join(made, f))));
      if (!files.length) throw new Error('the browser made no databases in a new profile');
      fs.mkdirSync(path.dirname(this.dir), { recursive: true, mode: 0o700 });
      fs.rmSync(stage, { recursive: true, force: true });
      fs.mkdirSync(stage, { mode: 0o700 });
      copyFiles(path.join(scratch, 'Default'), stage, files);
      const listed = files.map((f) => ({ path: f, sha256: sha256(fs.readFileSync(path.join(stage, f))) }));
      fs.writeFileSync(path.join(stage, MANIFEST), JSON.stringify({ version, files: listed, made_at: new Date().toISOString() }, null, 2) + '\n', { mode: 0o600 });
      fs.rmSync(old, { recursive: true, force: true });
      try {
        fs.renameSync(this.dir, old);
      } catch (err) {
        if (err.code !== 'ENOENT') throw err;
      }
      fs.renameSync(stage, this.dir);
      this.log(`made a profile seed of Chromium ${version} (${files.length} empty databases) in ${Date.now() - started} ms: new profiles start from it`);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.rmSync(stage, { recursive: true, force: true });
      fs.rmSync(old, { recursive: true, force: true });
    }
  }
}

/**
 * seedDirFor is where the seed is kept: AUTHBRIDGE_RUNNER_SEED when it names
 * a folder, else <authbridge home>/runner/profile-seed; '' when switched off
 * (AUTHBRIDGE_RUNNER_SEED=off) or when there is no home to keep it in.
 */
function seedDirFor(env, home) {
  const v = env.AUTHBRIDGE_RUNNER_SEED;
  if (v === 'off') return '';
  if (v) return path.resolve(v);
  return home ? path.join(home, 'runner', 'profile-seed') : '';
}

module.exports = { ProfileSeed, seedDirFor, browserVersion, compareVersions, closedDatabases, unopened, NEVER_SEEDED };
