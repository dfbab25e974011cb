// authbridge-client: the ES module entry point, the same classes as the
// CommonJS one (so instanceof holds across both).
import cjs from './index.js';

export const { Client, AuthbridgeError, ClientCodes, DEFAULTS, resolvePaths } = cjs;
export default cjs;
