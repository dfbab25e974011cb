'use strict';
// authbridge-client: the CommonJS entry point. index.mjs re-exports it for
// `import`.
const { Client, DEFAULTS } = require('./lib/client');
const { AuthbridgeError, ClientCodes } = require('./lib/errors');
const { resolvePaths } = require('./lib/paths');

module.exports = { Client, AuthbridgeError, ClientCodes, DEFAULTS, resolvePaths };
