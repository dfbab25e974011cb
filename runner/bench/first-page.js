// Bench connector: signals the first authenticated page of the demo site
// (the run's url is its /account page), then ends.
(async () => {
  await page.waitForSelector('#account-name', { timeout: 15000 });
  await page.setData('authenticated', await page.url());
  await page.setData('result', { 'demo.account': { signedIn: true } });
})();
