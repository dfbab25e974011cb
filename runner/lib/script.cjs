'use strict';
// Reading a connector's files: only regular files, opened without
// blocking, so that a FIFO or a device named as a connector script is
// refused by name instead of blocking the runner, and bounded in size.

const fs = require('node:fs');

/** MAX_SCRIPT is the largest connector script or manifest read, in bytes. */
const MAX_SCRIPT = 16 * 1024 * 1024;

/**
 * readRegularFile reads path as UTF-8 when it is a regular file of at most
 * max bytes; otherwise it throws an error naming what (e.g. "connectorPath")
 * and why. An error of the open itself (ENOENT...) keeps its code.
 */
function readRegularFile(path, what, max = MAX_SCRIPT) {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK || 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : 'a device or special file';
      throw new Error(`${what} ${path} is not a regular file (it is ${kind})`);
    }
    if (st.size > max) throw new Error(`${what} ${path} is ${st.size} bytes, more than the ${max} allowed`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = fs.readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = { readRegularFile, MAX_SCRIPT };
