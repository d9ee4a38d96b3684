import { createServer, type Server } from "node:http";
import { Webhook } from "standardwebhooks";
import type { ProvisioningPayload } from "../src/adapters/providers/webhook.ts";
import { closeServer, listenOnLoopback } from "./peers.ts";

/**
 * A team's provisioning endpoint as the webhook provider's contract asks for
 * one (docs/provisioning.md): it verifies the Standard Webhooks signature,
 * applies each effect once by its idempotency key (a redelivery of a key it
 * has applied is answered 200 and changes nothing), and keeps the resulting
 * memberships. It counts everything, so tests can tell "exactly once" from
 * "at least once": `applied` per (grant, action) must be 1, while
 * `deliveries` may be more when a relay died after sending and before
 * recording the answer.
 */
export interface AppliedEffect {
  key: string;
  grantId: string;
  action: "grant" | "revoke" | "extend";
  email: string;
  /** When the receiver applied it (ms since the epoch). */
  at: number;
}

export class ProvisioningReceiver {
  url = "";
  /** Every delivery, including redeliveries of a key already applied. */
  deliveries = 0;
  /** Deliveries refused for a bad or missing signature. */
  rejected = 0;
  /** The effects applied, once per key, in order. */
  readonly applied: AppliedEffect[] = [];
  /** Who holds access: grant id → email. */
  readonly members = new Map<string, string>();
  /** Answer this long after applying, so a relay can die while a call is in flight. */
  delayMs: () => number = () => 0;
  readonly #seen = new Set<string>();
  readonly #verifier: Webhook;
  #server: Server;

  constructor(secret: string) {
    this.#verifier = new Webhook(secret);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.deliveries++;
        const body = Buffer.concat(chunks).toString("utf8");
        let payload: ProvisioningPayload;
        try {
          payload = this.#verifier.verify(body, {
            "webhook-id": String(req.headers["webhook-id"] ?? ""),
            "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
            "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
          }) as ProvisioningPayload;
        } catch {
          this.rejected++;
          res.writeHead(401).end();
          return;
        }
        this.#apply(payload);
        const answer = () => res.writeHead(200, { "content-type": "application/json" }).end("{}");
        const delay = this.delayMs();
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
    });
  }

  #apply(p: ProvisioningPayload): void {
    const { idempotencyKey: key, grant, user } = p.data;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const action = p.type === "grant.provision" ? "grant" : p.type === "grant.revoke" ? "revoke" : "extend";
    this.applied.push({ key, grantId: grant.id, action, email: user.email, at: Date.now() });
    if (action === "grant") this.members.set(grant.id, user.email);
    if (action === "revoke") this.members.delete(grant.id);
  }

  /** How many effects of `action` were applied per grant. */
  countsOf(action: AppliedEffect["action"]): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.applied) if (a.action === action) out.set(a.grantId, (out.get(a.grantId) ?? 0) + 1);
    return out;
  }

  async start(): Promise<void> {
    this.url = await listenOnLoopback(this.#server);
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }
}
