import type { Notice, RequestView } from "@gatehouse/shared";
import { NoticeSchema } from "@gatehouse/shared";
import { createParser } from "eventsource-parser";
import { browser } from "wxt/browser";
import { sendMessage } from "../messaging.ts";
import { describeNotice } from "./notice-text.ts";
import { RelayError } from "./relay-client.ts";
import { syncDetectionRules } from "./rules.ts";
import { isSignedIn, relayClient, signOut } from "./session.ts";
import { cursorItem, requestsItem, requestTabsItem, shownItem } from "./state.ts";

/**
 * Keeps the extension in step with the relay. Correctness never depends on the
 * live stream (the MV3 worker may be stopped at any time): every wake-up
 * (startup, alarm, message) replays notices from the stored cursor. The live
 * SSE stream only makes delivery immediate while the worker runs.
 */
export const EXPIRY_ALARM_PREFIX = "grant-end:";

let stream: AbortController | null = null;
let backoffMs = 1000;

/** Puts a request's latest view first in the cached list (newest first, at most 50). */
export async function cacheRequest(request: RequestView): Promise<void> {
  const requests = await requestsItem.getValue();
  await requestsItem.setValue([request, ...requests.filter((r) => r.id !== request.id)].slice(0, 50));
}

/** Applies one notice: cache, tab, system notification, local expiry alarm. */
async function applyNotice(notice: Notice): Promise<void> {
  await cacheRequest(notice.request);
  await scheduleExpiry(notice.request);
  await announce(notice.request, notice.kind);
  if ((await cursorItem.getValue()) < notice.id) await cursorItem.setValue(notice.id);
}

/**
 * Tells the person once per event: a system notification and the panel in
 * the tab the request came from (which offers "Reload to continue").
 */
export async function announce(request: RequestView, kind: string): Promise<void> {
  const key = `${request.id}:${kind === "grant.ended" ? "ended" : kind}`;
  const shown = await shownItem.getValue();
  const tabs = await requestTabsItem.getValue();
  const tabId = tabs[request.id];
  if (tabId !== undefined) await sendMessage("requestUpdate", { request, kind }, tabId).catch(() => {});
  if (shown.includes(key)) return;
  await shownItem.setValue([...shown, key].slice(-200));
  const text = describeNotice(request, kind);
  await browser.notifications
    .create(key, { type: "basic", iconUrl: browser.runtime.getURL("/icon/128.png"), title: text.title, message: text.message })
    .catch(() => {});
}

/** A local alarm at the grant's end, so the expiry notice appears even if the relay is unreachable. */
async function scheduleExpiry(request: RequestView): Promise<void> {
  const g = request.grant;
  if (g?.state !== "active" || !g.endsAt) return;
  await browser.alarms.create(`${EXPIRY_ALARM_PREFIX}${request.id}`, { when: new Date(g.endsAt).getTime() });
}

export async function onExpiryAlarm(requestId: string): Promise<void> {
  const requests = await requestsItem.getValue();
  const request = requests.find((r) => r.id === requestId);
  const grant = request?.grant;
  if (!request || grant?.state !== "active") return;
  const ended: RequestView = { ...request, grant: { ...grant, state: "expired", endedAt: grant.endsAt } };
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
      if (stream === controller) stream = null;
      if (!controller.signal.aborted) setTimeout(() => void ensureLive(), backoffMs);
    }
  })();
}

export function stopLive(): void {
  stream?.abort();
  stream = null;
}

/** Remembers which tab asked, so the answer lands there. */
export async function rememberTab(requestId: string, tabId: number | undefined): Promise<void> {
  if (tabId === undefined) return;
  await requestTabsItem.setValue({ ...(await requestTabsItem.getValue()), [requestId]: tabId });
}

export async function refreshRequests(): Promise<RequestView[]> {
  const list = await (await relayClient()).listRequests();
  await requestsItem.setValue(list);
  for (const r of list) await scheduleExpiry(r);
  return list;
}
