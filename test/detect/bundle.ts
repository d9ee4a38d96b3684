import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const DETECT = fileURLToPath(new URL("../../extension/src/detect/", import.meta.url));

/**
 * The extension's detector with the content script's first look, as one
 * script that sets `globalThis.__gatehouseDetect`. The evaluation and the
 * benchmark inject it into pages so they measure the real code, not a copy.
 */
export async function detectorBundle(): Promise<string> {
  const out = await build({
    stdin: {
      contents: `export { detect, explain } from "./index.ts"; export { DENIAL } from "./phrases.ts"; export { mayBeDenied } from "./screen.ts"; export { readPage } from "./page.ts";`,
      resolveDir: DETECT,
      loader: "ts",
    },
    bundle: true,
    write: false,
    format: "iife",
    globalName: "__gatehouseDetect",
    minify: true,
    target: "chrome120",
    logLevel: "silent",
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return file.text;
}

/** What the injected bundle exposes in the page. */
export interface DetectorGlobal {
  detect(doc: Document, url: URL): import("@gatehouse/shared").Detection | null;
  explain(doc: Document, url: URL): import("../../extension/src/detect/index.ts").Explanation;
  /** The content script's first look (screen.ts): false means the detector is not even loaded. */
  mayBeDenied(page: unknown): boolean;
  readPage(doc: Document): unknown;
  /** The denial vocabulary, for the benchmark's naive baseline. */
  DENIAL: RegExp;
}
