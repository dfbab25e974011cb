'use strict';
// Network capture and the Node-side fetch (capture.cjs), without a browser.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');

const { Captures, patternTest, httpFetch } = require('../lib/capture.cjs');

/** response is a Playwright response's surface the capture reads. */
function response(url, body) {
  return { url: () => url, text: async () => { if (body instanceof Error) throw body; return body; } };
}

test('patternTest: empty, substring, regular expression, invalid expression', () => {
  const cases = [
    ['', 'anything', true],
    ['/api/', 'https://x.test/api/me', true],
    ['api/v\\d+/me$', 'https://x.test/api/v2/me', true],
    ['api/v\\d+/me$', 'https://x.test/api/v2/me?x', false],
    ['(', 'https://x.test/(', true], // a substring before the expression
    ['(', 'https://x.test/', false], // not an expression: no match, no throw
  ];
  for (const [p, text, want] of cases) assert.equal(patternTest(p, text), want, `${p} on ${text}`);
});

test('Captures: the matching response is kept parsed; others, bodiless ones and after the end are not', async () => {
  const hits = [];
  let ended = false;
  const c = new Captures({ onHit: (key, url) => hits.push([key, url]), ended: () => ended });
  assert.throws(() => c.add({}), /captureNetwork: key is required/);
  c.add({ key: 'me', urlPattern: '/api/me', bodyPattern: 'name' });
  c.add({ key: 'text', urlPattern: '/plain' });
  await c.onResponse(response('https://x.test/other', '{"name":"a"}'));
  await c.onResponse(response('https://x.test/api/me', '{"id":1}')); // body does not match
  await c.onResponse(response('https://x.test/api/me', new Error('no body')));
  assert.equal(c.get('me'), null);
  assert.equal(c.has('me'), false);
  await c.onResponse(response('https://x.test/api/me', '{"name":"a"}'));
  await c.onResponse(response('https://x.test/plain', 'hello'));
  assert.deepEqual(c.get('me').data, { name: 'a' });
  assert.equal(c.get('me').url, 'https://x.test/api/me');
  assert.equal(c.get('text').data, 'hello');
  assert.deepEqual(hits, [['me', 'https://x.test/api/me'], ['text', 'https://x.test/plain']]);
  ended = true;
  c.add({ key: 'late' });
  await c.onResponse(response('https://x.test/late', 'x'));
  assert.equal(c.has('late'), false);
  c.clear();
  assert.equal(c.get('me'), null);
});

test('httpFetch: the jar\'s cookies for the URL, the caller\'s own Cookie header wins, JSON parsed, failures answered', async (t) => {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.cookie || '');
    res.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' });
    res.end('{"ok":true}');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const url = `http://127.0.0.1:${server.address().port}/data`;
  const jar = [
    { name: 'sid', value: 'v1', domain: '127.0.0.1', path: '/', expires: -1, secure: false },
    { name: 'other', value: 'v2', domain: 'elsewhere.test', path: '/', expires: -1, secure: false },
  ];
  const r = await httpFetch(jar, url);
  assert.equal(r.ok, true);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { ok: true });
  assert.equal(r.headers['x-test'], 'yes');
  await httpFetch(jar, url, { headers: { Cookie: 'mine=1' } });
  assert.deepEqual(seen, ['sid=v1', 'mine=1']);
  const aborted = new AbortController();
  aborted.abort();
  const f = await httpFetch(jar, url, {}, aborted.signal);
  assert.equal(f.ok, false);
  assert.equal(f.status, 0);
  assert.ok(f.error);
});
