import { exportConfig } from "../config/export.ts";
import { ConfigError, parseConfig } from "../config/load.ts";
import { applyConfig } from "../config/sync.ts";
import type { Relay } from "../context.ts";
import type { RequestMeta } from "../devices/service.ts";

/** The whole policy as a `gatehouse.yaml`, as `gatehouse export` prints it: the admin's Policy file page and its download. */
export async function policyFile(relay: Relay): Promise<string> {
  return exportConfig(relay.database.db);
}

export type ImportResult = { ok: true } | { ok: false; problems: string[] };

/**
 * Replaces the whole policy with a file's, after the check the relay runs at
 * start; the file must keep the importing admin an active admin (nobody
 * locks themselves out). Applied as a config apply is, audited as the admin's.
 */
export async function importPolicy(relay: Relay, text: string, actor: { email: string }, meta: RequestMeta): Promise<ImportResult> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(text, "the file");
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, problems: e.issues };
    throw e;
  }
  const me = actor.email;
  if (!config.admins.includes(me) || config.directory.users.find((u) => u.email === me)?.active === false)
    return { ok: false, problems: [`admins: the file must keep you (${me}) an active admin; ask another admin to remove you`] };
  await applyConfig(relay.database.db, config, relay.clock, { actor: me, meta });
  return { ok: true };
}
