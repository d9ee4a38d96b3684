import { z } from "zod";
import { backtrackingRisk, HOST_PATTERN } from "./patterns.ts";

/** What the detector found on a denied page (DESIGN.md, "Contracts"). */
export const DetectionSchema = z.object({
  app: z.string().min(1).max(64),
  /** The app's display name where the detector knows it (catalog, admin rule). */
  appName: z.string().max(100).optional(),
  resource: z.object({
    id: z.string().max(512).nullable(),
    name: z.string().max(512).nullable(),
    url: z.url().max(4096),
  }),
  message: z.string().max(2000),
  confidence: z.number().min(0).max(1),
  /**
   * What stands in the way: no access (the default), a request the reader
   * already sent in the app and that is still pending, or an organisation's
   * policy. The panel words each differently.
   */
  kind: z.enum(["access", "pending", "org-restricted"]).default("access"),
});
export type Detection = z.infer<typeof DetectionSchema>;

const safePattern = (what: string) =>
  z
    .string()
    .min(1)
    .max(300)
    .refine((p) => !backtrackingRisk(p), `${what} has a quantified group that holds a quantifier (like (a+)+): it could freeze browsers`);

/**
 * A detection rule written by an admin in the relay config, for internal
 * tools no catalog knows. The extension fetches the rules after sign-in,
 * validates them again (a rule from an older or newer relay must not break
 * detection) and applies them before the generic detector.
 */
export const DetectionRuleSchema = z
  .object({
    /** App id the request is filed under; access flows match on it. */
    app: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and dashes"),
    /** Display name shown in the panel. */
    name: z.string().min(1).max(100).optional(),
    /** Host patterns: `hr.acme.internal`, `*.acme.internal`, `tools-*.acme.io`. */
    hosts: z
      .array(
        z
          .string()
          .max(253)
          .regex(HOST_PATTERN, "a host name, optionally with a leading *. and at most one * in a label")
          .refine((h) => !h.split(".").some((l) => l === ""), "a host name, optionally with * wildcards"),
      )
      .min(1)
      .max(20),
    /** Only paths matching this regular expression. */
    path: safePattern("path").optional(),
    /** Any of these phrases on the page (case-insensitive) means denied. */
    text: z.array(z.string().min(2).max(200)).max(20).optional(),
    /** Any of these CSS selectors present and visible means denied. */
    selectors: z.array(z.string().min(1).max(300)).max(20).optional(),
    /** How the resource id is read from the URL; the first that matches wins. Default: the host name. */
    resource: z
      .array(
        z.object({
          from: z
            .string()
            .regex(/^(path|hash|host|href|\?[\w.-]+)$/, "path, hash, host, href or ?<query parameter>")
            .default("path"),
          pattern: safePattern("pattern").optional(),
          template: z.string().max(100).optional(),
        }),
      )
      .max(10)
      .optional(),
  })
  .strict();
export type DetectionRule = z.infer<typeof DetectionRuleSchema>;

export const DetectionRulesResponseSchema = z.object({
  /** Changes whenever the rules change; also the response's ETag. */
  version: z.string(),
  rules: z.array(DetectionRuleSchema),
});
export type DetectionRulesResponse = z.infer<typeof DetectionRulesResponseSchema>;

/**
 * How the extension reads that response: each rule on its own, so one rule a
 * newer relay wrote in a shape this extension does not know costs that rule only.
 */
export const DetectionRulesEnvelopeSchema = z.object({ version: z.string(), rules: z.array(z.unknown()) });
