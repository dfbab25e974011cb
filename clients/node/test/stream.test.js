'use strict';
// The server-sent event parser of cookieStream, without an agent.
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseEvent } = require('../lib/stream');

test('parseEvent reads the event name and joins data lines', () => {
  assert.deepEqual(parseEvent('event: cookies\ndata: {"a":\ndata: 1}'), { event: 'cookies', data: '{"a":\n1}' });
  assert.deepEqual(parseEvent('data:x'), { event: 'message', data: 'x' });
  assert.deepEqual(parseEvent(': keep-alive'), { event: 'message', data: null });
  assert.deepEqual(parseEvent('event: error\nid: 3\ndata'), { event: 'error', data: '' });
});
