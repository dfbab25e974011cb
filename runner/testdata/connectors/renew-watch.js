// Test connector for the renewing site: stays on it for `ms` milliseconds
// (the start URL's query), asking /whoami from the page every 200 ms, and
// reports each change of the signed-in name with the time it was seen, and
// how many checks found nobody signed in. Never a cookie value.
(async () => {
  const ms = Number(new URL(await page.url()).searchParams.get('ms') || 60000);
  const seen = [];
  let last = null;
  let failures = 0;
  let checks = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const who = await page.evaluate("fetch('/whoami', { credentials: 'include', cache: 'no-store' }).then((r) => (r.ok ? r.text() : ''))");
    checks++;
    if (!who) failures++;
    if (who !== last) {
      seen.push({ who, at: Date.now() });
      last = who;
    }
    await page.sleep(200);
  }
  await page.setData('result', { 'renew.watch': { seen, failures, checks } });
})();
