// authbridge service worker: everything lives in lib/worker.js, which takes
// `chrome` as a parameter so node --test can run it against a fake.
import { startWorker } from './lib/worker.js';

startWorker({ chrome });
