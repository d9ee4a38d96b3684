import { DetectionSchema } from "@gatehouse/shared";
import { browser } from "wxt/browser";
import { onMessage, type Result, sendMessage } from "../messaging.ts";
import { updateBadge, watchBadge } from "./badge.ts";
import { grantAction, grantStatus, setupNotificationClicks } from "./grants.ts";
import { RelayError } from "./relay-client.ts";
import { syncDetectionRules } from "./rules.ts";
import { isSignedIn, pollSignIn, relayClient, signOut, startSignIn } from "./session.ts";
import { detectionRulesItem, lastErrorItem, pendingSignInItem, relayUrlItem, userItem } from "./state.ts";
import { cacheRequest, EXPIRY_ALARM_PREFIX, ensureLive, onExpiryAlarm, refreshRequests, rememberTab, replay, stopLive } from "./sync.ts";

const SYNC_ALARM = "sync";

async function result<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof RelayError) return { ok: false, problem: { code: err.code, title: err.title, detail: err.message } } as Result<T>;
    return { ok: false, problem: { code: "internal", title: "Something went wrong", detail: (err as Error).message } } as Result<T>;
  }
}

const onSignedIn = () => {
  void syncDetectionRules();
  void replay();
  void ensureLive();
};

/** Answers the UI (content script, popup, options); only here is the relay called. */
export function setupMessages(): void {
  onMessage("getSession", async () => {
    const pending = await pendingSignInItem.getValue();
    const rules = await detectionRulesItem.getValue();
    return {
      relayUrl: await relayUrlItem.getValue(),
      user: (await isSignedIn()) ? await userItem.getValue() : null,
      pendingSignIn: pending ? { email: pending.email, userCode: pending.userCode, expiresAt: pending.expiresAt } : null,
      lastError: await lastErrorItem.getValue(),
      detectionRules: rules ? { active: rules.rules.length, problems: rules.problems.map(({ app, message }) => ({ app, message })) } : null,
    };
  });
  onMessage("startSignIn", ({ data }) => result(() => startSignIn(data.relayUrl, data.email, onSignedIn)));
  onMessage("signOut", async () => {
    stopLive();
    await signOut();
  });
  onMessage("openOptions", () => browser.runtime.openOptionsPage());
  onMessage("preview", ({ data }) => result(async () => (await relayClient()).preview(data)));
  onMessage("submitRequest", ({ data, sender }) =>
    result(async () => {
      const view = await (await relayClient()).createRequest(data);
      await rememberTab(view.id, sender.tab?.id);
      await cacheRequest(view);
      void ensureLive();
      return view;
    }),
  );
  onMessage("listRequests", () => result(refreshRequests));
  onMessage("answerQuestion", ({ data }) =>
    result(async () => {
      const view = await (await relayClient()).answer(data.requestId, data.answer);
      await cacheRequest(view);
      return view;
    }),
  );
  onMessage("grantStatus", ({ data, sender }) => grantStatus(data, sender.tab?.id).catch(() => null));
  onMessage("startGrant", ({ data, sender }) =>
    result(async () => {
      const view = await grantAction("start", data.grantId);
      await rememberTab(view.id, sender.tab?.id);
      return view;
    }),
  );
  onMessage("extendGrant", ({ data, sender }) =>
    result(async () => {
      const view = await grantAction("extend", data.grantId, data.by);
      await rememberTab(view.id, sender.tab?.id);
      return view;
    }),
  );
  onMessage("releaseGrant", ({ data }) => result(() => grantAction("release", data.grantId)));
  // A denial inside an embedded frame is shown by the tab's top frame; the report is checked here, where pages cannot reach.
  onMessage("frameDetection", async ({ data, sender }) => {
    const tabId = sender.tab?.id;
    const frameId = sender.frameId;
    if (tabId === undefined || !frameId) return;
    const parsed = DetectionSchema.nullable().safeParse(data.detection);
    if (!parsed.success) return;
    await sendMessage("showFrameDetection", { frameId, detection: parsed.data }, { tabId, frameId: 0 }).catch(() => {
      // The top frame has no content script (a browser page, an extension page): nothing shows the panel.
    });
  });
  onMessage("cancelRequest", ({ data }) =>
    result(async () => {
      const view = await (await relayClient()).cancel(data.requestId);
      await cacheRequest(view);
      return view;
    }),
  );
}

/** Everything a wake-up does: resume a pending sign-in, replay from the cursor, reopen the live stream, redraw the badge. */
function wake(): void {
  void updateBadge();
  void pollSignIn(onSignedIn);
  void replay();
  void ensureLive();
}

/**
 * Wake-ups: every start of the worker, the periodic alarm and each grant's
 * local end alarm. The onStartup listener is what starts the worker when the
 * browser starts; the work itself is the same wake(). The badge follows the
 * requests cache; notification clicks are listened for from the start.
 */
export function setupSync(): void {
  watchBadge();
  setupNotificationClicks();
  browser.alarms.create(SYNC_ALARM, { periodInMinutes: 1 });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name.startsWith(EXPIRY_ALARM_PREFIX)) void onExpiryAlarm(alarm.name.slice(EXPIRY_ALARM_PREFIX.length)).then(updateBadge);
    wake();
  });
  browser.runtime.onStartup.addListener(wake);
  wake();
}
