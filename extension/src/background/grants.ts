import type { RequestView } from "@gatehouse/shared";
import { browser } from "wxt/browser";
import { sendMessage } from "../messaging.ts";
import { pickRelevant, type ResourceQuery } from "../ui/grant-status.ts";
import { buttonsSupported, requestIdOf, showNotification } from "./notify.ts";
import { relayClient } from "./session.ts";
import { notificationButtonsItem, requestsItem } from "./state.ts";
import { cacheRequest, currentRequests, rememberTab, scheduleExpiry, tabsOf } from "./sync.ts";

/**
 * The requester's own access: what a page's panel should show for its
 * resource, the start / extend / release calls, and what clicks on the
 * notifications do.
 */

/** The request most worth showing on this page (a live grant, else one that ended today), and the tab remembered for its updates. */
export async function grantStatus(q: ResourceQuery, tabId: number | undefined): Promise<RequestView | null> {
  const found = pickRelevant(await currentRequests(), q, Date.now());
  if (found) await rememberTab(found.id, tabId);
  return found;
}

export type GrantAction = "start" | "extend" | "release";

/** Calls the relay, caches the view it returns (and moves the local end alarm). */
export async function grantAction(action: GrantAction, grantId: string, by?: string): Promise<RequestView> {
  const client = await relayClient();
  const view =
    action === "start"
      ? await client.startGrant(grantId)
      : action === "extend"
        ? await client.extendGrant(grantId, by)
        : await client.releaseGrant(grantId);
  await cacheRequest(view);
  await scheduleExpiry(view);
  return view;
}

const samePage = (a: string, b: string) => {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname === y.pathname;
  } catch {
    return false;
  }
};

/**
 * Brings the request's resource up: the tab whose panel shows it already
 * (asked, since without the `tabs` permission a tab's address is not
 * readable), else a new tab.
 */
export async function openResource(requestId: string): Promise<void> {
  const request = (await requestsItem.getValue()).find((r) => r.id === requestId);
  if (!request || !/^https?:/.test(request.resource.url)) return;
  for (const tabId of await tabsOf(requestId)) {
    const href = await sendMessage("panelLocation", undefined, tabId).catch(() => null);
    if (!href || !samePage(href, request.resource.url)) continue;
    const tab = await browser.tabs.update(tabId, { active: true }).catch(() => undefined);
    if (tab?.windowId !== undefined) await browser.windows?.update(tab.windowId, { focused: true }).catch(() => {});
    if (tab) return;
  }
  await browser.tabs.create({ url: request.resource.url });
}

async function onButton(notificationId: string, index: number): Promise<void> {
  const meta = (await notificationButtonsItem.getValue())[notificationId];
  const requestId = meta?.requestId ?? requestIdOf(notificationId);
  const button = meta?.buttons[index];
  await browser.notifications.clear(notificationId).catch(() => {});
  if (button?.action !== "extend") return openResource(requestId);
  const grant = (await requestsItem.getValue()).find((r) => r.id === requestId)?.grant;
  if (!grant) return;
  try {
    await grantAction("extend", grant.id, button.by); // the relay's grant.extended notice tells of it
  } catch (err) {
    await showNotification(`${requestId}:extend-failed:${Date.now()}`, requestId, {
      title: "Could not extend access",
      message: (err as Error).message,
    });
  }
}

/** Body click: the resource; button click (Chromium only): extend or open. */
export function setupNotificationClicks(): void {
  browser.notifications.onClicked.addListener((id) => {
    void browser.notifications.clear(id).catch(() => {});
    void openResource(requestIdOf(id));
  });
  if (buttonsSupported()) browser.notifications.onButtonClicked.addListener((id, index) => void onButton(id, index));
}
