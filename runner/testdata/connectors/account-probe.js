// Test connector: opens the run's start URL (the site's account page) and
// reports whether it shows someone signed in, and the user agent the page
// saw. Never a cookie value.
(async () => {
  const signedIn = await page.evaluate("!!document.querySelector('#account-name')");
  const userAgent = await page.evaluate('navigator.userAgent');
  if (!signedIn) {
    await page.setData('error', 'Login failed: not signed in');
    return;
  }
  await page.setData('result', { 'account.probe': { signedIn, userAgent } });
})();
