// Type declarations of the ES module entry point: the same names as the
// CommonJS one, and the whole module as the default export.
import * as cjs from './index.js';

export * from './index.js';
export default cjs;
