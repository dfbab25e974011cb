'use strict';
// The page API's calls that need no browser (pageapi.cjs); the browser
// calls run in the conformance, corpus and escalation tests.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { makePageAPI, answerInput, pick } = require('../lib/pageapi.cjs');
const { Captures } = require('../lib/capture.cjs');
const { RunEnded } = require('../lib/runended.cjs');

function fakeRun() {
  const sent = [];
  const run = {
    ended: false, endWhy: '', abort: new AbortController(), data: {}, sent, pendingInputs: new Map(),
    captures: new Captures({ onHit: () => {} }), browser: null,
    send: (m) => sent.push(m),
    status: (s, extra) => sent.push({ type: 'status', status: s, ...extra }),
    log: () => {},
    checkOpen() { if (run.ended) throw new RunEnded(run.endWhy); },
    async livePage() { run.checkOpen(); throw new Error('the browser is closed'); },
    escalate: async () => 'unavailable',
  };
  return run;
}

test('page API: the calls of version 1 are all there', () => {
  const names = ['goto', 'url', 'evaluate', 'click', 'fill', 'press', 'waitForSelector', 'sleep', 'setData', 'setProgress',
    'showBrowser', 'goHeadless', 'promptUser', 'requestInput', 'captureNetwork', 'getCapturedResponse', 'hasCapturedResponse',
    'clearNetworkCaptures', 'closeBrowser', 'httpFetch', 'screenshot'];
  assert.deepEqual(Object.keys(makePageAPI(fakeRun())).sort(), [...names].sort());
});

test('page API: setData and setProgress report to the app; calls after the end throw RunEnded', async () => {
  const run = fakeRun();
  const page = makePageAPI(run);
  await page.setData('result', { a: 1 });
  await page.setProgress({ message: 'm', phase: 'p', count: 3, extra: 'dropped' });
  assert.deepEqual(run.data, { result: { a: 1 } });
  assert.deepEqual(run.sent, [
    { type: 'data', key: 'result', value: { a: 1 } },
    { type: 'status', status: { type: 'COLLECTING', message: 'm', phase: 'p', count: 3 } },
  ]);
  run.ended = true;
  run.endWhy = 'cancelled';
  await assert.rejects(page.setData('x', 1), RunEnded);
  await assert.rejects(page.captureNetwork({ key: 'k' }), RunEnded);
});

test('page API: sleep ends with RunEnded when the run is stopped', async () => {
  const run = fakeRun();
  const page = makePageAPI(run);
  const slept = page.sleep(60000);
  run.endWhy = 'cancelled';
  run.abort.abort();
  await assert.rejects(slept, (err) => err instanceof RunEnded && /cancelled/.test(err.message));
});

test('page API: requestInput waits for the driver\'s answer (answerInput)', async () => {
  const run = fakeRun();
  const page = makePageAPI(run);
  const asked = page.requestInput({ message: 'Pick a year' });
  const req = run.sent.find((m) => m.type === 'request-input');
  assert.ok(req, JSON.stringify(run.sent));
  assert.equal(answerInput(run.pendingInputs, 'nobody', {}, null), false);
  assert.equal(answerInput(run.pendingInputs, req.requestId, { year: 2024 }, null), true);
  assert.deepEqual(await asked, { year: 2024 });
  const refused = page.requestInput({ message: 'Pick again' });
  const req2 = run.sent.filter((m) => m.type === 'request-input')[1];
  answerInput(run.pendingInputs, req2.requestId, null, { why: 'no' });
  await assert.rejects(refused, /"why":"no"/);
  assert.equal(run.sent.at(-1).status, 'RUNNING');
});

test('page API: captures through the run\'s Captures; pick keeps set keys', async () => {
  const run = fakeRun();
  const page = makePageAPI(run);
  await page.captureNetwork({ key: 'k', urlPattern: '/x' });
  assert.equal(page.hasCapturedResponse('k'), false);
  assert.equal(await page.getCapturedResponse('k'), null);
  await run.captures.onResponse({ url: () => 'https://a.test/x', text: async () => '[1]' });
  assert.deepEqual((await page.getCapturedResponse('k')).data, [1]);
  await page.clearNetworkCaptures();
  assert.equal(page.hasCapturedResponse('k'), false);
  assert.deepEqual(pick({ a: 1, b: undefined, c: 0 }, ['a', 'b', 'c', 'd']), { a: 1, c: 0 });
});
