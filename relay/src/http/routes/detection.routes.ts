import { z } from "@hono/zod-openapi";
import type { Relay } from "../../context.ts";
import { loadDetectionRules } from "../../detection/rules.ts";
import { requireDevice } from "../auth.ts";
import { Api, apiRoute, apiRoutes, json } from "../openapi.ts";

/**
 * The admin's detection rules for the extension. The ETag is the rules'
 * version, so the extension's periodic check costs a 304 and no body.
 */
export function detectionRoutes(relay: Relay) {
  return apiRoutes().openapi(
    apiRoute({
      method: "get",
      path: "/detection-rules",
      summary: "The admin's detection rules for internal tools (ETag = version; send If-None-Match)",
      auth: requireDevice(relay),
      request: { headers: z.object({ "if-none-match": z.string().optional() }) },
      responses: {
        200: { ...json(Api.DetectionRules, "OK"), headers: z.object({ etag: z.string(), "cache-control": z.string() }) },
        304: { description: "Unchanged" },
      },
    }),
    async (c) => {
      const stored = await loadDetectionRules(relay.database.db);
      const etag = `"${stored.version}"`;
      c.header("ETag", etag);
      c.header("Cache-Control", "private, no-cache");
      if (c.req.valid("header")["if-none-match"] === etag) return c.body(null, 304);
      return c.json({ version: stored.version, rules: stored.rules }, 200);
    },
  );
}
