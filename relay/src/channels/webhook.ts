import { Webhook } from "standardwebhooks";
import { httpFailure } from "./http.ts";

/**
 * The generic webhook: every request and grant event as JSON, signed per the
 * Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`), so any receiver can verify it with the
 * `standardwebhooks` package. The id is the outbox row's and stays the same
 * on every retry: receivers deduplicate by it.
 */
export const WEBHOOK_EVENTS = [
  "request.created",
  "request.step_opened",
  "request.step_approved",
  "request.info_requested",
  "request.info_answered",
  "request.escalated",
  "request.reminded",
  "request.decided",
  "grant.started",
  "grant.extended",
  "grant.failed",
  "grant.ended",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookPayload {
  type: WebhookEvent;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Posts one event; the signature covers the id, the timestamp and the exact body. */
export async function sendWebhook(url: string, secret: string, id: string, payload: WebhookPayload, now: Date): Promise<void> {
  const body = JSON.stringify(payload);
  const signature = new Webhook(secret).sign(id, now, body);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "Gatehouse-Webhooks/1",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw await httpFailure(res, "webhook");
}
