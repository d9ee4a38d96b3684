import { defineUnlistedScript } from "wxt/utils/define-unlisted-script";
import { detector } from "../src/detect/entry.ts";

/**
 * The detector chunk: the catalog, the vocabulary in every language and the
 * scoring. The content script imports it (web-accessible for that reason)
 * only on pages whose text could hold a denial; see src/detect/screen.ts.
 */
export default defineUnlistedScript(() => {
  (globalThis as unknown as { __gatehouseDetector: typeof detector }).__gatehouseDetector = detector;
});
