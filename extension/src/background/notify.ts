import { browser } from "wxt/browser";
import { buttonTitle, type NotificationButton } from "./notice-text.ts";
import { notificationButtonsItem } from "./state.ts";

/**
 * System notifications. Chromium shows buttons on them; Firefox has neither
 * buttons nor `onButtonClicked` (and may refuse the option), so a
 * notification with buttons falls back to one without, whose body click
 * does the same as "Open".
 */
export function buttonsSupported(): boolean {
  return !import.meta.env.FIREFOX && typeof browser.notifications.onButtonClicked?.addListener === "function";
}

export async function showNotification(
  id: string,
  requestId: string,
  text: { title: string; message: string },
  buttons: NotificationButton[] = [],
): Promise<void> {
  const base = { type: "basic" as const, iconUrl: browser.runtime.getURL("/icon/128.png"), title: text.title, message: text.message };
  // Remembered even where no buttons show: what a click does, and which warnings to take down when the end moves.
  if (buttons.length > 0) {
    const kept = Object.entries(await notificationButtonsItem.getValue()).slice(-19);
    await notificationButtonsItem.setValue({ ...Object.fromEntries(kept), [id]: { requestId, buttons } });
  }
  if (buttons.length > 0 && buttonsSupported()) {
    try {
      await browser.notifications.create(id, { ...base, buttons: buttons.map((b) => ({ title: buttonTitle(b) })) });
      return;
    } catch {
      // This browser refused buttons: show it without.
    }
  }
  await browser.notifications.create(id, base).catch(() => {});
}

/** The request a notification is about: ids are `<requestId>:<kind…>`. */
export function requestIdOf(notificationId: string): string {
  const i = notificationId.indexOf(":");
  return i < 0 ? notificationId : notificationId.slice(0, i);
}
