// Test connector: reports the names of the cookies its page sees (never
// their values).
(async () => {
  const names = await page.evaluate("document.cookie.split(';').map((c) => c.trim().split('=')[0]).filter(Boolean)");
  if (new URL(await page.url()).searchParams.get('hold') === '1') {
    await page.setData('status', 'holding the profile');
    await page.sleep(10 * 60 * 1000);
  }
  await page.setData('result', { 'probe.cookies': { names } });
})();
