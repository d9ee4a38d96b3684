import { ExtendBodySchema } from "@gatehouse/shared";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { Webhook } from "standardwebhooks";
import type { ProviderEntry } from "../../adapters/providers/registry.ts";
import { environmentSecrets } from "../../adapters/providers/registry.ts";
import { ProvisioningCallbackSchema } from "../../adapters/providers/webhook.ts";
import type { Relay } from "../../context.ts";
import { ProblemError } from "../../core/errors.ts";
import { outbox, settings } from "../../db/schema/index.ts";
import { recordCallback } from "../../grants/effects.ts";
import { extendGrant, releaseGrant, startGrant } from "../../grants/requester.ts";
import { PROVIDERS_SETTING } from "../../policy/snapshot.ts";
import { type AppEnv, requestMeta, requireDevice } from "../auth.ts";
import { readJson } from "../validate.ts";

/** The requester's access: start, extend, release. */
export function grantRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  const meta = (c: Parameters<typeof requestMeta>[0]) => requestMeta(c, relay.env.TRUST_PROXY);
  return new Hono<AppEnv>()
    .use("/grants/*", auth)
    .post("/grants/:id/start", async (c) => c.json(await startGrant(relay, c.get("principal"), c.req.param("id"), meta(c))))
    .post("/grants/:id/release", async (c) => c.json(await releaseGrant(relay, c.get("principal"), c.req.param("id"), meta(c))))
    .post("/grants/:id/extend", async (c) => {
      const body = await readJson(c, ExtendBodySchema);
      return c.json(await extendGrant(relay, c.get("principal"), c.req.param("id"), body.by, meta(c)));
    });
}

/**
 * `POST /provisioning/callback`: a webhook provider that answered 202
 * confirms here, signed per Standard Webhooks with the provider's own
 * secret. The body names the call by its idempotency key; the signature is
 * checked with the secret of the provider that call went to, so one
 * receiver cannot confirm another's work. A duplicate changes nothing.
 */
export function provisioningRoutes(relay: Relay) {
  return new Hono().post("/provisioning/callback", async (c) => {
    const raw = await c.req.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ProblemError("validation_failed", "The body is not JSON");
    }
    const body = ProvisioningCallbackSchema.safeParse(parsed);
    if (!body.success) throw ProblemError.fromZod(body.error);
    const { db } = relay.database;
    const [row] = await db.select().from(outbox).where(eq(outbox.key, body.data.idempotencyKey));
    if (row?.channel !== "provider") throw new ProblemError("not_found", "No provisioning call has this idempotency key");
    const [setting] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, PROVIDERS_SETTING));
    const entry = ((setting?.value as ProviderEntry[] | undefined) ?? []).find((p) => p.id === row?.to);
    if (entry?.type !== "webhook" || typeof entry.secret !== "string")
      throw new ProblemError("invalid_signature", "This call's provider does not take callbacks");
    try {
      new Webhook(environmentSecrets(entry.secret)).verify(raw, {
        "webhook-id": c.req.header("webhook-id") ?? "",
        "webhook-timestamp": c.req.header("webhook-timestamp") ?? "",
        "webhook-signature": c.req.header("webhook-signature") ?? "",
      });
    } catch {
      throw new ProblemError("invalid_signature", "The callback's signature does not verify with the provider's secret (or is too old)");
    }
    const outcome = await recordCallback(relay, row, body.data.status, body.data.detail);
    if (outcome === "not_waiting") throw new ProblemError("grant_state", "This call is not waiting for a confirmation");
    return c.json({ status: outcome });
  });
}
