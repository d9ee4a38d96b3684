import { DurationTextSchema, durationMs } from "@gatehouse/shared";
import { Webhook } from "standardwebhooks";
import { z } from "zod";
import { type Provider, type ProviderCall, ProviderError, type ProviderFactory, type ProviderResult } from "./types.ts";

/**
 * The webhook provider: the relay POSTs `grant.provision`, `grant.revoke` or
 * `grant.extend` to the team's own endpoint, signed per Standard Webhooks.
 * The `webhook-id` is the effect's idempotency key, the same on every retry,
 * so the receiver deduplicates by it. A 2xx answer means done; 202 means the
 * receiver accepted the work and will confirm it by a signed callback to
 * `POST /api/v1/provisioning/callback` before `callbackWithin` runs out.
 */
export interface WebhookProviderConfig {
  id: string;
  type: "webhook";
  url: string;
  secret: string;
  /** How long a 202 may take to be confirmed by callback (`15m`). */
  callbackWithin: string;
}

export const PROVISIONING_EVENTS = { grant: "grant.provision", revoke: "grant.revoke", extend: "grant.extend" } as const;

export interface ProvisioningPayload {
  type: (typeof PROVISIONING_EVENTS)[keyof typeof PROVISIONING_EVENTS];
  timestamp: string;
  data: {
    idempotencyKey: string;
    grant: ProviderCall["grant"];
    user: ProviderCall["user"];
    target: Record<string, string>;
    callbackUrl: string | null;
  };
}

export function provisioningPayload(call: ProviderCall, now: Date): ProvisioningPayload {
  return {
    type: PROVISIONING_EVENTS[call.action],
    timestamp: now.toISOString(),
    data: {
      idempotencyKey: call.idempotencyKey,
      grant: call.grant,
      user: call.user,
      target: call.target,
      callbackUrl: call.callbackUrl ?? null,
    },
  };
}

/** The JSON a receiver posts to the callback once it has done (or failed to do) the work it accepted with 202. */
export const ProvisioningCallbackSchema = z.object({
  idempotencyKey: z.string().min(1).max(200),
  status: z.enum(["done", "failed"]),
  detail: z.string().max(500).optional(),
});

export function webhookProvider(config: WebhookProviderConfig, now: () => Date = () => new Date()): Provider {
  const send = async (call: ProviderCall): Promise<ProviderResult> => {
    const at = now();
    const body = JSON.stringify(provisioningPayload(call, at));
    let res: Response;
    try {
      res = await fetch(config.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Gatehouse-Provisioning/1",
          "webhook-id": call.idempotencyKey,
          "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
          "webhook-signature": new Webhook(config.secret).sign(call.idempotencyKey, at, body),
        },
        body,
        signal: call.signal,
        redirect: "manual",
      });
    } catch (err) {
      throw new ProviderError(`webhook ${new URL(config.url).host}: ${networkReason(err)}`, false);
    }
    const text = (await res.text().catch(() => "")).slice(0, 200);
    if (res.status === 202)
      return { status: "pending", detail: "accepted; waiting for the callback", deadlineMs: durationMs(config.callbackWithin) ?? 900_000 };
    if (res.ok) return { status: "done" };
    const retryAfter = Number(res.headers.get("retry-after"));
    const permanent = res.status >= 300 && res.status < 500 && res.status !== 408 && res.status !== 429;
    const why = res.status === 401 || res.status === 403 ? " (the receiver refused the signature or credentials)" : "";
    throw new ProviderError(
      `webhook ${new URL(config.url).host}: HTTP ${res.status}${why} ${text}`.trim(),
      permanent,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
    );
  };
  return { type: "webhook", grant: send, revoke: send, extend: send };
}

export function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "no answer in time (timeout)";
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? "network error";
}

export const webhookProviderFactory: ProviderFactory<WebhookProviderConfig> = {
  type: "webhook",
  fields: {
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
    secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, "must be a Standard Webhooks secret: whsec_ and at least 24 base64 characters"),
    callbackWithin: DurationTextSchema.default("15m"),
  },
  secrets: ["secret"],
  target: { required: [], optional: [], open: true },
  defaultTimeoutMs: 10_000,
  create: (config) => webhookProvider(config),
};
