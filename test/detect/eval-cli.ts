/**
 * `pnpm eval:detect <dir>`: runs the real detector in the system Chromium on
 * a fixture folder (manifest.json + pages) and prints precision, recall, app
 * and resource accuracy and every miss. The last line is JSON for machines.
 */
import { resolve } from "node:path";
import { launchChromium } from "../e2e/harness.ts";
import { loadCorpus } from "./corpus.ts";
import { evaluatePages, metrics, misses } from "./eval.ts";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: pnpm eval:detect <fixture folder with manifest.json>");
  process.exit(2);
}
const pages = loadCorpus(resolve(process.env.INIT_CWD ?? process.cwd(), dir));
const browser = await launchChromium();
try {
  const started = performance.now();
  const results = await evaluatePages(browser, pages);
  const m = metrics(results);
  for (const line of misses(results)) console.log(line);
  console.log(`\n${m.pages} pages (${m.positives} denied, ${m.negatives} not) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`precision          ${m.precision.toFixed(4)}  (${m.falsePositives} false hits)`);
  console.log(`recall             ${m.recall.toFixed(4)}  (${m.falseNegatives} missed)`);
  console.log(`app accuracy       ${m.appAccuracy.toFixed(4)}`);
  console.log(`resource accuracy  ${m.resourceAccuracy.toFixed(4)}`);
  console.log(JSON.stringify(m));
} finally {
  await browser.close();
}
