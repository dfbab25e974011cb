// Test connector: opens the run's start URL (the site's account page);
// signed out, it asks for a sign-in as real connectors do (showBrowser: the
// runner repairs from the user's browser first) and looks again. Reports
// whether it ended signed in. Never a cookie value.
(async () => {
  const account = new URL('/account', await page.url()).href;
  // The name may be drawn by the page's own script after it loads.
  const signedIn = async () => {
    try {
      await page.waitForSelector('#account-name', { timeout: 5000 });
      return true;
    } catch {
      return false;
    }
  };
  let ok = await signedIn();
  if (!ok) {
    await page.showBrowser(account);
    await page.goto(account);
    ok = await signedIn();
  }
  if (!ok) {
    await page.setData('error', 'Login failed: not signed in');
    return;
  }
  await page.setData('result', { 'account.escalate': { signedIn: ok } });
})();
