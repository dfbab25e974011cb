'use strict';
// Bounded line reading: a line longer than the cap is never held whole. Its
// bytes are dropped as they come, and onTooLong is told once its end is
// seen, so that one endless line can neither fill memory nor hide the lines
// after it.

/** MAX_LINE is the default cap of one input line, in bytes (1 MiB). */
const MAX_LINE = 1024 * 1024;

/**
 * readLines reads stream and calls onLine(text) for each line of at most
 * max bytes (without its newline; a trailing \r is dropped) and
 * onTooLong(bytes) for each longer one; onEnd() once the stream ends.
 */
function readLines(stream, { max = MAX_LINE, onLine, onTooLong, onEnd }) {
  let parts = [];
  let size = 0;
  let dropping = false;
  let dropped = 0;
  const take = (buf) => {
    if (dropping) {
      dropped += buf.length;
      return;
    }
    if (size + buf.length > max) {
      dropping = true;
      dropped = size + buf.length;
      parts = [];
      size = 0;
      return;
    }
    parts.push(buf);
    size += buf.length;
  };
  const end = () => {
    if (dropping) {
      onTooLong(dropped);
    } else {
      let text = Buffer.concat(parts, size).toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      onLine(text);
    }
    parts = [];
    size = 0;
    dropping = false;
    dropped = 0;
  };
  stream.on('data', (chunk) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        if (start < chunk.length) take(chunk.subarray(start));
        return;
      }
      take(chunk.subarray(start, nl));
      end();
      start = nl + 1;
    }
  });
  stream.on('end', () => {
    if (size > 0 || dropping) end();
    if (onEnd) onEnd();
  });
}

/** writeAll writes the whole of text to fd, waiting out a full pipe. */
function writeAll(fd, text) {
  let buf = Buffer.from(text, 'utf8');
  while (buf.length > 0) {
    try {
      buf = buf.subarray(require('node:fs').writeSync(fd, buf));
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

module.exports = { readLines, writeAll, MAX_LINE };
