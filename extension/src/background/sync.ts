import type { Notice, RequestView } from "@gatehouse/shared";
import { NoticeSchema } from "@gatehouse/shared";
import { createParser } from "eventsource-parser";
import { browser } from "wxt/browser";
import { sendMessage } from "../messaging.ts";
import { describeNotice, noticeButtons, noticeKey, notifies } from "./notice-text.ts";
import { showNotification } from "./notify.ts";
import { RelayError } from "./relay-client.ts";
import { syncDetectionRules } from "./rules.ts";
import { isSignedIn, relayClient, signOut } from "./session.ts";
import { cursorItem, notificationButtonsItem, requestsItem, requestTabsItem, shownItem } from "./state.ts";

/**
 * Keeps the extension in step with the relay. Correctness never depends on the
 * live stream (the MV3 worker may be stopped at any time): every wake-up
 * (startup, alarm, message) replays notices from the stored cursor. The live
 * SSE stream only makes delivery immediate while the worker runs.
 */
export const EXPIRY_ALARM_PREFIX = "grant-end:";

let stream: AbortController | null = null;
let backoffMs = 1000;
/** While the live stream is connected, the cache is current; else it is as of the last replay or refresh. */
let streamConnected = false;
let lastSyncedAt = 0;
const CACHE_MAX_AGE_MS = 30_000;

/** Puts a request's latest view first in the cached list (newest first, at most 50). */
export async function cacheRequest(request: RequestView): Promise<void> {
  const requests = await requestsItem.getValue();
  await requestsItem.setValue([request, ...requests.filter((r) => r.id !== request.id)].slice(0, 50));
}

/** Applies one notice: cache, tab, system notification, local expiry alarm. */
async function applyNotice(notice: Notice): Promise<void> {
  await cacheRequest(notice.request);
  await scheduleExpiry(notice.request);
  await announce(notice.request, notice.kind, notice.id);
  if ((await cursorItem.getValue()) < notice.id) await cursorItem.setValue(notice.id);
}

