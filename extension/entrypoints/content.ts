import type { Detection } from "@gatehouse/shared";
import { defineContentScript } from "wxt/utils/define-content-script";
import { ext } from "../src/content/ext.ts";
import { embeddedIn, frameBoard } from "../src/content/frames.ts";
import { loadRules, onRulesChanged } from "../src/content/rules.ts";
import { watchPage } from "../src/content/watch.ts";
import type { CompiledRule } from "../src/detect/admin-rules.ts";
import type { DetectorModule } from "../src/detect/entry.ts";
import { readPage } from "../src/detect/page.ts";
import { mayBeDenied } from "../src/detect/screen.ts";
import type { PanelModule } from "../src/panel/mount.tsx";

/**
 * The always-loaded part: a watcher and the first look (detect/screen.ts),
 * nothing else. It sends nothing anywhere. Only a page whose text could hold
 * a denial loads the detector (detector.js: catalog, vocabulary, scoring);
 * only a page judged denied loads the panel (panel.js: Preact, the form and
 * the messaging to the background); only when the employee acts does
 * anything leave the page.
 *
 * It runs in every frame: an embedded app (a Google Doc inside a wiki page)
 * denies inside its frame. A frame reports its verdict to the background,
 * which hands it to the tab's top frame; only the top frame shows a panel.
 */
/**
 * A chunk of the extension imported on first need, once: the module it sets
 * on `globalThis[name]`, handed to `ready` when it first arrives. A failed
 * import (the extension was updated under the page, say) is tried again next time.
 */
function chunk<T>(path: string, name: string, ready?: (module: T) => void) {
  let loading: Promise<T> | null = null;
  return {
    load(): Promise<T> {
      loading ??= import(/* @vite-ignore */ ext.runtime.getURL(path)).then(() => {
        const module = (globalThis as unknown as Record<string, T>)[name] as T;
        ready?.(module);
        return module;
      });
      loading.catch(() => {
        loading = null;
      });
      return loading;
    },
    /** The import under way or done, if any: a panel never loaded needs no hiding. */
    loaded: (): Promise<T> | null => loading,
  };
}

export default defineContentScript({
  // Every site: the generic detector and the admin's rules must meet tools no catalog knows.
  matches: ["http://*/*", "https://*/*"],
  allFrames: true,
  runAt: "document_idle",
  async main(ctx) {
    const top = window === window.top;
    let rules = await loadRules();
    let detector: DetectorModule | null = null;
    let compiled: CompiledRule[] = [];
    const detectorChunk = chunk<DetectorModule>("/detector.js", "__gatehouseDetector", (d) => {
      // Rules that do not compile here (a selector this browser rejects) are left out; the options page lists them.
      compiled = d.compileRules(rules.raw, document.createDocumentFragment()).rules;
      detector = d;
    });
    const loadDetector = detectorChunk.load;
    const panelChunk = chunk<PanelModule>("/panel.js", "__gatehousePanel");
    const loadPanel = panelChunk.load;

    const show = async (detection: Detection | null) => {
      try {
        if (detection) (await loadPanel()).show(detection);
        else await panelChunk.loaded()?.then((p) => p.hide());
      } catch (err) {
        console.warn("Gatehouse: could not show the panel", err);
      }
    };
    const board = frameBoard((d) => void show(d));
    // A frame too small to read (a tracking pixel, a collapsed widget) reports nothing.
    const report = (detection: Detection | null) => {
      if (detection && window.innerWidth * window.innerHeight < 2_500) return;
      ext.runtime.sendMessage({ id: 0, type: "frameDetection", data: { detection }, timestamp: Date.now() }).catch(() => {
        // The extension was reloaded under this page: nobody to tell.
      });
    };

    const check = () => {
      const url = new URL(location.href);
      if (detector) return detector.detect(document, url, { rules: compiled });
      // The first look: most pages never load the detector.
      if (rules.claims(url.hostname) || mayBeDenied(readPage(document)))
        loadDetector().then(
          () => watcher.recheck(),
          (err: unknown) => console.warn("Gatehouse: could not load the detector", err),
        );
      return null;
    };
    const watcher = watchPage({
      window,
      check,
      onChange: (d) => (top ? board.setOwn(d) : report(d)),
      onNavigate: () => top && board.prune(embeddedIn(document)),
    });
    const onMessage = (message: unknown, _sender: unknown, respond: (answer: unknown) => void) => {
      const m = message as { type?: unknown; data?: { frameId: number; detection: Detection | null } };
      if (m?.type === "showFrameDetection" && m.data && top) {
        board.setFrame(m.data.frameId, m.data.detection);
        respond({ res: null });
      } else if (m?.type === "explainPage" && top) {
        // The options page's "why did (or didn't) Gatehouse appear here?".
        loadDetector().then(
          (d) => respond({ res: { url: location.href, title: document.title, explanation: d.explain(document, new URL(location.href)) } }),
          (err: Error) => respond({ err: { name: "Error", message: err.message, stack: "" } }),
        );
        return true;
      }
      return undefined;
    };
    ext.runtime.onMessage.addListener(onMessage);
    const stopRules = onRulesChanged(async () => {
      rules = await loadRules();
      if (detector) compiled = detector.compileRules(rules.raw, document.createDocumentFragment()).rules;
      watcher.recheck();
    });
    ctx.onInvalidated(() => {
      watcher.stop();
      stopRules();
      ext.runtime.onMessage.removeListener(onMessage);
      void panelChunk.loaded()?.then((p) => p.hide());
    });
  },
});
