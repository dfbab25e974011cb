#!/usr/bin/env node
'use strict';
// jssize reports the JavaScript modules, classes and functions of the
// runner, the extension and the Node client that are over the project's
// bounds (a module over 450 lines, a class or function over 200), and exits
// 1 when there is one. Units are found by brace matching over a small
// tokenizer that skips comments, strings, template literals and regular
// expressions; a unit's lines run from its head (the `class`, `function` or
// name token) to its closing brace.
//
//   node scripts/jssize.cjs [--all] [--max-module N] [--max-unit N] [PATH...]
//
// PATHs default to runner, extension and clients/node (from the repo root);
// folders named node_modules, test, testkit and testdata are skipped. --all
// lists every unit of 50 lines or more, not only the ones over a bound.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DEFAULT_PATHS = ['runner', 'extension', 'clients/node'];
const SKIP_DIRS = new Set(['node_modules', 'test', 'testkit', 'testdata', '.git']);
const EXTS = new Set(['.js', '.cjs', '.mjs']);
const NOT_FUNCTIONS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'typeof', 'await', 'yield', 'in', 'of', 'new', 'delete', 'void']);
// After one of these tokens a slash starts a regular expression, not a division.
const REGEX_AFTER_WORDS = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);

/**
 * tokenize returns the significant tokens of JavaScript source as
 * {t, line}: identifiers, numbers and punctuation; comments, strings,
 * template text and regular expressions become one placeholder token ('str',
 * 'regex') and template substitutions are tokenized as code.
 */
function tokenize(src) {
  const out = [];
  let i = 0;
  let line = 1;
  const braceKinds = []; // '{' for a block, '${' for a template substitution
  const push = (t, l = line) => out.push({ t, line: l });
  const prevSignificant = () => (out.length ? out[out.length - 1].t : '');
  const regexAllowed = () => {
    const p = prevSignificant();
    if (p === '') return true;
    if (p === ')' || p === ']' || p === '}' || p === 'str' || p === 'regex') return false;
    if (/^[A-Za-z_$][\w$]*$/.test(p)) return REGEX_AFTER_WORDS.has(p);
    if (/^[0-9]/.test(p)) return false;
    return true;
  };
  // template scans a template literal's text from i (after ` or }) to its
  // end or to a substitution.
  const template = () => {
    const start = line;
    while (i < src.length) {
      const c = src[i];
      if (c === '\\') { i += 2; continue; }
      if (c === '\n') line++;
      if (c === '`') { i++; push('str', start); return; }
      if (c === '$' && src[i + 1] === '{') { i += 2; push('str', start); braceKinds.push('${'); return; }
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = line;
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1;
      i++;
      push('str', start);
      continue;
    }
    if (c === '`') { i++; template(); continue; }
    if (c === '/' && regexAllowed()) {
      const start = line;
      let inClass = false;
      i++;
      while (i < src.length && src[i] !== '\n') {
        const d = src[i];
        if (d === '\\') { i += 2; continue; }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < src.length && /[a-z]/i.test(src[i])) i++;
      push('regex', start);
      continue;
    }
    if (/[A-Za-z_$0-9]/.test(c)) {
      let j = i;
      while (j < src.length && /[\w$.]/.test(src[j]) && !(src[j] === '.' && !/[0-9]/.test(c))) j++;
      push(src.slice(i, j));
      i = j;
      continue;
    }
    if (c === '=' && src[i + 1] === '>') { push('=>'); i += 2; continue; }
    if (c === '{') { braceKinds.push('{'); push('{'); i++; continue; }
    if (c === '}') {
      const kind = braceKinds.pop();
      i++;
      if (kind === '${') { template(); continue; }
      push('}');
      continue;
    }
    push(c);
    i++;
  }
  return out;
}

/**
 * units finds the classes and functions of source text: [{kind, name,
 * start, end, lines}] with 1-based lines.
 */
