// Drives the web console in Debian's Chromium, as a user would: create a playlist task, watch it
// run, edit its playlist, read its events, take a screenshot, delete it. Before the delete it
// prints the edited task and waits until <go on file> exists, so the test can check the task
// through the API and the stream meanwhile.
// Usage: node console_flow.js <playwright dir> <base url> <project> <dest url> <screenshot>
//        <go on file> <urls...>
'use strict';

const fs = require('fs');

const [playwrightDir, base, project, destination, screenshot, goOnFile, ...files] =
  process.argv.slice(2);
const { chromium } = require(`${playwrightDir}/node_modules/playwright-core`);

function step(name) {
  console.log(`step: ${name}`);
}

async function waitForFile(path, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    const problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    step('open');
    await page.goto(`${base}/console/`);
    await page.fill('#project', project);
    await page.click('#connect button[type=submit]');
    await page.locator('#empty').waitFor();

    step('create');
    await page.click('#new-task');
    await page.selectOption('select[name=source_type]', 'PullVodPushLive');
    await page.fill('textarea[name=source_urls]', [files[0], files[1]].join('\n'));
    await page.fill('input[name=destination_url]', destination);
    await page.check('#callback-events input[value=TaskStart]');
    await page.click('#save-task');
    const row = page.locator('#tasks tbody tr').first();
    await row.locator('.status.running').waitFor({ timeout: 30000 });
    const taskId = await row.getAttribute('data-task-id');
    await page.waitForFunction(
      () => /[1-9]\d* kbps/.test(document.querySelector('#tasks tbody tr .bitrate small').textContent),
      null, { timeout: 20000 });
    await row.locator('.playing small', { hasText: 'file ' }).waitFor({ timeout: 20000 });

    step('modify');
    await page.click(`button[aria-label="Edit ${taskId}"]`);
    if (!(await page.locator('select[name=source_type]').isDisabled())) {
      throw new Error('the source type of an existing task must not be editable');
    }
    await page.fill('textarea[name=source_urls]', [files[2], files[0], files[1]].join('\n'));
    await page.selectOption('select[name=vod_refresh_type]', 'continue_from_break_point');
    await page.click('#save-task');
    await page.waitForFunction(() => !document.querySelector('#task-dialog').open);
    await row.locator('.playing small', { hasText: '/3 ·' }).waitFor({ timeout: 20000 });

    step('events');
    await page.click(`button[aria-label="Events of ${taskId}"]`);
    await page.locator('#events tbody tr', { hasText: 'ResetTaskConfig' }).waitFor();
    await page.locator('#events tbody tr', { hasText: 'VodSourceFileStart' }).first().waitFor();
    await page.locator('#events tbody td.delivery.skipped').first().waitFor();
    await page.waitForTimeout(5000); // a few more samples for the sparkline
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`edited: ${JSON.stringify({ task_id: taskId })}`);
    await waitForFile(goOnFile, 90000);

    step('delete');
    await page.click(`button[aria-label="Delete ${taskId}"]`);
    await page.locator('#confirm-dialog[open]').waitFor();
    await page.click('#confirm-delete');
    await page.locator(`#tasks tbody tr[data-task-id="${taskId}"]`).waitFor({ state: 'detached' });
    await page.locator('#empty').waitFor();

    if (problems.length) throw new Error(problems.join('\n'));
    console.log(`result: ${JSON.stringify({ task_id: taskId })}`);
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
