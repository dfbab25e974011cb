import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { SIZES, GENERATOR, iconPath, renderRGBA } from '../tools/make-icons.js';

function decode(png) {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  const out = { idat: [] };
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') out.size = data.readUInt32BE(0);
    if (type === 'tEXt') out.text = data.toString('latin1');
    if (type === 'IDAT') out.idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(out.idat));
  const stride = out.size * 4 + 1;
  out.rgba = Buffer.concat(Array.from({ length: out.size }, (_, y) => raw.subarray(y * stride + 1, (y + 1) * stride)));
  return out;
}

test('icons are current: regenerate with node extension/tools/make-icons.js', () => {
  for (const size of SIZES) {
    const png = decode(readFileSync(iconPath(size)));
    assert.equal(png.size, size);
    assert.equal(png.text, `Software\0${GENERATOR}`);
    assert.ok(png.rgba.equals(renderRGBA(size)), `icons/icon${size}.png is stale`);
  }
});
