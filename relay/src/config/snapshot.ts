import type { DirectoryUser, FlowDefinition, PolicySnapshot } from "../core/policy/model.ts";
import type { GatehouseConfig } from "./schema.ts";

/**
 * The flow definition a config flow is stored as (config/sync.ts writes the
 * same), its fields in the file's order; `gatehouse export` writes a stored
 * definition back through it.
 */
export function flowDefinition(f: FlowDefinition): FlowDefinition {
  return {
    apps: f.apps,
    resources: f.resources,
    requesters: f.requesters,
    condition: f.condition,
    approval: f.approval,
    durations: f.durations,
    requireReason: f.requireReason,
    ticket: f.ticket,
    extend: f.extend,
    grant: f.grant,
    activation: f.activation,
    startWithin: f.startWithin,
    notify: f.notify,
    allowWholeApp: f.allowWholeApp,
  };
}

/** A person of the config file as the directory stores them (config/sync.ts) and the engine reads them. */
export function directoryFields(
  u: GatehouseConfig["directory"]["users"][number],
  isAdmin: boolean,
): Omit<DirectoryUser, "id"> & { timezone: string; accounts: Record<string, string> } {
  return {
    email: u.email,
    name: u.name,
    managerEmail: u.manager ?? null,
    timezone: u.timezone,
    active: u.active,
    isAdmin,
    accounts: u.accounts ?? {},
  };
}

/**
 * The policy as the engine reads it, straight from a config file: what
 * `gatehouse simulate` evaluates without a database. People are identified
 * by email (the database gives them ids; the engine only compares them).
 */
export function snapshotFromConfig(config: GatehouseConfig): PolicySnapshot {
  const admins = new Set(config.admins);
  return {
    usersByEmail: new Map(config.directory.users.map((u) => [u.email, { id: u.email, ...directoryFields(u, admins.has(u.email)) }])),
    groups: new Map(config.directory.groups.map((g) => [g.id, g.members])),
    flows: config.flows.map((f) => ({ id: f.id, name: f.name, enabled: f.enabled, definition: flowDefinition(f) })),
    fallback: config.fallback,
    resourceOwners: config.resourceOwners,
    resourceTags: config.resourceTags,
    approvals: config.approvals,
  };
}
