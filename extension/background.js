// authbridge background: the service worker in Chromium browsers, the
// background script in Firefox (manifest.json names the same file for both).
// Everything lives in lib/worker.js, which takes the extension namespace as a
// parameter so node --test can run it against a fake.
import { startWorker } from './lib/worker.js';
import { pickNamespace } from './lib/browsercompat.js';

startWorker({ chrome: pickNamespace(globalThis) });
