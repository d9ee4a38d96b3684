import type { RequestView, UserSummary } from "@gatehouse/shared";
import { storage } from "wxt/utils/storage";

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

/** Session-only: which tab each request came from, and a sign-in in progress. */
export const requestTabsItem = storage.defineItem<Record<string, number>>("session:requestTabs", { fallback: {} });
export const pendingSignInItem = storage.defineItem<{
  email: string;
  userCode: string;
  deviceCode: string;
  expiresAt: number;
  intervalMs: number;
} | null>("session:pendingSignIn", { fallback: null });
export const lastErrorItem = storage.defineItem<string | null>("session:lastError", { fallback: null });
