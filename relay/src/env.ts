import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { durationMs } from "@gatehouse/shared";
import { z } from "zod";

/**
 * Relay configuration, read from the environment once at start-up. A bad value
 * stops the relay with a message naming the variable (see README's table).
 */
const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** A lifetime written like any Gatehouse duration (`72h`, `90d`), parsed once to milliseconds. */
const lifetime = z.string().transform((text, ctx) => {
  const ms = durationMs(text);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: "expected a duration like 15m, 72h or 90d" });
    return z.NEVER;
  }
  return ms;
});

export const EnvSchema = z.object({
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  DATA_DIR: z.string().default(".gatehouse"),
  GATEHOUSE_CONFIG: z.string().optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
    .optional(),
  MAIL_FROM: z.string().default("Gatehouse <gatehouse@localhost>"),
  LINK_TTL: lifetime.prefault("72h"),
  DEVICE_TOKEN_TTL: lifetime.prefault("90d"),
  /** The longest the grant clock sleeps without looking (it wakes when the next grant is due, and when told of a sooner one): the safety net for times written outside the relay. */
  EXPIRY_INTERVAL_MS: z.coerce.number().int().min(50).default(10_000),
  OUTBOX_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  TRUST_PROXY: bool.default(false),
  /** Serve /dev/outbox (held mail, sign-in links included): `npm start` sets it; honoured only embedded, without SMTP, on loopback. */
  DEV_OUTBOX: bool.default(false),
  /** Slack: a bot token DMs each approver (found by email); an incoming webhook posts to one channel. */
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xox[a-z]-/, "must be a Slack token (xoxb-…)")
    .optional(),
  SLACK_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Slack's Web API base URL (tests point it at a loopback stand-in). */
  SLACK_API_URL: z.url({ protocol: /^https?$/ }).default("https://slack.com/api"),
  /** Microsoft Teams: a Workflows (or legacy incoming) webhook that posts an Adaptive Card. */
  TEAMS_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** A generic receiver of every request and grant event, signed per Standard Webhooks. */
  WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, "must be a Standard Webhooks secret: whsec_ and at least 24 base64 characters")
    .optional(),
  /** How often undecided requests are checked for reminders and deadlines. */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).default(10_000),
  /** 32 random bytes in base64 that encrypt the signing keys at rest (required with DATABASE_URL; generated into DATA_DIR otherwise). */
  KEY_ENCRYPTION_KEY: z.string().optional(),
  /** The previous KEY_ENCRYPTION_KEY while rotating: keys sealed under it are re-sealed under the new one at start. */
  KEY_ENCRYPTION_KEY_PREVIOUS: z.string().optional(),
  /** How often the audit chain's head is signed (a checkpoint) when it moved. */
  AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  /** A file each checkpoint is appended to as a JSON line (besides the log), for storage outside the database. */
  AUDIT_CHECKPOINT_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type RelayEnv = z.infer<typeof EnvSchema> & {
  publicUrl: string;
  mode: "embedded" | "production";
  configPath: string;
};

export function parseEnv(source: Record<string, string | undefined>, cwd = process.cwd()): RelayEnv {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid relay configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET)
    throw new Error("invalid relay configuration:\n  WEBHOOK_SECRET: required with WEBHOOK_URL (events are always signed)");
  return {
    ...env,
    publicUrl: (env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`).replace(/\/$/, ""),
    mode: env.DATABASE_URL ? "production" : "embedded",
    configPath: env.GATEHOUSE_CONFIG ? resolve(cwd, env.GATEHOUSE_CONFIG) : defaultConfigPath(cwd),
  };
}

/** `./gatehouse.yaml` when there is one, else the commented example shipped with the relay. */
function defaultConfigPath(cwd: string): string {
  const local = resolve(cwd, "gatehouse.yaml");
  if (existsSync(local)) return local;
  return resolve(dirname(fileURLToPath(import.meta.url)), "../gatehouse.example.yaml");
}
