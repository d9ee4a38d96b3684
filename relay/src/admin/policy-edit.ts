import { readConfig } from "../config/export.ts";
import { validateConfig } from "../config/load.ts";
import { type ConfigIssue, ConfigSchema, type GatehouseConfigInput } from "../config/schema.ts";
import { lockPolicy, writeConfig } from "../config/sync.ts";
import type { Relay } from "../context.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import type { RequestMeta } from "../devices/service.ts";
import { failStrandedRequests } from "../requests/orphans.ts";

/**
 * One change an admin makes in the UI. `apply` edits a draft of the whole
 * policy (the same shape as gatehouse.yaml); the draft then goes through the
 * very check a file does, so the UI can never store what the file would refuse.
 */
export interface PolicyEdit {
  /** The audit action, e.g. `flow.updated`. */
  action: string;
  /** What was changed, for the audit trail (a flow id, an email). */
  subject: string;
  /** Edits the draft; returns the path of the edited part (for the form's errors) or problems that stop the edit. */
  apply(draft: GatehouseConfigInput): { focus: (string | number)[] } | { issues: ConfigIssue[] };
  /** The part of the policy the audit event shows before and after. */
  view(config: GatehouseConfigInput): unknown;
}

/** The policy in the database in the file's shape: what the admin pages show and edit. */
export async function readPolicy(relay: Relay): Promise<GatehouseConfigInput> {
  return readConfig(relay.database.db);
}

export type EditResult = { ok: true; strandedRequests: number } | { ok: false; issues: ConfigIssue[]; focus: (string | number)[] };

/**
 * Reads, edits, checks and writes the policy in one transaction under the
 * policy lock (two admins saving at once do not overwrite each other), with
 * an audit event naming the admin and the before and after. Pending requests
 * whose approvers the edit removed move to `error` in the same commit.
 */
export async function editPolicy(relay: Relay, actor: { email: string }, meta: RequestMeta, edit: PolicyEdit): Promise<EditResult> {
  const now = relay.clock.now();
  return unitOfWork(relay.database.db, async (tx) => {
    await lockPolicy(tx);
    const before = await readConfig(tx);
    const draft = structuredClone(before);
    const applied = edit.apply(draft);
    if ("issues" in applied) return { ok: false, issues: applied.issues, focus: [] };
    const checked = validateConfig(draft);
    if (!checked.ok) return { ok: false, issues: checked.issues, focus: applied.focus };
    const after = checked.config;
    const self = after.directory.users.find((u) => u.email === actor.email);
    if (!after.admins.includes(actor.email) || !self?.active)
      return {
        ok: false,
        issues: [{ path: [], message: "You cannot remove your own admin access here; ask another admin to do it." }],
        focus: applied.focus,
      };
    // The stored policy passed this check when it was written: filling in its defaults is enough to compare.
    const previous = ConfigSchema.safeParse(before);
    await writeConfig(tx, previous.success ? previous.data : null, after, now, "admin");
    const stranded = await failStrandedRequests(tx, now, actor.email);
    await appendAudit(tx, {
      at: now,
      actor: actor.email,
      action: edit.action,
      data: { subject: edit.subject, before: edit.view(before) ?? null, after: edit.view(draft) ?? null, strandedRequests: stranded },
      ...meta,
    });
    return { ok: true, strandedRequests: stranded.length };
  });
}
