import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import type { ProviderEntry } from "../../adapters/providers/registry.ts";
import { environmentSecrets } from "../../adapters/providers/registry.ts";
import type { Relay } from "../../context.ts";
import { ProblemError } from "../../core/errors.ts";
import { outbox, settings } from "../../db/schema/index.ts";
import { recordCallback } from "../../grants/effects.ts";
import { extendGrant, releaseGrant, startGrant } from "../../grants/requester.ts";
import { PROVIDERS_SETTING } from "../../policy/snapshot.ts";
import { requestMeta, requireDevice } from "../auth.ts";
import { Api, apiRoute, apiRoutes, IdParams, json, jsonBody } from "../openapi.ts";

/** The requester's access: start, extend, release. */
export function grantRoutes(relay: Relay) {
  const auth = requireDevice(relay);
  const meta = (c: Parameters<typeof requestMeta>[0]) => requestMeta(c, relay.env.TRUST_PROXY);
  return apiRoutes()
    .openapi(
      apiRoute({
        method: "post",
        path: "/grants/{id}/start",
        summary: "Start an on_start grant that waits for its requester (awaiting_start); the clock starts when the app confirms",
        auth,
        request: { params: IdParams },
        responses: { 200: json(Api.RequestView, "The request, with its grant as it is now") },
      }),
      async (c) => c.json(await startGrant(relay, c.get("principal"), c.req.valid("param").id, meta(c)), 200),
    )
    .openapi(
      apiRoute({
        method: "post",
        path: "/grants/{id}/extend",
        summary:
          "Extend active access within the flow's extend rules (by: at most extend.by, else the grant's own length; omitted: that length); with extend.reapprove, ask the flow's approvers instead (grant.extensionRequest)",
        auth,
        request: { params: IdParams, body: jsonBody(Api.ExtendBody) },
        responses: {
          200: json(Api.RequestView, "The request, with the grant's new end, or the extension request waiting for approval"),
        },
      }),
      async (c) => c.json(await extendGrant(relay, c.get("principal"), c.req.valid("param").id, c.req.valid("json").by, meta(c)), 200),
    )
    .openapi(
      apiRoute({
        method: "post",
        path: "/grants/{id}/release",
        summary: "Give access back early (active, provisioning, awaiting_start or scheduled); the provider is asked to remove it",
        auth,
        request: { params: IdParams },
        responses: { 200: json(Api.RequestView, "The request, with its grant revoking or released") },
      }),
      async (c) => c.json(await releaseGrant(relay, c.get("principal"), c.req.valid("param").id, meta(c)), 200),
    );
}

/**
 * `POST /provisioning/callback`: a webhook provider that answered 202
 * confirms here, signed per Standard Webhooks with the provider's own
 * secret. The body names the call by its idempotency key; the signature is
 * checked with the secret of the provider that call went to, so one
 * receiver cannot confirm another's work. A duplicate changes nothing.
 */
export function provisioningRoutes(relay: Relay) {
  return apiRoutes().openapi(
    apiRoute({
      method: "post",
      path: "/provisioning/callback",
      summary:
        "A webhook provider that answered 202 confirms the call (by its idempotency key), signed per Standard Webhooks with that provider's secret",
      // Checked by the signature over the raw body, not by a schema: a missing one is an invalid signature (401).
      parameters: ["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) => ({
        name,
        in: "header" as const,
        required: true,
        schema: { type: "string" as const },
      })),
      request: { body: jsonBody(Api.ProvisioningCallbackBody) },
      responses: { 200: json(Api.ProvisioningCallbackResponse, "Recorded, or a duplicate of a recorded answer") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      // The signature is over the body as sent (jsonOnly left its text cached).
      const raw = await c.req.text();
      const { db } = relay.database;
      const [row] = await db.select().from(outbox).where(eq(outbox.key, body.idempotencyKey));
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
      const outcome = await recordCallback(relay, row, body.status, body.detail);
      if (outcome === "not_waiting") throw new ProblemError("grant_state", "This call is not waiting for a confirmation");
      return c.json({ status: outcome }, 200);
    },
  );
}
