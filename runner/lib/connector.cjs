'use strict';
// Which connector a script is, and where its browser profile lives, as the
// data-export app decides it.

const os = require('node:os');
const path = require('node:path');

const { readRegularFile } = require('./script.cjs');

/** baseName is the script's file name without its extension. */
function baseName(scriptPath) {
  return path.basename(scriptPath).replace(/\.[cm]?js$/i, '');
}

/**
 * resolveConnector returns {id, baseName, manifestPath?, manifest?} for a
 * script: the connector_id of the manifest beside it (same base name,
 * .json), else the script's base name.
 */
function resolveConnector(scriptPath) {
  const base = baseName(scriptPath);
  const manifestPath = path.join(path.dirname(scriptPath), base + '.json');
  let manifest = null;
  try {
    manifest = JSON.parse(readRegularFile(manifestPath, 'manifest'));
  } catch (err) {
    if (err.code !== 'ENOENT') {
      throw new Error(`manifest ${manifestPath}: ${err.message}`);
    }
  }
  const id = manifest && typeof manifest.connector_id === 'string' && manifest.connector_id.trim()
    ? manifest.connector_id.trim()
    : base;
  return { id, baseName: base, manifestPath: manifest ? manifestPath : null, manifest };
}

/** profilesDir is AUTHBRIDGE_PROFILES_DIR, else the app's ~/.dataconnect/browser-profiles. */
function profilesDir(env = process.env) {
  return env.AUTHBRIDGE_PROFILES_DIR || path.join(os.homedir(), '.dataconnect', 'browser-profiles');
}

/** profileDir is the connector's persistent profile folder. */
function profileDir(scriptPath, env = process.env) {
  return path.join(profilesDir(env), baseName(scriptPath));
}

module.exports = { baseName, resolveConnector, profilesDir, profileDir };
