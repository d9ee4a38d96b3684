import { eq } from "drizzle-orm";
import type { Relay } from "../context.ts";
import { users } from "../db/schema/index.ts";
import { readPolicy } from "./policy-edit.ts";

/*
 * The directory as the admin's pages show it: people, groups and resource
 * owners as the policy holds them (the editor writes them back through
 * editPolicy), and a person's row id for what is done to their grants.
 */

/** The directory page: people matching `query` (a name or email part, lower-case), at most `limit`; every group and resource owner. */
export async function directoryOverview(relay: Relay, query: string, limit: number) {
  const config = await readPolicy(relay);
  const everyone = config.directory?.users ?? [];
  const matching = query ? everyone.filter((u) => u.email.includes(query) || u.name.toLowerCase().includes(query)) : everyone;
  const groups = config.directory?.groups ?? [];
  const groupsOf = new Map<string, string[]>();
  for (const g of groups) for (const m of g.members ?? []) groupsOf.set(m, [...(groupsOf.get(m) ?? []), g.id]);
  return {
    total: everyone.length,
    matching: matching.length,
    // A directory of 20,000 is searched, not scrolled.
    people: matching.slice(0, limit),
    groups,
    admins: new Set(config.admins ?? []),
    groupsOf,
    resourceOwners: config.resourceOwners ?? [],
  };
}
export type DirectoryOverview = Awaited<ReturnType<typeof directoryOverview>>;

/** A person of the directory, and whether they are an admin; null when there is none. */
export async function findPerson(relay: Relay, email: string) {
  const config = await readPolicy(relay);
  const user = config.directory?.users?.find((x) => x.email === email);
  return user ? { user, admin: (config.admins ?? []).includes(user.email) } : null;
}

/** A group of the directory, or null. */
export async function findGroup(relay: Relay, id: string) {
  const config = await readPolicy(relay);
  return config.directory?.groups?.find((x) => x.id === id) ?? null;
}

/** Who owns which resources (the `resource_owner` approver). */
export async function resourceOwners(relay: Relay) {
  return (await readPolicy(relay)).resourceOwners ?? [];
}

/** The id of the person with this email, or null. */
export async function personId(relay: Relay, email: string): Promise<string | null> {
  const [person] = await relay.database.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  return person?.id ?? null;
}
