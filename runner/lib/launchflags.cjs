'use strict';
// The one table of browser and key-store flags per OS and kind of profile,
// shared with authbridge's profile writer (host/chromeprofile/launchflags.json),
// so that what a repair writes into a profile is what a run reads from it.

const fs = require('node:fs');
const path = require('node:path');

const TABLE = path.join(__dirname, '..', '..', 'host', 'chromeprofile', 'launchflags.json');

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

module.exports = { TABLE, loadTable, flagsFor, goos };
