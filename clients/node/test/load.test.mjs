// import 'authbridge-client' through the package's own "exports".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Client, AuthbridgeError, ClientCodes } from 'authbridge-client';
import whole from 'authbridge-client';

test('import loads the ES module entry point, named and default', () => {
  assert.equal(typeof Client, 'function');
  assert.equal(whole.Client, Client);
  assert.ok(new AuthbridgeError('x') instanceof Error);
  assert.equal(ClientCodes.AGENT_UNREACHABLE, 'agent_unreachable');
});

test('the ES module and CommonJS entry points share their classes', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('authbridge-client');
  assert.equal(cjs.Client, Client);
  assert.equal(cjs.AuthbridgeError, AuthbridgeError);
  // So an error from one is an instance for the other.
  assert.ok(new cjs.AuthbridgeError('x') instanceof AuthbridgeError);
});

test('a Client makes no connection until it is called', () => {
  const c = new Client({ socket: '/nonexistent/authbridge/api.sock', autoStart: false });
  assert.equal(c.socket, '/nonexistent/authbridge/api.sock');
  c.close();
});
