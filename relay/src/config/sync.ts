import { notInArray } from "drizzle-orm";
import { appendAudit } from "../audit/chain.ts";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/client.ts";
import { accessFlows, groups, memberships, settings, users } from "../db/schema/index.ts";
import { saveDetectionRules } from "../detection/rules.ts";
import { FALLBACK_SETTING, RESOURCE_OWNERS_SETTING } from "../policy/snapshot.ts";
import { failStrandedRequests } from "../requests/orphans.ts";
import type { GatehouseConfig } from "./schema.ts";
import { flowDefinition } from "./snapshot.ts";

/**
 * Makes the database match the config file, in one transaction. People are
 * never deleted (requests and audit events name them): a person dropped from
 * the file is deactivated. Flows, the fallback setting and the detection
 * rules are replaced.
 */
export async function applyConfig(db: Db, config: GatehouseConfig, clock: Clock): Promise<void> {
  const now = clock.now();
  const admins = new Set(config.admins);
  await db.transaction(async (tx) => {
    for (const u of config.directory.users) {
      const values = {
        email: u.email,
        name: u.name,
        managerEmail: u.manager ?? null,
        timezone: u.timezone,
        active: u.active,
        isAdmin: admins.has(u.email),
        source: "config" as const,
        updatedAt: now,
      };
      await tx.insert(users).values(values).onConflictDoUpdate({ target: users.email, set: values });
    }
    const emails = config.directory.users.map((u) => u.email);
    await tx
      .update(users)
      .set({ active: false, isAdmin: false, updatedAt: now })
      .where(emails.length ? notInArray(users.email, emails) : undefined);

    const ids = new Map((await tx.select({ id: users.id, email: users.email }).from(users)).map((u) => [u.email, u.id]));
    await tx.delete(memberships);
    const groupIds = config.directory.groups.map((g) => g.id);
    if (groupIds.length) await tx.delete(groups).where(notInArray(groups.id, groupIds));
    else await tx.delete(groups);
    for (const g of config.directory.groups) {
      await tx
        .insert(groups)
        .values({ id: g.id, name: g.name })
        .onConflictDoUpdate({ target: groups.id, set: { name: g.name } });
      const rows = g.members.map((m) => ({ groupId: g.id, userId: ids.get(m) as string }));
      if (rows.length) await tx.insert(memberships).values(rows);
    }

    await tx.delete(accessFlows);
    if (config.flows.length) {
      await tx.insert(accessFlows).values(
        config.flows.map((f, i) => ({
          id: f.id,
          name: f.name,
          priority: i,
          enabled: f.enabled,
          definition: flowDefinition(f),
          updatedAt: now,
        })),
      );
    }
    await tx
      .insert(settings)
      .values({ key: FALLBACK_SETTING, value: config.fallback, updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value: config.fallback, updatedAt: now } });
    await tx
      .insert(settings)
      .values({ key: RESOURCE_OWNERS_SETTING, value: config.resourceOwners, updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value: config.resourceOwners, updatedAt: now } });
    await saveDetectionRules(tx, config.detection.rules, now);
    const stranded = await failStrandedRequests(tx, now);
    await appendAudit(tx, {
      at: now,
      actor: "config",
      action: "config.applied",
      data: {
        users: emails.length,
        groups: groupIds.length,
        flows: config.flows.map((f) => f.id),
        detectionRules: config.detection.rules.length,
        strandedRequests: stranded.length,
      },
    });
  });
}
