import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CATALOG } from "../../extension/src/detect/catalog.ts";
import { loadCorpus } from "../detect/corpus.ts";
import { evaluatePages, metrics, misses, productOf } from "../detect/eval.ts";
import { launchChromium, ROOT } from "./harness.ts";

/**
 * The detector on the project's own corpus, in Chromium: every page served at
 * its URL and status, the real detector bundle injected. The gate the issue
 * sets: precision at least 0.98, recall at least 0.96.
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** The corpus and the held-out slices opened after their blind figures were recorded (their READMEs have them). */
const DEVELOPMENT = ["denied-pages", "held-out", "held-out-2", "held-out-3", "held-out-4", "held-out-5"];

it("meets precision ≥ 0.98 and recall ≥ 0.96 on the development material (the corpus and the opened held-out slices)", async () => {
  const pages = DEVELOPMENT.flatMap((d) => loadCorpus(`${ROOT}/test/fixtures/${d}`));
  // Issue 14's size: ≥ 150 denied pages over ≥ 60 products, ≥ 100 hard negatives, every kind.
  const denied = pages.filter((p) => p.denied);
  expect(denied.length).toBeGreaterThanOrEqual(150);
  expect(new Set(denied.map(productOf)).size).toBeGreaterThanOrEqual(60);
  expect(pages.length - denied.length).toBeGreaterThanOrEqual(100);
  expect(new Set(denied.map((p) => p.kind))).toEqual(new Set(["access", "pending", "org-restricted"]));
  // Every catalog app has a denied page, and the generic detector has pages in all eight languages.
  const deniedApps = new Set(pages.filter((p) => p.denied).map((p) => p.app));
  expect(CATALOG.map((a) => a.id).filter((id) => !deniedApps.has(id))).toEqual([]);
  expect(pages.filter((p) => p.denied && p.app === "generic").length).toBeGreaterThanOrEqual(8);

  const results = await evaluatePages(browser, pages);
  const m = metrics(results);
  console.log(`detector on own corpus: ${JSON.stringify(m)}\n${misses(results).join("\n")}`);
  expect(m.precision, misses(results).join("\n")).toBeGreaterThanOrEqual(0.98);
  expect(m.recall, misses(results).join("\n")).toBeGreaterThanOrEqual(0.96);
  expect(m.appAccuracy).toBeGreaterThanOrEqual(0.95);
  expect(m.resourceAccuracy).toBeGreaterThanOrEqual(0.95);
  expect(m.kindAccuracy).toBeGreaterThanOrEqual(0.95);
  // 623 pages in one browser: about two minutes on a two-core machine, more under load.
}, 400_000);
