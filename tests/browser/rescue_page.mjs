// The rescue page as a person on a phone uses it: headless Chromium (Debian's) driven by
// Playwright. Opens the page at a phone viewport, checks that hostile names from the
// system are shown as text (no element, no script), logs in, presses E-STOP, sees the
// motors stop, and saves a screenshot. Exit 0 on success, 1 on a failed check, 77 when
// playwright-core is not installed (ctest/gtest report that as skipped).
//   node rescue_page.mjs URL PASSWORD SCREENSHOT HOSTILE_TEXT SOURCE_DIR
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [url, password, screenshot, hostile, sourceDir] = process.argv.slice(2);
const require = createRequire(path.join(sourceDir, '.cache/playwright/package.json'));
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch {
  console.error('playwright-core is not installed (./dev installs it into .cache/playwright)');
  process.exit(77);
}

function check(condition, what) {
  if (!condition) throw new Error('check failed: ' + what);
  console.log('ok: ' + what);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-chromium-'));
// A fresh profile directory (Playwright passes it as --user-data-dir).
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
});
let failed = false;
try {
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  const violations = [];
  page.on('console', (message) => {
    if (message.type() === 'error') violations.push(message.text());
  });

  await page.goto(url);
  check(await page.locator('#state').isVisible(), 'the state is shown');
  const body = await page.locator('body').innerText();
  check(body.includes(hostile), 'the hostile unit text is shown as text');
  check(await page.locator('img').count() === 0, 'no element was made from the hostile text');
  const estop = page.locator('#btn-estop');
  const box = await estop.boundingBox();
  check(box && box.height >= 44 && box.width >= 120, 'the e-stop is a large touch target');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 390, 'no sideways scrolling at a phone width (' + width + ' px)');

  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#btn-login')]);
  check((await page.locator('body').innerText()).includes('Signed in'), 'logged in');
  check((await page.locator('#motors').innerText()).startsWith('armed'), 'motors armed before');

  await Promise.all([page.waitForNavigation(), page.click('#btn-estop')]);
  check((await page.locator('#notice').innerText()).includes('motors stopped'), 'e-stop result');
  check((await page.locator('#motors').innerText()).startsWith('stopped (estop'),
        'the motor state changed to stopped');
  await page.screenshot({ path: screenshot, fullPage: true });
  check(fs.statSync(screenshot).size > 1000, 'screenshot saved to ' + screenshot);
  check(dialogs.length === 0, 'no script ran from the page content (dialogs: ' + dialogs + ')');
  check(violations.filter((v) => v.includes('Content Security Policy')).length === 0,
        'the page itself needs nothing the CSP forbids');
} catch (error) {
  console.error(error.message);
  failed = true;
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
