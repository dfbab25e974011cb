'use strict';
// A Chromium profile in use holds a SingletonLock symlink ("<host>-<pid>").
// A run that starts while another process (authbridge's profile writer, a
// second run) holds the profile waits until it is free, bounded.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** lockHolder returns "<host>-<pid>" when a live process holds the profile, else ''. */
function lockHolder(dir) {
  let target;
  try {
    target = fs.readlinkSync(path.join(dir, 'SingletonLock'));
  } catch {
    return '';
  }
  const i = target.lastIndexOf('-');
  const host = target.slice(0, i);
  const pid = Number(target.slice(i + 1));
  if (!Number.isInteger(pid) || pid <= 0) return '';
  if (host && host !== os.hostname()) return target; // another machine: assume live
  try {
    process.kill(pid, 0);
    return target;
  } catch (err) {
    return err.code === 'EPERM' ? target : '';
  }
}

/**
 * waitForProfile resolves with the milliseconds waited (0 when the profile
 * was free) once no live process holds dir; it rejects after timeoutMs or
 * when signal aborts. onWait(holder) is called once when it has to wait.
 */
async function waitForProfile(dir, { timeoutMs = 60000, signal, onWait = () => {}, pollMs = 100 } = {}) {
  let holder = lockHolder(dir);
  if (!holder) return 0;
  onWait(holder);
  const start = Date.now();
  while (holder) {
    if (signal && signal.aborted) throw new Error('stopped while waiting for the profile');
    if (Date.now() - start > timeoutMs) {
      throw new Error(`the browser profile ${dir} is still in use by ${holder} after ${timeoutMs} ms; close the browser using it and run again`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
    holder = lockHolder(dir);
  }
  return Date.now() - start || 1;
}

module.exports = { lockHolder, waitForProfile };
