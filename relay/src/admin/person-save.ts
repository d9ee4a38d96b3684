import { eq } from "drizzle-orm";
import { type ConfigIssue, isTimeZone, userSchema } from "../config/schema.ts";
import { directoryFields } from "../config/snapshot.ts";
import { lockPolicy, policyChanged } from "../config/sync.ts";
import type { Relay } from "../context.ts";
import { users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { failStrandedRequests } from "../requests/orphans.ts";
import type { EditResult } from "./policy-edit.ts";

type PersonInput = { email: string; name: string; timezone?: string; active?: boolean; manager?: string };

/**
 * Saves one person of the directory from the admin UI, as a row-level
 * command: the row is checked on its own (its fields, and its references by
 * indexed lookups — the manager exists, the email is free) instead of reading,
 * editing and re-checking the whole directory, and only the undecided requests
 * this person takes part in (as requester, whose manager may have changed, or
 * as approver) are checked for approvers who no longer resolve, instead of
 * every one. The same lock, audit event and problems as a whole-policy edit.
 */
export async function savePerson(
  relay: Relay,
  actor: { email: string },
  meta: RequestMeta,
  originalEmail: string | null,
  input: PersonInput,
  admin: boolean,
): Promise<EditResult> {
  const now = relay.clock.now();
  // Problems about a field sit under the edited row, as the whole-policy check reports them.
  const focus = ["directory", "users", 0];
  const problem = (issues: ConfigIssue[], under = focus): EditResult => ({ ok: false, issues, focus: under });
  return unitOfWork(relay.database.db, async (tx) => {
    await lockPolicy(tx);
    const parsed = userSchema.safeParse(originalEmail ? { ...input, email: originalEmail } : input);
    if (!parsed.success)
      return problem(
        parsed.error.issues.map((i) => ({ path: [...focus, ...i.path.map((p) => p as string | number)], message: i.message })),
      );
    const person = parsed.data;
    const [existing] = await tx.select().from(users).where(eq(users.email, person.email));
    if (originalEmail === null && existing)
      return problem([{ path: ["email"], message: `${person.email} is already in the directory` }], []);
    if (originalEmail !== null && !existing) return problem([{ path: [], message: `${originalEmail} no longer exists` }], []);
    const issues: ConfigIssue[] = [];
    if (person.manager) {
      const [manager] = await tx.select({ id: users.id }).from(users).where(eq(users.email, person.manager));
      if (!manager) issues.push({ path: [...focus, "manager"], message: `unknown user '${person.manager}'` });
    }
    if (!isTimeZone(person.timezone)) issues.push({ path: [...focus, "timezone"], message: `unknown time zone '${person.timezone}'` });
    if (issues.length) return problem(issues);
    if (person.email === actor.email && (!admin || !person.active))
      return problem([{ path: [], message: "You cannot remove your own admin access here; ask another admin to do it." }]);

    // Accounts in other systems are not on the form: kept as they are.
    const fields = directoryFields({ ...person, accounts: existing?.accounts ?? person.accounts }, admin);
    const [saved] = await tx
      .insert(users)
      .values({ ...fields, updatedAt: now, source: "admin" })
      .onConflictDoUpdate({ target: users.email, set: { ...fields, updatedAt: now } })
      .returning();
    if (!saved) throw new Error("upsert returned nothing");
    await policyChanged(tx, now);
    const stranded = existing ? await failStrandedRequests(tx, now, actor.email, { involving: saved.id }) : [];
    const view = (u: typeof saved | undefined) =>
      u
        ? {
            email: u.email,
            name: u.name,
            timezone: u.timezone,
            active: u.active,
            ...(u.managerEmail ? { manager: u.managerEmail } : {}),
            admin: u.isAdmin,
          }
        : null;
    await appendAudit(tx, {
      at: now,
      actor: actor.email,
      action: existing ? "user.updated" : "user.created",
      data: { subject: person.email, before: view(existing), after: view(saved), strandedRequests: stranded },
      ...meta,
    });
    return { ok: true, strandedRequests: stranded.length };
  });
}
