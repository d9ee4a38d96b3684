import { Hono } from "hono";
import type { Relay } from "../../context.ts";
import { loadDetectionRules } from "../../detection/rules.ts";
import { type AppEnv, requireDevice } from "../auth.ts";

/**
 * The admin's detection rules for the extension. The ETag is the rules'
 * version, so the extension's periodic check costs a 304 and no body.
 */
export function detectionRoutes(relay: Relay) {
  return new Hono<AppEnv>().get("/detection-rules", requireDevice(relay), async (c) => {
    const stored = await loadDetectionRules(relay.database.db);
    const etag = `"${stored.version}"`;
    c.header("ETag", etag);
    c.header("Cache-Control", "private, no-cache");
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    return c.json({ version: stored.version, rules: stored.rules });
  });
}
