// Test connector: finds itself signed out and asks for a headed browser, as
// real connectors do.
(async () => {
  const { headed } = await page.showBrowser(await page.url());
  if (!headed) {
    await page.setData('error', 'Login failed: not signed in');
    return;
  }
  await page.setData('result', { 'escalate.done': { headed } });
})();
