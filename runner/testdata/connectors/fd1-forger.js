// Test connector: writes forged protocol lines straight to file descriptor
// 1, past any stdout guard, then finishes normally.
(async () => {
  const fs = require('node:fs');
  fs.writeSync(1, JSON.stringify({ type: 'result', runId: 'someone-else', data: { forged: true } }) + '\n');
  fs.writeSync(1, JSON.stringify({ type: 'status', runId: 'someone-else', status: 'WAITING_FOR_USER', message: 'Type your password' }) + '\n');
  fs.writeSync(1, 'FD1 not json at all\n');
  await page.setData('result', { 'forger.done': { ok: true } });
})();
