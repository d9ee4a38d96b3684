import type { RequestView } from "@gatehouse/shared";
import { render } from "preact";
import { createShadowRootUi } from "wxt/utils/content-script-ui/shadow-root";
import { defineContentScript } from "wxt/utils/define-content-script";
import { DETECTOR_MATCHES, detect } from "../../src/detect/index.ts";
import { onMessage, sendMessage } from "../../src/messaging.ts";
import { Panel, type PanelApi } from "../../src/ui/Panel.tsx";
import "../../src/ui/panel.css";

/**
 * Wires the detector to the page: nothing is sent anywhere unless the page is
 * denied and the employee acts (opens the form, then submits).
 */
export default defineContentScript({
  matches: DETECTOR_MATCHES,
  runAt: "document_idle",
  cssInjectionMode: "ui",
  async main(ctx) {
    const detection = detect(document, new URL(location.href));
    if (!detection) return;

    const listeners = new Set<(u: { request: RequestView; kind: string }) => void>();
    const stopListening = onMessage("requestUpdate", ({ data }) => {
      for (const fn of listeners) fn(data);
    });
    ctx.onInvalidated(stopListening);

    const api: PanelApi = {
      getSession: () => sendMessage("getSession"),
      preview: (body) => sendMessage("preview", body),
      submit: (body) => sendMessage("submitRequest", body),
      openOptions: () => sendMessage("openOptions"),
      reload: () => location.reload(),
      onUpdate: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    };

    const ui = await createShadowRootUi(ctx, {
      name: "gatehouse-panel",
      position: "inline",
      anchor: "body",
      append: "last",
      onMount(container) {
        const root = document.createElement("div");
        container.append(root);
        render(<Panel detection={detection} api={api} onClose={() => ui.remove()} />, root);
        return root;
      },
      onRemove(root) {
        if (root) render(null, root);
      },
    });
    ui.mount();
  },
});
