'use strict';
// The server-sent event parser of cookieStream, without an agent.
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseEvent, events } = require('../lib/stream');

test('parseEvent reads the event name and joins data lines', () => {
  assert.deepEqual(parseEvent('event: cookies\ndata: {"a":\ndata: 1}'), { event: 'cookies', data: '{"a":\n1}' });
  assert.deepEqual(parseEvent('data:x'), { event: 'message', data: 'x' });
  assert.deepEqual(parseEvent(': keep-alive'), { event: 'message', data: null });
  assert.deepEqual(parseEvent('event: error\nid: 3\ndata'), { event: 'error', data: '' });
});

test('events splits blocks across chunks and bounds one event', async () => {
  async function* chunks(...cs) { yield* cs; }
  const got = [];
  for await (const e of events(chunks('event: cookies\nda', 'ta: 1\n\n: ping\n\ndata: 2\n', '\n'))) got.push(e);
  assert.deepEqual(got, [{ event: 'cookies', data: '1' }, { event: 'message', data: '2' }]);
  await assert.rejects(async () => {
    for await (const e of events(chunks('data: ', 'x'.repeat(20), 'y'.repeat(20)), 32)) got.push(e);
  }, /more than 32 characters/);
});
