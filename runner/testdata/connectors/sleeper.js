// Test connector: waits until stopped.
(async () => {
  await page.setData('status', 'sleeping');
  await page.sleep(10 * 60 * 1000);
  await page.setData('result', { 'sleeper.never': {} });
})();
