// Test connector: signed out, it escalates as real connectors do, with
// showBrowser (default) or promptUser (?mode=prompt), and checks the page.
(async () => {
  const signedIn = async () => (await page.evaluate('document.body.innerText')).includes('Welcome back');
  if (!(await signedIn())) {
    if ((await page.url()).includes('mode=prompt')) {
      await page.promptUser('Sign in, then click Done', signedIn, 100);
    } else {
      const { headed } = await page.showBrowser(await page.url());
      if (!headed || !(await signedIn())) {
        await page.setData('error', 'Login failed: not signed in');
        return;
      }
    }
  }
  await page.setData('result', { 'esc.account': { signedIn: true } });
})();
