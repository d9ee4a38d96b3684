import { asc, eq, inArray } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, groups, memberships, settings, users } from "../db/schema/index.ts";
import {
  type ApprovalSettings,
  DEFAULT_APPROVAL_SETTINGS,
  FALLBACK_MAX_CEILING,
  type FallbackSettings,
  type PolicySnapshot,
  type ResourceOwner,
  type ResourceTag,
} from "./model.ts";

export const FALLBACK_SETTING = "fallback";
/** Resource owners live beside the fallback as a setting until the admin UI edits them row by row. */
export const RESOURCE_OWNERS_SETTING = "resource_owners";
export const APPROVALS_SETTING = "approvals";
export const RESOURCE_TAGS_SETTING = "resource_tags";

/** Reads everything policy evaluation needs in one go. */
export async function loadPolicySnapshot(db: Db): Promise<PolicySnapshot> {
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
