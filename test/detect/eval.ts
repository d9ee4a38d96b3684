import type { Detection } from "@gatehouse/shared";
import type { Browser } from "puppeteer-core";
import type { Explanation } from "../../extension/src/detect/index.ts";
import { type DetectorGlobal, detectorBundle } from "./bundle.ts";
import type { Page } from "./corpus.ts";
import { openFixture } from "./serve.ts";

/** How long after `load` a page may take to render its denial (SPAs, modals). */
const SETTLE_MS = 1200;

export interface PageResult {
  page: Page;
  detection: Detection | null;
  explanation: Explanation;
  /** Whether the content script's first look let the page through to the detector. */
  screened: boolean;
}

export interface Metrics {
  pages: number;
  positives: number;
  negatives: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  /** Share of detected positives whose app id is right. */
  appAccuracy: number;
  /** Share of detected positives with an expected resource whose resource id is right. */
  resourceAccuracy: number;
  /** Share of detected positives whose kind (access, pending, org-restricted) is right. */
  kindAccuracy: number;
  /** Distinct products among the denied pages. */
  deniedProducts: number;
  /** Share of pages that passed the content script's first look and loaded the detector. */
  screenedIn: number;
}

const same = (a: string | null | undefined, b: string | null | undefined) =>
  (a ?? "").trim().toLowerCase() === (b ?? "").trim().toLowerCase();

/**
 * Serves each page at its URL and status in Chromium, injects the real
 * detector and asks it, the way the content script does: at load, then again
 * as the page keeps rendering, until it says "denied" or the page settles.
 */
async function runOne(browser: Browser, bundle: string, page: Page): Promise<PageResult> {
  const tab = await openFixture(browser, page);
  try {
    await tab.evaluate(bundle);
    const out = await tab.evaluate(async (settleMs: number) => {
      const g = (globalThis as unknown as { __gatehouseDetect: DetectorGlobal }).__gatehouseDetect;
      const started = performance.now();
      // As the content script does: the detector runs only on pages that pass the first look.
      let screened = false;
      const look = () => {
        if (!g.mayBeDenied(g.readPage(document))) return null;
        screened = true;
        return g.detect(document, new URL(location.href));
      };
      let detection = look();
      while (!detection && performance.now() - started < settleMs) {
        await new Promise((r) => setTimeout(r, 100));
        detection = look();
      }
      return { detection, screened, explanation: g.explain(document, new URL(location.href)) };
    }, SETTLE_MS);
    return { page, ...out };
  } finally {
    await tab.close();
  }
}

export async function evaluatePages(browser: Browser, pages: Page[], concurrency = 8): Promise<PageResult[]> {
  const bundle = await detectorBundle();
  const results: PageResult[] = new Array(pages.length);
  let next = 0;
  const worker = async () => {
    while (next < pages.length) {
      const i = next++;
      const page = pages[i];
      if (page) results[i] = await runOne(browser, bundle, page);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pages.length) }, worker));
  return results;
}

export function metrics(results: PageResult[]): Metrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let appRight = 0;
  let resScored = 0;
  let resRight = 0;
  let kindRight = 0;
  for (const r of results) {
    const found = r.detection !== null;
    if (r.page.denied && found) {
      tp++;
      if (r.detection?.kind === r.page.kind) kindRight++;
      if (same(r.detection?.app, r.page.app)) appRight++;
      if (r.page.resource !== null) {
        resScored++;
        if (same(r.detection?.resource.id, r.page.resource)) resRight++;
      }
    } else if (!r.page.denied && found) fp++;
    else if (r.page.denied && !found) fn++;
  }
  const ratio = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 10000) / 10000);
  const positives = results.filter((r) => r.page.denied).length;
  return {
    pages: results.length,
    positives,
    negatives: results.length - positives,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    appAccuracy: ratio(appRight, tp),
    resourceAccuracy: ratio(resRight, resScored),
    kindAccuracy: ratio(kindRight, tp),
    screenedIn: ratio(results.filter((r) => r.screened).length, results.length),
    deniedProducts: new Set(results.filter((r) => r.page.denied).map((r) => productOf(r.page))).size,
  };
}

/** The product a page stands for: its manifest's word, else its catalog app, else its host. */
export function productOf(page: Page): string {
  return (page.product ?? (page.app === "generic" ? new URL(page.url).hostname : page.app)).toLowerCase();
}

/** Every miss, with the signals and the score that decided it. */
export function misses(results: PageResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const d = r.detection;
    const x = r.explanation;
    const evidence = x.evidence ? `; strongest: ${x.evidence.place} "${x.evidence.text.slice(0, 100)}"` : "";
    const why = `score ${x.score.toFixed(2)} of ${x.threshold}: ${x.reasons.join(", ") || "no signal"}${evidence}`;
    if (r.page.denied && !d)
      out.push(`MISSED     ${r.page.file}  (${r.screened ? why : "screened out: no stem, not-found or HTTP refusal in its text"})`);
    else if (!r.page.denied && d) out.push(`FALSE HIT  ${r.page.file}  → ${d.app} "${d.message.slice(0, 80)}" (${why})`);
    else if (r.page.denied && d && !same(d.app, r.page.app)) out.push(`WRONG APP  ${r.page.file}  ${d.app} ≠ ${r.page.app}`);
    else if (r.page.denied && d && r.page.resource !== null && !same(d.resource.id, r.page.resource))
      out.push(`WRONG ID   ${r.page.file}  ${d.app}: ${d.resource.id} ≠ ${r.page.resource}`);
    else if (r.page.denied && d && d.kind !== r.page.kind) out.push(`WRONG KIND ${r.page.file}  ${d.kind} ≠ ${r.page.kind}  (${why})`);
  }
  return out;
}
