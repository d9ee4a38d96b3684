import type { UserSummary } from "@gatehouse/shared";
import { RelayClient, RelayError } from "./relay-client.ts";
import { cursorItem, detectionRulesItem, lastErrorItem, pendingSignInItem, relayUrlItem, requestsItem, userItem } from "./state.ts";
import { tokenStore } from "./token-store.ts";

/** A client for the configured relay, signed in when a token is stored. */
export async function relayClient(): Promise<RelayClient> {
  return new RelayClient(await relayUrlItem.getValue(), await tokenStore.get());
}

export async function isSignedIn(): Promise<boolean> {
  return !!(await tokenStore.get()) && !!(await userItem.getValue());
}

/**
 * Starts the device sign-in: the relay mails a link; we poll until the person
 * confirms it (or it expires). The poll is also resumed by the sync alarm, so a
 * worker stopped mid-way picks it up again.
 */
export async function startSignIn(relayUrl: string, email: string, onSignedIn: () => void): Promise<{ userCode: string }> {
  const client = new RelayClient(relayUrl);
  const started = await client.authorizeDevice(
    email,
    `Browser extension (${navigator.userAgent.match(/(Chrome|Firefox)\/[0-9]+/)?.[0] ?? "browser"})`,
  );
  await relayUrlItem.setValue(relayUrl.replace(/\/$/, ""));
  await pendingSignInItem.setValue({
    email,
    userCode: started.userCode,
    deviceCode: started.deviceCode,
    expiresAt: Date.now() + started.expiresIn * 1000,
    intervalMs: started.interval * 1000,
  });
  await lastErrorItem.setValue(null);
  void pollSignIn(onSignedIn);
  return { userCode: started.userCode };
}

let polling = false;

/** Polls the relay for the device token while a sign-in is pending. */
export async function pollSignIn(onSignedIn: () => void): Promise<void> {
  if (polling) return;
  polling = true;
  try {
    for (;;) {
      const pending = await pendingSignInItem.getValue();
      if (!pending) return;
      if (Date.now() > pending.expiresAt) {
        await pendingSignInItem.setValue(null);
        await lastErrorItem.setValue("The sign-in link expired. Start again.");
        return;
      }
      try {
        const res = await new RelayClient(await relayUrlItem.getValue()).pollDeviceToken(pending.deviceCode);
        if (res.status === "paired") {
          await completeSignIn(res.token, res.user);
          onSignedIn();
          return;
        }
      } catch (err) {
        if (err instanceof RelayError && err.code !== "network") {
          await pendingSignInItem.setValue(null);
          await lastErrorItem.setValue(err.message);
          return;
        }
      }
      await new Promise((r) => setTimeout(r, pending.intervalMs));
    }
  } finally {
    polling = false;
  }
}

async function completeSignIn(token: string, user: UserSummary): Promise<void> {
  await tokenStore.set(token);
  await userItem.setValue(user);
  await cursorItem.setValue(0);
  await requestsItem.setValue([]);
  await pendingSignInItem.setValue(null);
  await lastErrorItem.setValue(null);
}

export async function signOut(): Promise<void> {
  const client = await relayClient();
  await client.signOut().catch(() => {}); // signed out locally even if the relay is unreachable
  await tokenStore.clear();
  await userItem.setValue(null);
  await requestsItem.setValue([]);
  await cursorItem.setValue(0);
  await detectionRulesItem.setValue(null); // another relay may have other rules
}
