import type { ConfigIssue, GatehouseConfigInput } from "../config/schema.ts";
import type { PolicyEdit } from "./policy-edit.ts";

/**
 * The admin UI's changes, as edits of a policy draft (admin/policy-edit.ts
 * checks and stores the result). Pure: each is a function of the draft.
 */
type Draft = GatehouseConfigInput;
type FlowInput = NonNullable<Draft["flows"]>[number];
type UserInput = NonNullable<NonNullable<Draft["directory"]>["users"]>[number];
type GroupInput = NonNullable<NonNullable<Draft["directory"]>["groups"]>[number];
export type ResourceOwnerInput = NonNullable<Draft["resourceOwners"]>[number];

const missing = (what: string): { issues: ConfigIssue[] } => ({ issues: [{ path: [], message: `${what} no longer exists` }] });
const flowsOf = (d: Draft) => {
  d.flows ??= [];
  return d.flows;
};
const usersOf = (d: Draft) => {
  d.directory ??= {};
  d.directory.users ??= [];
  return d.directory.users;
};
const groupsOf = (d: Draft) => {
  d.directory ??= {};
  d.directory.groups ??= [];
  return d.directory.groups;
};
const flowView = (id: string) => (d: Draft) => d.flows?.find((f) => f.id === id);

/** Creates a flow (`originalId` null; it goes last) or replaces one in place. */
export function saveFlow(originalId: string | null, flow: FlowInput): PolicyEdit {
  return {
    action: originalId ? "flow.updated" : "flow.created",
    subject: flow.id,
    apply(d) {
      const flows = flowsOf(d);
      if (originalId === null) return { focus: ["flows", flows.push(flow) - 1] };
      const i = flows.findIndex((f) => f.id === originalId);
      if (i < 0) return missing(`The flow '${originalId}'`);
      flows[i] = flow;
      return { focus: ["flows", i] };
    },
    view: flowView(originalId ?? flow.id),
  };
}

/** Moves a flow one place up (earlier: it is tried first) or down. */
export function moveFlow(id: string, by: -1 | 1): PolicyEdit {
  return {
    action: "flow.moved",
    subject: id,
    apply(d) {
      const flows = flowsOf(d);
      const i = flows.findIndex((f) => f.id === id);
      if (i < 0) return missing(`The flow '${id}'`);
      const j = Math.min(Math.max(i + by, 0), flows.length - 1);
      const [moved] = flows.splice(i, 1);
      if (moved) flows.splice(j, 0, moved);
      return { focus: ["flows", j] };
    },
    view: (d) => (d.flows ?? []).map((f) => f.id),
  };
}

export function setFlowEnabled(id: string, enabled: boolean): PolicyEdit {
  return {
    action: enabled ? "flow.enabled" : "flow.disabled",
    subject: id,
    apply(d) {
      const i = flowsOf(d).findIndex((f) => f.id === id);
      const flow = flowsOf(d)[i];
      if (!flow) return missing(`The flow '${id}'`);
      flow.enabled = enabled;
      return { focus: ["flows", i] };
    },
    view: (d) => d.flows?.find((f) => f.id === id)?.enabled ?? true,
  };
}

export function deleteFlow(id: string): PolicyEdit {
  return {
    action: "flow.deleted",
    subject: id,
    apply(d) {
      const flows = flowsOf(d);
      const i = flows.findIndex((f) => f.id === id);
      if (i < 0) return missing(`The flow '${id}'`);
      flows.splice(i, 1);
      return { focus: [] };
    },
    view: flowView(id),
  };
}

/**
 * Adds or updates people from a CSV import, all or nothing. `rows[i].line`
 * is the CSV line, so the page can say which line a problem is on.
 */
export function importUsers(rows: { line: number; user: UserInput }[]): PolicyEdit & { lineOf(index: number): number | null } {
  const lines = new Map<number, number>();
  return {
    action: "users.imported",
    subject: `${rows.length} people`,
    lineOf: (index) => lines.get(index) ?? null,
    apply(d) {
      const users = usersOf(d);
      for (const { line, user } of rows) {
        const email = user.email.toLowerCase();
        const i = users.findIndex((u) => u.email === email);
        if (i >= 0) users[i] = { ...users[i], ...user, email };
        lines.set(i >= 0 ? i : users.push({ ...user, email }) - 1, line);
      }
      return { focus: ["directory", "users"] };
    },
    view: (d) => {
      const emails = new Set(rows.map((r) => r.user.email.toLowerCase()));
      return (d.directory?.users ?? []).filter((u) => emails.has(u.email));
    },
  };
}

export function saveGroup(originalId: string | null, group: GroupInput): PolicyEdit {
  return {
    action: originalId ? "group.updated" : "group.created",
    subject: group.id,
    apply(d) {
      const groups = groupsOf(d);
      if (originalId === null) {
        if (groups.some((g) => g.id === group.id)) return { issues: [{ path: ["id"], message: `a group '${group.id}' already exists` }] };
        return { focus: ["directory", "groups", groups.push(group) - 1] };
      }
      const i = groups.findIndex((g) => g.id === originalId);
      if (i < 0) return missing(`The group '${originalId}'`);
      groups[i] = { ...group, id: originalId };
      return { focus: ["directory", "groups", i] };
    },
    view: (d) => d.directory?.groups?.find((g) => g.id === (originalId ?? group.id)) ?? null,
  };
}

/** Deletes a group; the policy check refuses it while a flow or owner entry still names it. */
export function deleteGroup(id: string): PolicyEdit {
  return {
    action: "group.deleted",
    subject: id,
    apply(d) {
      const groups = groupsOf(d);
      const i = groups.findIndex((g) => g.id === id);
      if (i < 0) return missing(`The group '${id}'`);
      groups.splice(i, 1);
      return { focus: [] };
    },
    view: (d) => d.directory?.groups?.find((g) => g.id === id) ?? null,
  };
}

export function setResourceOwners(owners: ResourceOwnerInput[]): PolicyEdit {
  return {
    action: "resource_owners.updated",
    subject: "resourceOwners",
    apply(d) {
      d.resourceOwners = owners;
      return { focus: ["resourceOwners"] };
    },
    view: (d) => d.resourceOwners ?? [],
  };
}

/** The settings page: the fallback flow and the approval settings, saved (and audited) together. */
export function setSettings(
  fallback: { enabled: boolean; max: string },
  approvals: { notify: string[]; remindAfter: string; expireAfter: string },
): PolicyEdit {
  return {
    action: "settings.updated",
    subject: "settings",
    apply(d) {
      d.fallback = fallback;
      d.approvals = approvals as NonNullable<typeof d.approvals>;
      return { focus: [] };
    },
    view: (d) => ({ fallback: d.fallback ?? null, approvals: d.approvals ?? null }),
  };
}
