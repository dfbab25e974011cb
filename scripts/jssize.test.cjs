'use strict';
// The size checker (jssize.cjs) finds classes and functions by brace
// matching; strings, templates, comments and regular expressions with
// braces in them must not move a unit's end.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { units, check } = require('./jssize.cjs');

test('units: classes, methods, functions and arrows with their lines', () => {
  const src = [
    'class A extends B {', // 1
    '  m(x) {', // 2
    "    const s = '}' + \"{\" + `${x ? `{${x}}` : '}'}`;", // 3
    '    const r = /[}]{2}\\//g;', // 4
    '    // } a comment', // 5
    '    /* { */', // 6
    '    if (x) { return s; }', // 7
    '  }', // 8
    '}', // 9
    'function f(a) {', // 10
    '  return a / 2 / 1;', // 11
    '}', // 12
    'const g = async (x) => {', // 13
    '  return x;', // 14
    '};', // 15
    'const o = { h() { return 1; } };', // 16
  ].join('\n');
  const got = units(src).map((u) => [u.kind, u.name, u.start, u.lines]);
  assert.deepEqual(got, [
    ['class', 'A', 1, 9],
    ['function', 'm', 2, 7],
    ['function', 'f', 10, 3],
    ['function', 'g', 13, 3],
    ['function', 'h', 16, 1],
  ]);
});

test('check: a module or a unit over the bound is a violation naming it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jssize-'));
  try {
    const body = Array.from({ length: 5 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    fs.writeFileSync(path.join(dir, 'a.cjs'), `function big() {\n${body}\n}\n`);
    fs.mkdirSync(path.join(dir, 'test'));
    fs.writeFileSync(path.join(dir, 'test', 'skipped.cjs'), `function big() {\n${body}\n}\n`);
    const { violations } = check([dir], { maxModule: 6, maxUnit: 6 });
    assert.equal(violations.length, 2, violations.join('\n'));
    assert.match(violations[0], /a\.cjs: module of 7 lines \(bound 6\)/);
    assert.match(violations[1], /a\.cjs:1: function big of 7 lines \(bound 6\)/);
    assert.deepEqual(check([dir], { maxModule: 7, maxUnit: 7 }).violations, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
