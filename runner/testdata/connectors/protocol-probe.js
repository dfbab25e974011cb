// Test connector: uses the page API methods the conformance fixture only
// checks for presence or skips, and writes to stdout as careless scripts do.
(async () => {
  console.log('console.log from a connector script');
  process.stdout.write('a raw write to stdout\n');
  const checks = {};
  await page.fill('#q', 'hello');
  await page.press('#q', 'Enter');
  await page.waitForSelector('#done', { timeout: 5000 });
  checks.pressed = await page.evaluate('document.querySelector("#done").textContent');
  await page.captureNetwork({ key: 'api', urlPattern: '/api/data', bodyPattern: 'answer' });
  await page.evaluate("fetch('/api/data').then((r) => r.json())");
  await page.waitForSelector('#q', { state: 'attached' });
  for (let i = 0; i < 200 && !page.hasCapturedResponse('api'); i++) await page.sleep(25);
  checks.captured = await page.getCapturedResponse('api');
  checks.screenshotBytes = (await page.screenshot()).length;
  checks.input = await page.requestInput({ message: 'Pick a colour', schema: { type: 'object', properties: { colour: { type: 'string' } } } });
  checks.url = await page.url();
  await page.closeBrowser();
  const f = await page.httpFetch(checks.url.replace(/\/[^/]*$/, '/api/cookie-names'));
  checks.fetch = { ok: f.ok, status: f.status, json: f.json };
  await page.clearNetworkCaptures();
  checks.clearedCapture = page.hasCapturedResponse('api');
  await page.setData('result', { 'probe.checks': checks });
})();
