import { browser } from "wxt/browser";
import { accessCount, badgeText } from "../ui/grant-status.ts";
import { requestsItem } from "./state.ts";

/** `action` in MV3 (Chromium), `browserAction` in Firefox's MV2 build. Neither needs a permission for the badge. */
const toolbar = () => browser.action ?? browser.browserAction;

/** The toolbar badge: how many grants give access now; empty when none. */
export async function updateBadge(): Promise<void> {
  const count = accessCount(await requestsItem.getValue(), Date.now());
  try {
    await toolbar().setBadgeText({ text: badgeText(count) });
    if (count > 0) await toolbar().setBadgeBackgroundColor({ color: "#1a7f37" });
  } catch {
    // No toolbar button (a test harness, say): nothing to show it on.
  }
}

/** Keeps the badge in step with the requests cache, whoever writes it. */
export function watchBadge(): void {
  requestsItem.watch(() => void updateBadge());
  void updateBadge();
}
