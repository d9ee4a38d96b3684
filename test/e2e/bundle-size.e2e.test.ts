import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { EXTENSION_DIR } from "./harness.ts";

/**
 * The content script runs on every page the employee opens: it must stay the
 * watcher and the first look only. The detector (catalog, vocabulary in ten
 * languages, scoring) and the panel are chunks of their own, loaded on the
 * pages that need them. (A stray import of zod or Preact would triple it;
 * this is where that shows.) Figures: `pnpm bench:detect`.
 */
it("keeps the always-loaded content script under 15 KB gzipped, with the detector and the panel out of it", () => {
  const content = readFileSync(join(EXTENSION_DIR, "content-scripts/content.js"));
  const gz = gzipSync(content, { level: 9 }).length;
  expect(gz).toBeLessThan(15 * 1024);
  const text = content.toString("utf8");
  expect(text).not.toContain("ZodError");
  expect(text).not.toContain("__gatehousePanel = ");
  // The vocabulary's phrases and the catalog stay in detector.js: a phrase and a catalog host as witnesses.
  expect(text).not.toContain("Privilèges insuffisants");
  expect(text).not.toContain("lightning.force.com");
  const detector = readFileSync(join(EXTENSION_DIR, "detector.js"), "utf8");
  expect(detector).toContain("lightning.force.com");
  expect(readFileSync(join(EXTENSION_DIR, "panel.js")).length).toBeGreaterThan(0);
});