/** The tabs that show a request (the one it came from, and panels that show its grant), newest first. */
export async function tabsOf(requestId: string): Promise<number[]> {
  const v = (await requestTabsItem.getValue())[requestId];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Tells the person once per event: a system notification and the panel in
 * the tabs that show the request (which offers "Reload to continue").
 */
export async function announce(request: RequestView, kind: string, noticeId?: number): Promise<void> {
  const key = noticeKey(request, kind, noticeId);
  for (const tabId of await tabsOf(request.id)) await sendMessage("requestUpdate", { request, kind }, tabId).catch(() => {});
  if (kind === "grant.extended" || kind === "grant.ending" || kind === "grant.ended") await clearWarnings(request.id);
  const shown = await shownItem.getValue();
  if (shown.includes(key)) return;
  await shownItem.setValue([...shown, key].slice(-200));
  if (!notifies(request, kind)) return;
  await showNotification(key, request.id, describeNotice(request, kind), noticeButtons(request, kind));
}

/** Takes down the "ending soon" notifications of a request once its end moved or came. */
async function clearWarnings(requestId: string): Promise<void> {
  const all = await notificationButtonsItem.getValue();
  const ids = Object.keys(all).filter((id) => id.startsWith(`${requestId}:grant.expiring`));
  if (ids.length === 0) return;
  for (const id of ids) await browser.notifications.clear(id).catch(() => {});
  await notificationButtonsItem.setValue(Object.fromEntries(Object.entries(all).filter(([id]) => !ids.includes(id))));
}

/** A local alarm at the grant's end, so the expiry notice appears even if the relay is unreachable. */
export async function scheduleExpiry(request: RequestView): Promise<void> {
  const g = request.grant;
  if (g?.state !== "active" || !g.endsAt) return;
  await browser.alarms.create(`${EXPIRY_ALARM_PREFIX}${request.id}`, { when: new Date(g.endsAt).getTime() });
}

export async function onExpiryAlarm(requestId: string): Promise<void> {
  const requests = await requestsItem.getValue();
  const request = requests.find((r) => r.id === requestId);
  const grant = request?.grant;
  if (!request || grant?.state !== "active" || !grant.endsAt) return;
  // Extended since the alarm was set (and the alarm not moved): wait for the new end.
  if (new Date(grant.endsAt).getTime() > Date.now() + 1000) return scheduleExpiry(request);
  const ended: RequestView = {
    ...request,
    grant: { ...grant, state: "expired", endedAt: grant.endsAt, endReason: grant.endReason ?? "expired", extend: null },
  };
  await requestsItem.setValue(requests.map((r) => (r.id === requestId ? ended : r)));
  await announce(ended, "grant.ended");
  void replay();
}

let replaying: Promise<void> | null = null;

/** Fetches every notice after the cursor. Safe to call often; calls coalesce. */
export function replay(): Promise<void> {
  replaying ??= (async () => {
    try {
      if (!(await isSignedIn())) return;
      const client = await relayClient();
      for (;;) {
        const page = await client.notices(await cursorItem.getValue());
        for (const n of page.notices) await applyNotice(n);
        if (page.notices.length < 100) break;
      }
      lastSyncedAt = Date.now();
    } catch (err) {
      await handleAuthError(err);
    } finally {
      replaying = null;
    }
  })();
  return replaying;
}

async function handleAuthError(err: unknown): Promise<void> {
  if (err instanceof RelayError && err.code === "unauthenticated") await signOut();
}

/** Opens the live stream if none is open; reconnects with backoff when it drops. */
export async function ensureLive(): Promise<void> {
  if (stream || !(await isSignedIn())) return;
  const controller = new AbortController();
  stream = controller;
  void (async () => {
    try {
      const client = await relayClient();
      const body = await client.openStream(await cursorItem.getValue(), controller.signal);
      backoffMs = 1000;
      streamConnected = true;
      const queue: Notice[] = [];
      let draining: Promise<void> = Promise.resolve();
      const parser = createParser({
        onEvent(event) {
          if (event.event === "ready") {
            const version = (JSON.parse(event.data) as { rulesVersion?: unknown }).rulesVersion;
            if (typeof version === "string") void syncDetectionRules(version);
            return;
          }
          if (event.event !== "notice") return;
          const parsed = NoticeSchema.safeParse(JSON.parse(event.data));
          if (!parsed.success) return;
          queue.push(parsed.data);
          draining = draining.then(async () => {
            const n = queue.shift();
            if (n && n.id > (await cursorItem.getValue())) await applyNotice(n);
          });
        },
      });
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
      await draining;
    } catch (err) {
      await handleAuthError(err);
      backoffMs = Math.min(backoffMs * 2, 30_000);
    } finally {
      if (stream === controller) {
        stream = null;
        streamConnected = false;
      }
      if (!controller.signal.aborted) setTimeout(() => void ensureLive(), backoffMs);
    }
  })();
}

export function stopLive(): void {
  stream?.abort();
  stream = null;
  streamConnected = false;
}

/** Remembers a tab that shows a request (it asked, or its panel shows the grant), so updates land there. */
export async function rememberTab(requestId: string, tabId: number | undefined): Promise<void> {
  if (tabId === undefined) return;
  const tabs = [tabId, ...(await tabsOf(requestId)).filter((t) => t !== tabId)].slice(0, 5);
  const others = Object.entries(await requestTabsItem.getValue()).filter(([id]) => id !== requestId);
  await requestTabsItem.setValue(Object.fromEntries([...others.slice(-99), [requestId, tabs]]));
}

export async function refreshRequests(): Promise<RequestView[]> {
  const list = await (await relayClient()).listRequests();
  await requestsItem.setValue(list);
  lastSyncedAt = Date.now();
  for (const r of list) await scheduleExpiry(r);
  return list;
}

const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);

/**
 * The cached requests, current enough to show on a page: current while the
 * live stream is connected, else as of the last replay or refresh; older
 * than ~30 s, they are listed again (at most a few seconds' wait, else the
 * cache as it is). No relay call at all while the cache is current.
 */
export async function currentRequests(): Promise<RequestView[]> {
  if (replaying) await within(replaying, 3000).catch(() => {});
  if (!streamConnected && Date.now() - lastSyncedAt > CACHE_MAX_AGE_MS && (await isSignedIn())) {
    try {
      return await within(refreshRequests(), 3000);
    } catch (err) {
      await handleAuthError(err);
    }
  }
  return requestsItem.getValue();
}
