// A run's report.html in a real browser (headless Chromium through playwright-core): open the file,
// record console errors, page errors and every request that is neither file: nor data: (the page
// must work offline), count the inline <svg> figures and the <img> elements, check that every image
// decoded, and save a full-page screenshot. Prints {svgs, images, errors, external_requests,
// broken_images} as JSON and exits 1 on any error, external request or broken image, or when fewer
// than MIN_FIGURES <svg> elements are shown.
// Usage: node report_page.js FILE.html SCREENSHOT.png [MIN_FIGURES]
"use strict";
const path = require("path");
const { pathToFileURL } = require("url");
const { chromium } = require("playwright-core");

async function main() {
  const [file, screenshot, minFiguresArg] = process.argv.slice(2);
  if (!screenshot) {
    console.error("usage: node report_page.js FILE.html SCREENSHOT.png [MIN_FIGURES]");
    process.exit(2);
  }
  const minFigures = Number(minFiguresArg || 0);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  let summary;
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors = [];
    const external = new Set();
    page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
    page.on("pageerror", (e) => errors.push("page: " + e.message));
    // Every request is recorded unless it is the page's own file or a data: URI, and blocked, so a
    // broken page cannot reach the network from a test either.
    const local = (url) => url.startsWith("file:") || url.startsWith("data:");
    page.on("request", (r) => { if (!local(r.url())) external.add(r.url()); });
    await page.route("**/*", (route) => (local(route.request().url()) ? route.continue() : route.abort()));
    await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
    const counts = await page.evaluate(async () => {
      const imgs = Array.from(document.images);
      await Promise.all(imgs.map((i) => (i.decode ? i.decode().catch(() => {}) : null)));
      return {
        svgs: document.querySelectorAll("svg").length,
        images: imgs.length,
        broken: imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.alt || i.src.slice(0, 40)),
      };
    });
    await page.screenshot({ path: screenshot, fullPage: true });
    summary = { svgs: counts.svgs, images: counts.images, errors, external_requests: [...external], broken_images: counts.broken };
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(summary));
  const problems = [];
  if (summary.errors.length) problems.push("errors on the page");
  if (summary.external_requests.length) problems.push("requests outside file: and data:");
  if (summary.broken_images.length) problems.push("images that did not decode");
  if (summary.svgs < minFigures) problems.push(`${summary.svgs} <svg> figures, expected at least ${minFigures}`);
  if (problems.length) {
    console.error("report page: " + problems.join("; "));
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
