import { createHash, randomUUID } from "node:crypto";
import { eq, getTableColumns, inArray, notInArray, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { chunks } from "../db/chunks.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, groups, memberships, settings, users } from "../db/schema/index.ts";
import { appendAudit, unitOfWork } from "../db/unit-of-work.ts";
import { saveDetectionRules } from "../detection/rules.ts";
import { invalidate } from "../invalidation.ts";
import {
  APPROVALS_SETTING,
  FALLBACK_SETTING,
  GRANTS_SETTING,
  POLICY_VERSION_SETTING,
  PROVIDERS_SETTING,
  RESOURCE_OWNERS_SETTING,
  RESOURCE_TAGS_SETTING,
} from "../policy/snapshot.ts";
import { failStrandedRequests } from "../requests/orphans.ts";
import type { GatehouseConfig } from "./schema.ts";
import { directoryFields, flowDefinition } from "./snapshot.ts";

/** The hash of the config file last applied at start (boot.ts applies a file only when it changed). */
export const CONFIG_FILE_SETTING = "config_file";

export const configFileHash = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * Makes the database match a whole config, in one transaction, and records
 * it: what a start with a changed file, `gatehouse import` and the admin UI's
 * YAML import do. People are never deleted (requests and audit events name
 * them): a person dropped from the file is deactivated.
 */
export async function applyConfig(
  db: Db,
  config: GatehouseConfig,
  clock: Clock,
  opts: { actor?: string; fileHash?: string; meta?: { ip: string | null; userAgent: string | null } } = {},
): Promise<void> {
  const now = clock.now();
  await unitOfWork(db, async (tx) => {
    await lockPolicy(tx);
    await writeConfig(tx, null, config, now, opts.actor && opts.actor !== "config" ? "admin" : "config");
    if (opts.fileHash) await putSetting(tx, CONFIG_FILE_SETTING, { sha256: opts.fileHash, appliedAt: now.toISOString() }, now);
    const stranded = await failStrandedRequests(tx, now);
    await appendAudit(tx, {
      at: now,
      actor: opts.actor ?? "config",
      action: "config.applied",
      data: {
        users: config.directory.users.length,
        groups: config.directory.groups.length,
        flows: config.flows.map((f) => f.id),
        detectionRules: config.detection.rules.length,
        strandedRequests: stranded.length,
        ...(opts.fileHash ? { fileSha256: opts.fileHash } : {}),
      },
      ...opts.meta,
    });
  });
}

/** One policy writer at a time: an edit reads, checks and writes the policy as of its lock. */
export async function lockPolicy(tx: Tx): Promise<void> {
  await tx.execute("select pg_advisory_xact_lock(7202612)");
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Writes what differs between `before` (the stored policy, or null to write
 * everything) and `after`, inside the caller's transaction. An edit of one
 * flow rewrites the flows, not 20,000 people.
 */
/** On a conflict (the email exists), every directory field from the new row; `source` stays what it was. */
const UPSERT_USER = Object.fromEntries(
  (["name", "managerEmail", "timezone", "active", "isAdmin", "accounts", "updatedAt"] as const).map((key) => [
    key,
    sql.raw(`excluded.${getTableColumns(users)[key].name}`),
  ]),
);

/**
 * Every write of the policy or the directory says so, in its transaction:
 * readers rebuild their cached snapshot when the version changes
 * (policy/snapshot.ts), and every instance drops its snapshot and its
 * authenticated devices (a person may have been deactivated) once it commits.
 */
export async function policyChanged(tx: Tx, now: Date): Promise<void> {
  await putSetting(tx, POLICY_VERSION_SETTING, { v: randomUUID() }, now);
  await invalidate(tx, "policy");
}

export async function writeConfig(
  tx: Tx,
  before: GatehouseConfig | null,
  after: GatehouseConfig,
  now: Date,
  source: "config" | "admin",
): Promise<void> {
  await policyChanged(tx, now);
  const admins = new Set(after.admins);
  const wasAdmin = new Set(before?.admins ?? []);
  const previous = new Map((before?.directory.users ?? []).map((u) => [u.email, u]));
  const changed = after.directory.users.filter((u) => {
    const old = previous.get(u.email);
    return !(before && old && same(old, u) && wasAdmin.has(u.email) === admins.has(u.email));
  });
  // A thousand people per statement, not one: applying a 20,000-person file is 20 upserts.
  for (const part of chunks(changed)) {
    await tx
      .insert(users)
      .values(part.map((u) => ({ ...directoryFields(u, admins.has(u.email)), updatedAt: now, source })))
      .onConflictDoUpdate({ target: users.email, set: UPSERT_USER });
  }
  const emails = after.directory.users.map((u) => u.email);
  if (!before) {
    await tx
      .update(users)
      .set({ active: false, isAdmin: false, updatedAt: now })
      .where(emails.length ? notInArray(users.email, emails) : undefined);
  } else {
    const kept = new Set(emails);
    const dropped = before.directory.users.map((u) => u.email).filter((e) => !kept.has(e));
    if (dropped.length) await tx.update(users).set({ active: false, isAdmin: false, updatedAt: now }).where(inArray(users.email, dropped));
  }

  if (!before || !same(before.directory.groups, after.directory.groups)) {
    const ids = new Map((await tx.select({ id: users.id, email: users.email }).from(users)).map((u) => [u.email, u.id]));
    await tx.delete(memberships);
    const groupIds = after.directory.groups.map((g) => g.id);
    if (groupIds.length) await tx.delete(groups).where(notInArray(groups.id, groupIds));
    else await tx.delete(groups);
    for (const g of after.directory.groups) {
      await tx
        .insert(groups)
        .values({ id: g.id, name: g.name, source })
        .onConflictDoUpdate({ target: groups.id, set: { name: g.name } });
      const rows = [...new Set(g.members)].map((m) => ({ groupId: g.id, userId: ids.get(m) as string }));
      if (rows.length) await tx.insert(memberships).values(rows);
    }
  }

  if (!before || !same(before.flows, after.flows)) {
    await tx.delete(accessFlows);
    if (after.flows.length) {
      await tx.insert(accessFlows).values(
        after.flows.map((f, i) => ({
          id: f.id,
          name: f.name,
          priority: i,
          enabled: f.enabled,
          definition: flowDefinition(f),
          updatedAt: now,
        })),
      );
    }
  }
  if (!before || !same(before.fallback, after.fallback)) await putSetting(tx, FALLBACK_SETTING, after.fallback, now);
  if (!before || !same(before.resourceTags, after.resourceTags)) await putSetting(tx, RESOURCE_TAGS_SETTING, after.resourceTags, now);
  if (!before || !same(before.approvals, after.approvals)) await putSetting(tx, APPROVALS_SETTING, after.approvals, now);
  if (!before || !same(before.resourceOwners, after.resourceOwners))
    await putSetting(tx, RESOURCE_OWNERS_SETTING, after.resourceOwners, now);
  if (!before || !same(before.detection, after.detection)) await saveDetectionRules(tx, after.detection.rules, now);
  if (!before || !same(before.providers, after.providers)) await putSetting(tx, PROVIDERS_SETTING, after.providers, now);
  if (!before || !same(before.grants, after.grants)) await putSetting(tx, GRANTS_SETTING, after.grants, now);
}

export async function putSetting(tx: Tx, key: string, value: unknown, now: Date): Promise<void> {
  await tx
    .insert(settings)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}

/** The hash of the config file applied last, if any. */
export async function appliedFileHash(db: Db): Promise<string | null> {
  const [row] = await db.select().from(settings).where(eq(settings.key, CONFIG_FILE_SETTING));
  return (row?.value as { sha256?: string } | undefined)?.sha256 ?? null;
}
