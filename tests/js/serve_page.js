// The web page of `tlab serve` in a real browser (headless Chromium through playwright-core): load
// the page, wait until it says the model is ready, pick a photo with the file input, wait for the
// predictions, check the top label and save a screenshot. Run by ServePageBrowser in
// tests/serve/browser_test.cpp against a server it started.
// Usage: node serve_page.js URL IMAGE EXPECTED_TOP_LABEL SCREENSHOT.png
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const [url, image, expected, screenshot] = process.argv.slice(2);
  if (!screenshot) {
    console.error("usage: node serve_page.js URL IMAGE EXPECTED_TOP_LABEL SCREENSHOT.png");
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector("#status.ready", { timeout: 60000 });
    await page.setInputFiles("#file", image);
    await page.waitForSelector('#results[data-state="done"], #results[data-state="error"]', { timeout: 60000 });
    const state = await page.getAttribute("#results", "data-state");
    if (state !== "done") throw new Error("the page shows an error: " + (await page.textContent("#error")));
    const labels = await page.$$eval("#results .row .label", (els) => els.map((e) => e.textContent));
    const probs = await page.$$eval("#results .row .prob", (els) => els.map((e) => e.textContent));
    const latency = await page.textContent("#latency");
    await page.waitForTimeout(600);  // let the bars finish their transition before the screenshot
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(JSON.stringify({ labels, probs, latency, errors }));
    if (errors.length) throw new Error("JavaScript errors on the page: " + errors.join("; "));
    if (labels[0] !== expected) throw new Error(`top label '${labels[0]}', expected '${expected}'`);
    if (!/round trip/.test(latency)) throw new Error("no latency shown: " + latency);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
