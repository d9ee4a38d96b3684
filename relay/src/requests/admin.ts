import { eq } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { requests } from "../db/schema/index.ts";
import { unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { endRequest } from "./decide.ts";

/**
 * An admin ends a request nobody else can: denies it (the requester reads the
 * note) or cancels it. Used for requests in `error`, whose approvers no longer
 * resolve, and for any undecided request. Returns false when the request was
 * no longer open (someone decided first).
 */
export async function adminEndRequest(
  relay: Relay,
  admin: { email: string },
  id: string,
  action: "deny" | "cancel",
  note: string,
  meta: RequestMeta,
): Promise<boolean> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    const [request] = await tx.select().from(requests).where(eq(requests.id, id)).for("update");
    if (!request) return false;
    return (await endRequest(relay, tx, request, { type: "admin_end", now, by: admin.email, action, note }, meta)) !== null;
  });
}
