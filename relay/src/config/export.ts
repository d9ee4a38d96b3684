import { asc, eq } from "drizzle-orm";
import { stringify } from "yaml";
import type { ProviderEntry } from "../adapters/providers/registry.ts";
import {
  type ApprovalSettings,
  DEFAULT_APPROVAL_SETTINGS,
  DEFAULT_GRANT_SETTINGS,
  type FallbackSettings,
  type FlowDefinition,
  type GrantSettings,
  type ResourceOwner,
  type ResourceTag,
} from "../core/policy/model.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, groups, memberships, settings, users } from "../db/schema/index.ts";
import { DETECTION_RULES_SETTING, type StoredDetectionRules } from "../detection/rules.ts";
import {
  APPROVALS_SETTING,
  FALLBACK_SETTING,
  GRANTS_SETTING,
  PROVIDERS_SETTING,
  RESOURCE_OWNERS_SETTING,
  RESOURCE_TAGS_SETTING,
} from "../policy/snapshot.ts";
import type { GatehouseConfigInput } from "./schema.ts";
import { flowDefinition } from "./snapshot.ts";

/**
 * The policy in the database, written back as a `gatehouse.yaml`: what
 * `gatehouse export` prints. Importing the result gives the same policy
 * (config.test.ts checks the round trip).
 */
export async function exportConfig(db: Db | Tx): Promise<string> {
  return `# Exported by gatehouse export\n${configYaml(await readConfig(db))}`;
}

/** A policy as YAML, in the file's field order. */
export function configYaml(config: unknown): string {
  return stringify(config, { lineWidth: 0 });
}

/**
 * The database's policy in the file's shape (defaults left out), which the
 * admin UI edits and `validateConfig` checks before anything is written.
 */
export async function readConfig(db: Db | Tx): Promise<GatehouseConfigInput> {
  const [userRows, groupRows, memberRows, flowRows, settingRows] = await Promise.all([
    db.select().from(users).orderBy(asc(users.email)),
    db.select().from(groups).orderBy(asc(groups.id)),
    db.select({ groupId: memberships.groupId, email: users.email }).from(memberships).innerJoin(users, eq(users.id, memberships.userId)),
    db.select().from(accessFlows).orderBy(asc(accessFlows.priority)),
    db.select().from(settings),
  ]);
  const setting = <T>(key: string): T | undefined => settingRows.find((r) => r.key === key)?.value as T | undefined;
  const members = new Map<string, string[]>();
  for (const m of memberRows) members.set(m.groupId, [...(members.get(m.groupId) ?? []), m.email]);

  const config = {
    admins: userRows.filter((u) => u.isAdmin).map((u) => u.email),
    providers: setting<ProviderEntry[]>(PROVIDERS_SETTING) ?? [],
    grants: setting<GrantSettings>(GRANTS_SETTING) ?? DEFAULT_GRANT_SETTINGS,
    directory: {
      users: userRows.map((u) => ({
        email: u.email,
        name: u.name,
        ...(u.managerEmail ? { manager: u.managerEmail } : {}),
        ...(u.timezone !== "UTC" ? { timezone: u.timezone } : {}),
        ...(u.active ? {} : { active: false }),
        ...(Object.keys(u.accounts ?? {}).length ? { accounts: u.accounts } : {}),
      })),
      groups: groupRows.map((g) => ({ id: g.id, name: g.name, members: (members.get(g.id) ?? []).sort() })),
    },
    resourceOwners: setting<ResourceOwner[]>(RESOURCE_OWNERS_SETTING) ?? [],
    resourceTags: setting<ResourceTag[]>(RESOURCE_TAGS_SETTING) ?? [],
    // The stored definition is the file's flow without id, name and enabled; read
    // back in the file's field order (jsonb reorders keys), absent fields omitted.
    flows: flowRows.map((f) => ({
      id: f.id,
      name: f.name,
      ...(f.enabled ? {} : { enabled: false }),
      ...flowDefinition(f.definition as FlowDefinition),
    })),
    fallback: setting<FallbackSettings>(FALLBACK_SETTING) ?? { enabled: true, max: "4h" },
    approvals: setting<ApprovalSettings>(APPROVALS_SETTING) ?? DEFAULT_APPROVAL_SETTINGS,
    detection: { rules: setting<StoredDetectionRules>(DETECTION_RULES_SETTING)?.rules ?? [] },
  };
  return config;
}
