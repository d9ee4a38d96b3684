import type { Detection, RequestView } from "@gatehouse/shared";
import { render } from "preact";
import { onMessage, sendMessage } from "../messaging.ts";
import { Panel, type PanelApi } from "../ui/Panel.tsx";
import css from "../ui/panel.css?inline";

/** What the lazily loaded panel chunk offers the content script. */
export interface PanelModule {
  show(detection: Detection): void;
  hide(): void;
  /** The panel's shadow root while it is shown (in this isolated world only). */
  root(): ShadowRoot | null;
}

const listeners = new Set<(u: { request: RequestView; kind: string }) => void>();
onMessage("requestUpdate", ({ data }) => {
  for (const fn of listeners) fn(data);
});
// Lets the background focus this tab (rather than open another) for a notification's "Open".
onMessage("panelLocation", () => location.href);

const api: PanelApi = {
  getSession: () => sendMessage("getSession"),
  preview: (body) => sendMessage("preview", body),
  submit: (body) => sendMessage("submitRequest", body),
  grantStatus: (q) => sendMessage("grantStatus", q),
  startGrant: (grantId) => sendMessage("startGrant", { grantId }),
  extendGrant: (grantId, by) => sendMessage("extendGrant", by === undefined ? { grantId } : { grantId, by }),
  openOptions: () => sendMessage("openOptions"),
  reload: () => location.reload(),
  onUpdate: (fn) => {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

let host: HTMLElement | null = null;
let root: HTMLElement | null = null;

/**
 * The panel lives in a *closed* shadow root on its own host element: the
 * page's styles cannot reach in, and the page's scripts cannot read it (the
 * approvers' names, the reason being typed) or press its buttons. Only this
 * isolated world keeps a reference (`root()` below, which end-to-end tests
 * read over the DevTools protocol).
 */
let shadowRoot: ShadowRoot | null = null;
function mountPoint(): HTMLElement {
  if (host?.isConnected && root) return root;
  host = document.createElement("gatehouse-panel");
  const shadow = host.attachShadow({ mode: "closed" });
  shadowRoot = shadow;
  const style = document.createElement("style");
  style.textContent = css;
  root = document.createElement("div");
  shadow.append(style, root);
  document.documentElement.append(host);
  return root;
}

function hide(): void {
  if (root) render(null, root);
  host?.remove();
  host = null;
  root = null;
  shadowRoot = null;
}

function show(detection: Detection): void {
  // A new detection (another resource after a navigation) starts a fresh panel.
  const at = mountPoint();
  render(null, at);
  render(<Panel key={detection.resource.url} detection={detection} api={api} onClose={hide} />, at);
}

(globalThis as unknown as { __gatehousePanel: PanelModule }).__gatehousePanel = { show, hide, root: () => shadowRoot };
