import type { RequestView, UserSummary } from "@gatehouse/shared";
import { storage } from "wxt/utils/storage";
import type { NotificationButton } from "./notice-text.ts";

/** Non-secret state in `storage.local`, typed, with defaults. */
export const relayUrlItem = storage.defineItem<string>("local:relayUrl", {
  fallback: import.meta.env.WXT_RELAY_URL ?? "http://127.0.0.1:8787",
});
export const userItem = storage.defineItem<UserSummary | null>("local:user", { fallback: null });
/** Last notice id received: the replay cursor. */
export const cursorItem = storage.defineItem<number>("local:noticeCursor", { fallback: 0 });
export const requestsItem = storage.defineItem<RequestView[]>("local:requests", { fallback: [] });
/** Notices already shown as system notifications, so a replay never repeats one. */
export const shownItem = storage.defineItem<string[]>("local:shownNotices", { fallback: [] });

/**
 * The admin's detection rules as last fetched, with the ones this extension
 * could not use and why (shown on the options page). The content script
 * reads the same key (src/content/rules.ts).
 */
export interface StoredDetectionRules {
  version: string;
  rules: unknown[];
  problems: { index: number; app: string; message: string }[];
  fetchedAt: number;
}
export const detectionRulesItem = storage.defineItem<StoredDetectionRules | null>("local:detectionRules", { fallback: null });

/**
 * Session-only: the tabs each request is shown in (the one it came from, and
 * any whose panel shows its grant), and a sign-in in progress. An older
 * version stored one tab id per request; readers accept both.
 */
export const requestTabsItem = storage.defineItem<Record<string, number[] | number>>("session:requestTabs", { fallback: {} });
/** Session-only: what the buttons of a shown notification do (Chromium has buttons; Firefox has none). */
export const notificationButtonsItem = storage.defineItem<Record<string, { requestId: string; buttons: NotificationButton[] }>>(
  "session:notificationButtons",
  { fallback: {} },
);
export const pendingSignInItem = storage.defineItem<{
  email: string;
  userCode: string;
  deviceCode: string;
  expiresAt: number;
  intervalMs: number;
} | null>("session:pendingSignIn", { fallback: null });
export const lastErrorItem = storage.defineItem<string | null>("session:lastError", { fallback: null });
