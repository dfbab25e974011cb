'use strict';
// The one table of browser and key-store flags per OS and kind of profile,
// and of the hosts Chromium contacts on its own, shared with authbridge's
// profile writer, so that what a repair writes into a profile is what a run
// reads from it. The runner ships its own copy of the table
// (lib/launchflags.json), byte for byte the host's
// (host/chromeprofile/launchflags.json); tests on both sides fail when one
// changes alone.

const fs = require('node:fs');
const path = require('node:path');

const TABLE = path.join(__dirname, 'launchflags.json');

/** goos maps Node's platform names to the table's (Go's GOOS). */
function goos(platform = process.platform) {
  return platform === 'win32' ? 'windows' : platform;
}

/** loadTable reads and checks the table file. */
function loadTable(file = TABLE) {
  let t;
  try {
    t = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`launch flags table ${file}: ${err.message}`);
  }
  if (t.version !== 1 || !Array.isArray(t.profiles)) {
    throw new Error(`launch flags table ${file}: want version 1 with a profiles list`);
  }
  if (t.quiet_hosts !== undefined && (!Array.isArray(t.quiet_hosts) || t.quiet_hosts.some((h) => typeof h !== 'string' || !h))) {
    throw new Error(`launch flags table ${file}: quiet_hosts must be a list of host names`);
  }
  t.profiles.forEach((p, i) => {
    for (const f of ['kind', 'os']) {
      if (typeof p[f] !== 'string' || !p[f]) throw new Error(`launch flags table ${file}: profiles[${i}].${f} must be a non-empty string`);
    }
    for (const f of ['args', 'drop']) {
      if (!Array.isArray(p[f]) || p[f].some((a) => typeof a !== 'string')) {
        throw new Error(`launch flags table ${file}: profiles[${i}].${f} must be a list of strings`);
      }
    }
  });
  return t;
}

/**
 * flagsFor returns {args, drop, keyStore} for a kind of profile on an OS:
 * the row for that OS, else the row for "*".
 */
function flagsFor(kind = 'app', platform = process.platform, table = loadTable()) {
  const os = goos(platform);
  const row = table.profiles.find((p) => p.kind === kind && p.os === os) ||
    table.profiles.find((p) => p.kind === kind && p.os === '*');
  if (!row) throw new Error(`launch flags table: no row for kind ${kind} on ${os}`);
  return { args: [...row.args], drop: [...row.drop], keyStore: row.key_store || '' };
}

// Chromium features the runner's own launches switch off, on top of
// Playwright's list, because a headless export never uses them and they cost
// start-up work on the run's critical path. Key-store flags are not here:
// they come from the table above only.
//   WebUIOmniboxPopup, WebUIOmniboxAimPopup: Chromium 15x preloads the
//   address bar's two WebUI popups (chrome://omnibox-popup.top-chrome/ and
//   its omnibox_popup_aim.html), each in a renderer process of its own, at
//   every start, headless too. A headless run has no address bar; without
//   them the browser starts two renderers fewer and the first page comes
//   sooner (the figures: docs/benchmarks.md).
const RUNNER_DISABLED_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];

let pwDisabled = null;

/**
 * playwrightDisabledFeatures is the list Playwright puts in its own
 * --disable-features switch. Chromium honours only the last such switch, so
 * one the runner adds must repeat Playwright's list. Playwright does not
 * export it: it is read from playwright-core's bundled chromiumSwitches
 * (the version package-lock.json pins); [] when it cannot be found.
 */
function playwrightDisabledFeatures(file) {
  if (!file && pwDisabled) return pwDisabled;
  let list = [];
  try {
    const src = fs.readFileSync(file || require.resolve('playwright-core/lib/coreBundle'), 'utf8');
    const at = src.indexOf('disabledFeatures = [');
    const end = at < 0 ? -1 : src.indexOf(']', at);
    if (end > 0) {
      list = src.slice(at, end).split('\n')
        .map((l) => /^\s*"([A-Za-z0-9_]+)",?\s*$/.exec(l))
        .filter(Boolean)
        .map((m) => m[1]);
    }
  } catch {
    list = [];
  }
  if (!file) pwDisabled = list;
  return list;
}

/**
 * withDisabledFeatures returns args with one --disable-features switch (put
 * last) listing Playwright's features, the runner's and any the args name,
 * in that order without repeats. Without Playwright's list it adds nothing
 * of its own, so that Playwright's choices are never silently undone.
 */
function withDisabledFeatures(args, playwright = playwrightDisabledFeatures(), extra = RUNNER_DISABLED_FEATURES) {
  const prefix = '--disable-features=';
  const given = [];
  const rest = [];
  for (const a of args) {
    if (a.startsWith(prefix)) given.push(...a.slice(prefix.length).split(',').filter(Boolean));
    else rest.push(a);
  }
  if (!playwright.length) return [...args];
  const all = [...new Set([...playwright, ...extra, ...given])];
  return [...rest, prefix + all.join(',')];
}

/**
 * quietHosts are the table's quiet_hosts: the hosts Chromium contacts on its
 * own (component and extension updates, Google account listing, safe
 * browsing, connectivity checks, model downloads), which authbridge's Go
 * browsers block too (host/chromium QuietHosts, checked against the same
 * table): a run's browser resolves them to nothing, except those of the
 * connector's own sites.
 */
function quietHosts(table = loadTable()) {
  return [...(table.quiet_hosts || [])];
}

/** siteOf is a host's last two labels: the connector's site, roughly, for sparing its own hosts. */
function siteOf(host) {
  return String(host).toLowerCase().replace(/^\.+|\.+$/g, '').split('.').slice(-2).join('.');
}

/**
 * withQuietHosts adds host resolver rules that resolve quietHosts() to
 * nothing, ahead of any --host-resolver-rules the args give (the first
 * matching rule wins); hosts of the sites of `hosts` (the connector's) are
 * spared.
 */
function withQuietHosts(args, hosts = [], quiet = quietHosts()) {
  const prefix = '--host-resolver-rules=';
  const sites = hosts.filter(Boolean).map(siteOf);
  const rules = quiet.filter((h) => {
    const base = h.replace(/^\*\./, '');
    return !sites.some((d) => base === d || base.endsWith('.' + d));
  }).map((h) => `MAP ${h} ~NOTFOUND`);
  const rest = [];
  for (const a of args) {
    if (a.startsWith(prefix)) rules.push(a.slice(prefix.length));
    else rest.push(a);
  }
  return [...rest, prefix + rules.join(', ')];
}

module.exports = { TABLE, loadTable, flagsFor, goos, RUNNER_DISABLED_FEATURES, playwrightDisabledFeatures, withDisabledFeatures, quietHosts, withQuietHosts };
