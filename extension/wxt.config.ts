import preact from "@preact/preset-vite";
import { defineConfig } from "wxt";

// Least privilege: no host permissions at all. The relay answers the worker's
// fetches with CORS, content scripts run only on the detector's hosts, and
// `notifications`/`alarms`/`storage` are all the APIs used.
export default defineConfig({
  modules: ["@wxt-dev/webextension-polyfill"],
  imports: false,
  vite: () => ({ plugins: [preact()] }),
  manifest: ({ browser }) => ({
    name: "Gatehouse",
    description: "Ask for access from the page that denied it.",
    permissions: ["storage", "alarms", "notifications"],
    icons: { 16: "/icon/16.png", 48: "/icon/48.png", 128: "/icon/128.png" },
    action: { default_title: "Gatehouse" },
    ...(browser === "firefox" ? { browser_specific_settings: { gecko: { id: "gatehouse@gatehouse.dev" } } } : {}),
  }),
});
