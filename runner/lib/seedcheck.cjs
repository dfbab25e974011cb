'use strict';
// What a profile seed may hold, checked without SQLite: a database whose
// tables are all empty (Chromium's "meta" table of versions excepted), read
// from the file's own b-tree pages. A database Chromium fills on creation
// (Web Data's default search engines) is left out of the seed. A planted cookie, history or login row
// makes a table's root page hold cells, and the file is refused.

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** varint reads SQLite's big-endian variable-length integer at off: [value, length]. */
function varint(buf, off) {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const b = buf[off + i];
    if (b === undefined) throw new Error('truncated');
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) return [v, i + 1];
  }
  const b = buf[off + 8];
  if (b === undefined) throw new Error('truncated');
  return [v * 256 + b, 9];
}

/** pageAt is the offset of page n's b-tree header (page 1's follows the file header). */
function pageAt(n, size) {
  return (n - 1) * size + (n === 1 ? 100 : 0);
}

/** schemaRows reads the records of sqlite_master (page 1's table b-tree) as [type, name, tbl_name, rootpage]. */
function schemaRows(buf, size, usable) {
  const rows = [];
  const walk = (n, depth) => {
    if (depth > 8 || n < 1 || n * size > buf.length) throw new Error('bad page');
    const h = pageAt(n, size);
    const type = buf[h];
    const cells = buf.readUInt16BE(h + 3);
    const hdr = type === 0x05 ? 12 : 8;
    for (let i = 0; i < cells; i++) {
      const cell = buf.readUInt16BE(h + hdr + 2 * i) + (n - 1) * size;
      if (type === 0x05) {
        walk(buf.readUInt32BE(cell), depth + 1);
        continue;
      }
      if (type !== 0x0d) throw new Error('not a table page');
      const [payload, a] = varint(buf, cell);
      const [, b] = varint(buf, cell + a);
      const start = cell + a + b;
      const max = usable - 35;
      let local = payload;
      if (payload > max) {
        const m = Math.floor(((usable - 12) * 32) / 255) - 23;
        const k = m + ((payload - m) % (usable - 4));
        local = k <= max ? k : m;
      }
      rows.push(record(buf.subarray(start, start + local)));
    }
    if (type === 0x05) walk(buf.readUInt32BE(h + 8), depth + 1);
  };
  walk(1, 0);
  return rows;
}

/** record decodes the first four columns of a record (enough of sqlite_master's). */
function record(rec) {
  const [hsize, a] = varint(rec, 0);
  const types = [];
  for (let off = a; off < hsize && types.length < 4;) {
    const [t, n] = varint(rec, off);
    types.push(t);
    off += n;
  }
  const out = [];
  let off = hsize;
  for (const t of types) {
    if (t === 0) out.push(null);
    else if (t >= 1 && t <= 6) {
      const len = [0, 1, 2, 3, 4, 6, 8][t];
      let v = 0;
      for (let i = 0; i < len; i++) v = v * 256 + rec[off + i];
      out.push(v);
      off += len;
    } else if (t === 8 || t === 9) out.push(t - 8);
    else if (t >= 13 && t % 2 === 1) {
      const len = (t - 13) / 2;
      out.push(rec.subarray(off, off + len).toString('utf8'));
      off += len;
    } else if (t >= 12) {
      off += (t - 12) / 2;
      out.push(null);
    } else throw new Error('bad record');
  }
  return out;
}

/**
 * emptyDatabase: buf is a SQLite database every table of which is empty
 * (its root page a leaf with no cells), a "meta" table excepted.
 */
function emptyDatabase(buf) {
  try {
    if (buf.length < 512 || !buf.subarray(0, 16).equals(SQLITE_MAGIC)) return false;
    let size = buf.readUInt16BE(16);
    if (size === 1) size = 65536;
    if (size < 512 || (size & (size - 1)) !== 0) return false;
    const usable = size - buf[20];
    for (const [type, name, , root] of schemaRows(buf, size, usable)) {
      if (type !== 'table' || name === 'meta' || !root) continue;
      if (typeof root !== 'number' || root * size > buf.length) return false;
      const h = pageAt(root, size);
      // A leaf of a rowid table (0x0d) or of a WITHOUT ROWID one (0x0a).
      if ((buf[h] !== 0x0d && buf[h] !== 0x0a) || buf.readUInt16BE(h + 3) !== 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

module.exports = { emptyDatabase };
