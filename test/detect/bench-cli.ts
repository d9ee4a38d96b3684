/**
 * `pnpm bench:detect [fixture dir]`: what detection costs, measured in the
 * system Chromium. Prints
 *  - the size of the always-loaded content script and of the lazy detector and panel chunks;
 *  - detect() time per page (first call, and warm median of repeated calls),
 *    median and p95 over all pages, against a baseline measured in the same
 *    run: the naive detector, the same vocabulary run over the page's whole
 *    rendered text (`innerText`);
 *  - the mutation observer's overhead on a page inserting 10,000 nodes in
 *    100 bursts, with the extension loaded against the same page without it.
 * A benchmark, not a test: it prints figures and never fails on them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser } from "puppeteer-core";
import { EXTENSION_DIR, launchChromium, ROOT } from "../e2e/harness.ts";
import { type DetectorGlobal, detectorBundle } from "./bundle.ts";
import { loadCorpus, type Page } from "./corpus.ts";
import { openFixture } from "./serve.ts";

// Every fixture folder of the project by default: the corpus and the held-out slices.
const FIXTURES = resolve(ROOT, "test/fixtures");
const dirs =
  process.argv.length > 2
    ? process.argv.slice(2).map((d) => resolve(process.env.INIT_CWD ?? process.cwd(), d))
    : readdirSync(FIXTURES)
        .map((d) => resolve(FIXTURES, d))
        .filter((d) => existsSync(resolve(d, "manifest.json")));
const dir = dirs.map((d) => relative(ROOT, d)).join(", ");

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (i - lo);
}
const ms = (v: number) => `${v.toFixed(3)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function sizes(): void {
  const content = readFileSync(resolve(EXTENSION_DIR, "content-scripts/content.js"));
  const panel = readFileSync(resolve(EXTENSION_DIR, "panel.js"));
  const detector = readFileSync(resolve(EXTENSION_DIR, "detector.js"));
  const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;
  console.log("Bundle sizes (chrome-mv3 build)");
  console.log(`  content script (every page)   ${kb(content.length)} raw, ${kb(gz(content))} gzipped   target < 15 KB gzipped`);
  console.log(`  detector chunk (pages that pass the first look)  ${kb(detector.length)} raw, ${kb(gz(detector))} gzipped`);
  console.log(`  panel chunk (denied pages)    ${kb(panel.length)} raw, ${kb(gz(panel))} gzipped`);
}

/** A large ordinary page (~2 MB of table rows) to show that detect() reads a bounded amount. */
function bigPage(): Page {
  const rows = Array.from(
    { length: 12_000 },
    (_, i) => `<tr><td>ENG-${i}</td><td>Refactor the billing worker step ${i}</td><td>Dana Whitfield</td><td>In progress</td></tr>`,
  ).join("");
  return {
    file: "(synthetic 2 MB issue list)",
    url: "https://tracker.acme-corp.internal/issues?all=1",
    status: 200,
    denied: false,
    app: "generic",
    resource: null,
    notes: "",
    message: null,
    kind: "access",
    lang: "en",
    html: `<!doctype html><html><head><title>All issues</title></head><body><main><h1>All issues</h1><table>${rows}</table></main></body></html>`,
  };
}

async function timing(browser: Browser, pages: Page[]): Promise<void> {
  const bundle = await detectorBundle();
  const first: number[] = [];
  const firstOrdinary: number[] = [];
  const warm: number[] = [];
  const naive: number[] = [];
  let big: { warm: number; naive: number } | null = null;
  for (const page of [...pages, bigPage()]) {
    const tab = await openFixture(browser, page);
    await new Promise((r) => setTimeout(r, page.html.length > 100_000 ? 200 : 1000)); // let late renders land
    await tab.evaluate(bundle);
    const t = await tab.evaluate(() => {
      const g = (globalThis as unknown as { __gatehouseDetect: DetectorGlobal }).__gatehouseDetect;
      const url = new URL(location.href);
      const t0 = performance.now();
      g.detect(document, url);
      const firstCall = performance.now() - t0;
      // Timer resolution is coarse (100 µs without cross-origin isolation): time batches.
      const batches: number[] = [];
      for (let b = 0; b < 15; b++) {
        const s = performance.now();
        for (let i = 0; i < 20; i++) g.detect(document, url);
        batches.push((performance.now() - s) / 20);
      }
      const base: number[] = [];
      for (let b = 0; b < 5; b++) {
        const s = performance.now();
        // biome-ignore lint/performance/useDomNodeTextContent: the baseline is a naive detector, which reads the rendered text
        for (let i = 0; i < 4; i++) g.DENIAL.test(document.body.innerText);
        base.push((performance.now() - s) / 4);
      }
      const mid = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
      return { firstCall, warm: mid(batches), naive: mid(base) };
    });
    await tab.close();
    if (page.file.startsWith("(synthetic")) big = { warm: t.warm, naive: t.naive };
    else {
      first.push(t.firstCall);
      if (!page.denied) firstOrdinary.push(t.firstCall);
      warm.push(t.warm);
      naive.push(t.naive);
    }
  }
  console.log(`\ndetect() per page, ${pages.length} fixture pages in ${dir}`);
  console.log(
    `  warm    median ${ms(quantile(warm, 0.5))}   p95 ${ms(quantile(warm, 0.95))}   max ${ms(Math.max(...warm))}   target p95 < 1 ms`,
  );
  console.log(
    `  first   median ${ms(quantile(first, 0.5))}   p95 ${ms(quantile(first, 0.95))}   (the one call at page load: compiles the code and the vocabulary)`,
  );
  console.log(
    `          on pages that are not denied: median ${ms(quantile(firstOrdinary, 0.5))}   p95 ${ms(quantile(firstOrdinary, 0.95))}`,
  );
  console.log(
    `  baseline (vocabulary over innerText)   median ${ms(quantile(naive, 0.5))}   p95 ${ms(quantile(naive, 0.95))}   detect/baseline at median ${(quantile(warm, 0.5) / quantile(naive, 0.5)).toFixed(2)}`,
  );
  if (big)
    console.log(
      `  2 MB ordinary page: detect ${ms(big.warm)} vs baseline ${ms(big.naive)} (ratio ${(big.warm / big.naive).toFixed(3)}): the detector reads a bounded part of the page`,
    );
}

