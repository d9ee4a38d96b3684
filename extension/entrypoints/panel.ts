import { defineUnlistedScript } from "wxt/utils/define-unlisted-script";

/**
 * The panel chunk: loaded by the content script with a dynamic import, only
 * on pages judged denied (web-accessible for that reason). Importing it
 * registers the panel; see src/panel/mount.tsx.
 */
export default defineUnlistedScript(async () => {
  await import("../src/panel/mount.tsx");
});
