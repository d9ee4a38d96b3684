import { asc, eq, inArray } from "drizzle-orm";
import {
  type ApprovalSettings,
  DEFAULT_APPROVAL_SETTINGS,
  DEFAULT_GRANT_SETTINGS,
  FALLBACK_MAX_CEILING,
  type FallbackSettings,
  type GrantSettings,
  type PolicySnapshot,
  type ResourceOwner,
  type ResourceTag,
} from "../core/policy/model.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, groups, memberships, settings, users } from "../db/schema/index.ts";
import { invalidationsHeard, onInvalidate } from "../invalidation.ts";

export const FALLBACK_SETTING = "fallback";
/** Resource owners live beside the fallback as a setting until the admin UI edits them row by row. */
export const RESOURCE_OWNERS_SETTING = "resource_owners";
export const APPROVALS_SETTING = "approvals";
export const RESOURCE_TAGS_SETTING = "resource_tags";
/** The `providers:` entries, credentials as references only (adapters/providers/registry.ts). */
export const PROVIDERS_SETTING = "providers";
export const GRANTS_SETTING = "grants";

/**
 * Bumped (to a fresh random value) by every write of the policy or the
 * directory, in the writing transaction: a reader that sees the same version
 * may reuse the snapshot it built, whichever relay instance made the change.
 */
export const POLICY_VERSION_SETTING = "policy_version";

const cached = new WeakMap<Db, { version: string; snapshot: PolicySnapshot; generation: number; checkedAt: number }>();
/** Bumped whenever any instance changes the policy or the directory (invalidation.ts). */
let generation = 0;
onInvalidate((topic) => {
  if (topic === "policy" || topic === "*") generation++;
});
/**
 * How long a snapshot is used without asking for the version, while
 * invalidations are heard: a change anywhere drops it at once, so this only
 * bounds the cost of a NOTIFY that never came.
 */
const TRUST_MS = 5_000;

/**
 * The policy as of now, for a request or a preview. Cached per database and
 * used as it is while no change was announced (invalidation.ts); else one
 * small query for the version, and the whole snapshot (20,000 people, say)
 * only when it changed. Snapshots are immutable, so one is shared by every
 * request that reads it.
 */
export async function currentPolicySnapshot(db: Db): Promise<PolicySnapshot> {
  const hit = cached.get(db);
  const now = Date.now();
  if (hit && hit.generation === generation && invalidationsHeard() && now - hit.checkedAt < TRUST_MS) return hit.snapshot;
  const seen = generation;
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, POLICY_VERSION_SETTING));
  const version = String((row?.value as { v?: string } | undefined)?.v ?? "none");
  if (hit?.version === version) {
    cached.set(db, { ...hit, generation: seen, checkedAt: now });
    return hit.snapshot;
  }
  const snapshot = await loadPolicySnapshot(db);
  cached.set(db, { version, snapshot, generation: seen, checkedAt: now });
  return snapshot;
}

/** Reads everything policy evaluation needs in one go (inside a transaction, as it stands there). */
export async function loadPolicySnapshot(db: Db | Tx): Promise<PolicySnapshot> {
  const [userRows, groupRows, memberRows, flowRows, settingRows] = await Promise.all([
    db.select().from(users),
    db.select().from(groups),
    db.select({ groupId: memberships.groupId, email: users.email }).from(memberships).innerJoin(users, eq(users.id, memberships.userId)),
    db.select().from(accessFlows).orderBy(asc(accessFlows.priority)),
    db
      .select()
      .from(settings)
      .where(inArray(settings.key, [FALLBACK_SETTING, RESOURCE_OWNERS_SETTING, APPROVALS_SETTING, RESOURCE_TAGS_SETTING])),
  ]);
  const groupsMap = new Map<string, string[]>(groupRows.map((g) => [g.id, []]));
  for (const m of memberRows) groupsMap.get(m.groupId)?.push(m.email);
  return {
    usersByEmail: new Map(userRows.map((u) => [u.email, u])),
    groups: groupsMap,
    flows: flowRows,
    fallback: (settingRows.find((r) => r.key === FALLBACK_SETTING)?.value as FallbackSettings | undefined) ?? {
      enabled: true,
      max: FALLBACK_MAX_CEILING,
    },
    resourceOwners: (settingRows.find((r) => r.key === RESOURCE_OWNERS_SETTING)?.value as ResourceOwner[] | undefined) ?? [],
    resourceTags: (settingRows.find((r) => r.key === RESOURCE_TAGS_SETTING)?.value as ResourceTag[] | undefined) ?? [],
    approvals: (settingRows.find((r) => r.key === APPROVALS_SETTING)?.value as ApprovalSettings | undefined) ?? DEFAULT_APPROVAL_SETTINGS,
  };
}

/** The relay-wide approval settings (reminders, deadlines, default channels). */
export async function loadApprovalSettings(q: Db | Tx): Promise<ApprovalSettings> {
  const [row] = await q.select().from(settings).where(eq(settings.key, APPROVALS_SETTING));
  return (row?.value as ApprovalSettings | undefined) ?? DEFAULT_APPROVAL_SETTINGS;
}

/** The relay-wide grant settings (warnings, start window). */
export async function loadGrantSettings(q: Db | Tx): Promise<GrantSettings> {
  const [row] = await q.select().from(settings).where(eq(settings.key, GRANTS_SETTING));
  return (row?.value as GrantSettings | undefined) ?? DEFAULT_GRANT_SETTINGS;
}
