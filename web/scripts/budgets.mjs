// Budget report (printed, never asserted: timings belong in benchmarks, not tests):
//  - initial JavaScript: the entry script and its modulepreloads in dist/index.html, gzipped
//    (aim: at most 120 KB);
//  - time to interactive of the sale page in Chromium: navigation start until the page shows
//    the sale with the server clock synced (its data-ready mark), median of 5 cold loads.
// usage: node scripts/budgets.mjs   (E2E_BASE_URL for the TTI part; without it, size only)
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const dist = new URL("../dist/", import.meta.url);
const html = readFileSync(new URL("index.html", dist), "utf8");
const scripts = [...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"|<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g)]
  .map((m) => m[1] ?? m[2]);
let gz = 0;
for (const file of scripts) gz += gzipSync(readFileSync(new URL(file, dist)), { level: 9 }).length;
console.log(`budget: initial JavaScript ${(gz / 1024).toFixed(1)} KB gzipped (${scripts.length} file(s); aim <= 120 KB)`);

const base = process.env.E2E_BASE_URL;
if (base) {
  const sales = await (await fetch(`${base}/api/v1/sales`)).json();
  const sale = sales.sales.at(-1);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    chromiumSandbox: false,
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const times = [];
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext({ serviceWorkers: "block" });
    const page = await context.newPage();
    // Stamped inside the page at the mutation that sets the mark, not when the test sees it.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector("[data-ready=true]")) {
          window.__ready = performance.now();
          observer.disconnect();
        }
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    await page.goto(`${base}/sales/${sale.id}`);
    await page.waitForFunction(() => window.__ready !== undefined);
    times.push(await page.evaluate(() => window.__ready));
    await context.close();
  }
  await browser.close();
  times.sort((a, b) => a - b);
  console.log(`budget: sale page time to interactive ${times[2].toFixed(0)} ms median of 5 cold loads (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)})`);
}
