import type { Detection } from "@gatehouse/shared";
import { defineContentScript } from "wxt/utils/define-content-script";
import { ext } from "../src/content/ext.ts";
import { loadRules, onRulesChanged } from "../src/content/rules.ts";
import { watchPage } from "../src/content/watch.ts";
import { type CompiledRule, detect } from "../src/detect/index.ts";
import type { PanelModule } from "../src/panel/mount.tsx";

/**
 * The always-loaded part: the detector and a watcher, nothing else. It sends
 * nothing anywhere. Only when a page is judged denied does it load the panel
 * (a separate chunk with Preact, the form and the messaging to the
 * background), and only when the employee acts does anything leave the page.
 */
export default defineContentScript({
  // Every site: the generic detector and the admin's rules must meet tools no catalog knows.
  matches: ["http://*/*", "https://*/*"],
  runAt: "document_idle",
  async main(ctx) {
    let rules: CompiledRule[] = await loadRules();
    let panel: Promise<PanelModule> | null = null;
    const loadPanel = () => {
      panel ??= import(/* @vite-ignore */ ext.runtime.getURL("/panel.js")).then(
        () => (globalThis as unknown as { __gatehousePanel: PanelModule }).__gatehousePanel,
      );
      // A failed load (the extension was updated, say) is tried again next time.
      panel.catch(() => {
        panel = null;
      });
      return panel;
    };

    const show = async (detection: Detection | null) => {
      try {
        if (detection) (await loadPanel()).show(detection);
        else if (panel) (await panel).hide();
      } catch (err) {
        console.warn("Gatehouse: could not show the panel", err);
      }
    };

    const watcher = watchPage({
      window,
      check: () => detect(document, new URL(location.href), { rules }),
      onChange: (d) => void show(d),
    });
    const stopRules = onRulesChanged(async () => {
      rules = await loadRules();
      watcher.recheck();
    });
    ctx.onInvalidated(() => {
      watcher.stop();
      stopRules();
      void panel?.then((p) => p.hide());
    });
  },
});