const CHURN_PAGE = `<!doctype html><html><head><title>Live feed</title></head><body><main><h1>Live feed</h1><div id="feed"></div></main>
<script>
window.churn = async () => {
  const feed = document.getElementById("feed");
  feed.textContent = "";
  let inserting = 0;
  const started = performance.now();
  for (let burst = 0; burst < 100; burst++) {
    const s = performance.now();
    for (let i = 0; i < 100; i++) {
      const item = document.createElement("div");
      item.className = "item";
      item.textContent = "Deploy " + burst + "." + i + " finished in " + (i % 7) + " s";
      feed.append(item);
    }
    inserting += performance.now() - s;
    // Yield to the event loop without setTimeout's 4 ms clamp, as a busy app would.
    await new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(0); });
  }
  await new Promise((r) => setTimeout(r, 300)); // the observer's throttled check lands inside this window
  return { wall: performance.now() - started - 300, inserting };
};
</script></body></html>`;

async function churn(extension: boolean, runs: number): Promise<{ wall: number[]; inserting: number[] }> {
  const browser = await launchChromium(extension ? EXTENSION_DIR : undefined);
  const out = { wall: [] as number[], inserting: [] as number[] };
  try {
    const page: Page = { ...bigPage(), file: "(churn)", url: "https://feed.acme-corp.internal/live", html: CHURN_PAGE };
    const tab = await openFixture(browser, page);
    await new Promise((r) => setTimeout(r, 800)); // the content script starts at document_idle
    await tab.evaluate(() => (window as unknown as { churn(): Promise<unknown> }).churn()); // warm-up
    for (let i = 0; i < runs; i++) {
      const r = await tab.evaluate(() => (window as unknown as { churn(): Promise<{ wall: number; inserting: number }> }).churn());
      out.wall.push(r.wall);
      out.inserting.push(r.inserting);
    }
    await tab.close();
  } finally {
    await browser.close();
  }
  return out;
}

async function observerOverhead(): Promise<void> {
  const runs = 25;
  // Alternate the two set-ups so drift on the machine hits both alike.
  const without = { wall: [] as number[], inserting: [] as number[] };
  const withExt = { wall: [] as number[], inserting: [] as number[] };
  for (let round = 0; round < 3; round++) {
    const a = await churn(false, runs);
    const b = await churn(true, runs);
    without.wall.push(...a.wall);
    without.inserting.push(...a.inserting);
    withExt.wall.push(...b.wall);
    withExt.inserting.push(...b.inserting);
  }
  const m = (v: number[]) => quantile(v, 0.5);
  console.log(
    `\nMutation observer cost: 10,000 node insertions in 100 bursts on a page that is not denied (${without.wall.length} runs each)`,
  );
  console.log(`  without extension   wall ${ms(m(without.wall))}   inserting ${ms(m(without.inserting))}`);
  console.log(`  with extension      wall ${ms(m(withExt.wall))}   inserting ${ms(m(withExt.inserting))}`);
  console.log(
    `  overhead ratio      wall ${(m(withExt.wall) / m(without.wall)).toFixed(3)}   inserting ${(m(withExt.inserting) / m(without.inserting)).toFixed(3)}   target < 1.05`,
  );
}

// BENCH_ONLY=timing|observer runs one part (for working on it); the default is everything.
const only = process.env.BENCH_ONLY;
sizes();
if (only !== "observer") {
  const browser = await launchChromium();
  try {
    await timing(
      browser,
      dirs.flatMap((d) => loadCorpus(d)),
    );
  } finally {
    await browser.close();
  }
}
if (only !== "timing") await observerOverhead();