function units(src) {
  const toks = tokenize(src);
  const found = [];
  const parenOpen = []; // indexes of open '('
  const matchOf = new Map(); // index of ')' -> index of its '('
  const stack = []; // {unit or null} per open '{'
  let pendingClass = null; // index of a `class` token whose body is next
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k].t;
    if (t === '(') parenOpen.push(k);
    else if (t === ')') matchOf.set(k, parenOpen.pop());
    else if (t === 'class' && (k === 0 || toks[k - 1].t !== '.')) pendingClass = k;
    else if (t === '{') {
      let unit = null;
      const prev = k > 0 ? toks[k - 1].t : '';
      if (pendingClass !== null) {
        const name = toks[pendingClass + 1] && /^[A-Za-z_$]/.test(toks[pendingClass + 1].t) && toks[pendingClass + 1].t !== 'extends' ? toks[pendingClass + 1].t : '(anonymous class)';
        unit = { kind: 'class', name, start: toks[pendingClass].line };
        pendingClass = null;
      } else if (prev === '=>') {
        unit = { kind: 'function', name: arrowName(toks, k - 1, matchOf), start: toks[k - 1].line };
      } else if (prev === ')') {
        const open = matchOf.get(k - 1);
        const before = open > 0 ? toks[open - 1].t : '';
        if (!NOT_FUNCTIONS.has(before)) {
          let name = /^[A-Za-z_$][\w$]*$/.test(before) ? before : '(anonymous)';
          let headAt = open > 0 ? open - 1 : open;
          if (before === 'function' || (open > 1 && toks[open - 2].t === 'function')) {
            name = before === 'function' ? '(anonymous function)' : before;
            headAt = before === 'function' ? open - 1 : open - 2;
          }
          unit = { kind: 'function', name, start: toks[headAt].line };
        }
      }
      stack.push(unit);
    } else if (t === '}') {
      const unit = stack.pop();
      if (unit) {
        unit.end = toks[k].line;
        unit.lines = unit.end - unit.start + 1;
        found.push(unit);
      }
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** arrowName names an arrow function from what is assigned to (`const x = (...) =>`, `x: () =>`). */
function arrowName(toks, arrowAt, matchOf) {
  let k = arrowAt - 1;
  if (toks[k] && toks[k].t === ')') k = matchOf.get(k) - 1;
  else k -= 1; // a single parameter without parentheses
  if (toks[k] && toks[k].t === 'async') k--;
  if (toks[k] && (toks[k].t === '=' || toks[k].t === ':') && toks[k - 1] && /^[A-Za-z_$][\w$]*$/.test(toks[k - 1].t)) return toks[k - 1].t;
  return '(arrow)';
}

/** files lists the JavaScript files under the paths, skipping SKIP_DIRS. */
function files(paths) {
  const out = [];
  const walk = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (SKIP_DIRS.has(path.basename(p))) return;
      for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    } else if (EXTS.has(path.extname(p))) {
      out.push(p);
    }
  };
  for (const p of paths) walk(path.isAbsolute(p) ? p : path.join(ROOT, p));
  return out;
}

/** check measures the files: {violations, report} for the bounds given. */
function check(paths, { maxModule = 450, maxUnit = 200, all = false } = {}) {
  const violations = [];
  const report = [];
  for (const f of files(paths)) {
    const src = fs.readFileSync(f, 'utf8');
    const rel = path.relative(ROOT, f);
    const lines = src.split('\n').length - (src.endsWith('\n') ? 1 : 0);
    if (lines > maxModule) violations.push(`${rel}: module of ${lines} lines (bound ${maxModule})`);
    else if (all) report.push(`${rel}: module of ${lines} lines`);
    for (const u of units(src)) {
      const where = `${rel}:${u.start}: ${u.kind} ${u.name} of ${u.lines} lines`;
      if (u.lines > maxUnit) violations.push(`${where} (bound ${maxUnit})`);
      else if (all && u.lines >= 50) report.push(where);
    }
  }
  return { violations, report };
}

function main(argv) {
  const opts = { all: false, maxModule: 450, maxUnit: 200 };
  const paths = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--all') opts.all = true;
    else if (a === '--max-module') opts.maxModule = Number(argv[++k]);
    else if (a === '--max-unit') opts.maxUnit = Number(argv[++k]);
    else if (a.startsWith('-')) {
      process.stderr.write(`jssize: unknown flag ${a}\n`);
      return 2;
    } else paths.push(a);
  }
  if (!Number.isInteger(opts.maxModule) || !Number.isInteger(opts.maxUnit) || opts.maxModule <= 0 || opts.maxUnit <= 0) {
    process.stderr.write('jssize: --max-module and --max-unit take a positive whole number of lines\n');
    return 2;
  }
  const { violations, report } = check(paths.length ? paths : DEFAULT_PATHS, opts);
  for (const r of report) process.stdout.write(r + '\n');
  for (const v of violations) process.stdout.write('over: ' + v + '\n');
  if (violations.length) return 1;
  process.stdout.write(`jssize: no module over ${opts.maxModule} lines, no class or function over ${opts.maxUnit}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { tokenize, units, check };
