import preact from "@preact/preset-vite";
import { defineConfig } from "wxt";

// Least privilege: no host permissions. The relay answers the worker's
// fetches with CORS; the content script runs on every http(s) page because
// the generic detector and admin rules must meet tools no catalog lists, but
// it only reads the page and sends nothing. `notifications`, `alarms` and
// `storage` are all the APIs used.
export default defineConfig({
  imports: false,
  vite: () => ({ plugins: [preact()] }),
  manifest: ({ browser }) => ({
    name: "Gatehouse",
    description: "Ask for access from the page that denied it.",
    permissions: ["storage", "alarms", "notifications"],
    icons: { 16: "/icon/16.png", 48: "/icon/48.png", 128: "/icon/128.png" },
    action: { default_title: "Gatehouse" },
    // The detector chunk is imported by the content script on pages that pass its first look,
    // the panel chunk on denied pages only.
    // Chrome's dynamic URL keeps pages from probing for the extension by a fixed URL.
    web_accessible_resources: [
      {
        resources: ["panel.js", "detector.js"],
        matches: ["http://*/*", "https://*/*"],
        ...(browser === "firefox" ? {} : { use_dynamic_url: true }),
      },
    ],
    ...(browser === "firefox" ? { browser_specific_settings: { gecko: { id: "gatehouse@gatehouse.dev" } } } : {}),
  }),
});
