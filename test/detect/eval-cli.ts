/**
 * `pnpm eval:detect <dir>…`: runs the real detector in the system Chromium on
 * fixture folders (manifest.json + pages) and prints, per folder,
 * precision, recall, app, resource and kind accuracy, and every miss and false
 * alarm with the signals and scores that decided it. The last line is JSON.
 */
import { basename, resolve } from "node:path";
import { launchChromium } from "../e2e/harness.ts";
import { loadCorpus } from "./corpus.ts";
import { evaluatePages, type Metrics, metrics, misses } from "./eval.ts";

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: pnpm eval:detect <fixture folder with manifest.json>…");
  process.exit(2);
}
const print = (name: string, m: Metrics, seconds: number) => {
  console.log(
    `\n${name}: ${m.pages} pages (${m.positives} denied over ${m.deniedProducts} products, ${m.negatives} not) in ${seconds.toFixed(1)} s`,
  );
  console.log(`precision          ${m.precision.toFixed(4)}  (${m.falsePositives} false hits)`);
  console.log(`recall             ${m.recall.toFixed(4)}  (${m.falseNegatives} missed)`);
  console.log(`app accuracy       ${m.appAccuracy.toFixed(4)}`);
  console.log(`resource accuracy  ${m.resourceAccuracy.toFixed(4)}`);
  console.log(`kind accuracy      ${m.kindAccuracy.toFixed(4)}`);
  console.log(`loaded the detector on ${(m.screenedIn * 100).toFixed(0)} % of pages`);
};
const browser = await launchChromium();
try {
  const all: Record<string, Metrics> = {};
  for (const dir of dirs) {
    const pages = loadCorpus(resolve(process.env.INIT_CWD ?? process.cwd(), dir));
    const started = performance.now();
    const results = await evaluatePages(browser, pages);
    const m = metrics(results);
    for (const line of misses(results)) console.log(line);
    print(basename(resolve(dir)), m, (performance.now() - started) / 1000);
    all[dir] = m;
  }
  console.log(JSON.stringify(dirs.length === 1 ? all[dirs[0] as string] : all));
} finally {
  await browser.close();
}
