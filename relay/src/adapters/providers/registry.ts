import { readFileSync } from "node:fs";
import { DurationTextSchema, durationMs } from "@gatehouse/shared";
import { z } from "zod";
import { githubProvider } from "./github.ts";
import { manualProviderFactory } from "./manual.ts";
import { oktaProvider } from "./okta.ts";
import { scimProvider } from "./scim.ts";
import type { Provider, ProviderFactory } from "./types.ts";
import { webhookProviderFactory } from "./webhook.ts";

/**
 * The provider types the relay knows, and the `providers:` entries of
 * gatehouse.yaml. An entry is stored as written — credentials only as
 * references (`${env:NAME}`, `${file:PATH}`) — and turned into a Provider
 * at call time, so a secret never reaches the database, the logs or an
 * export, and a rotated secret is used at the next call.
 */
type AnyFactory = ProviderFactory<{ id: string; type: string }>;
const FACTORIES: AnyFactory[] = [
  webhookProviderFactory,
  scimProvider,
  githubProvider,
  oktaProvider,
  manualProviderFactory,
] as unknown as AnyFactory[];
export const PROVIDER_TYPES = FACTORIES.map((f) => f.type);

export function factoryOf(type: string): AnyFactory | undefined {
  return FACTORIES.find((f) => f.type === type);
}

/** A credential in the file: `${env:NAME}` or `${file:/path/to/secret}`, never the secret itself. */
export const SECRET_REF = /^\$\{(env|file):([^}]+)\}$/;
const secretRef = z.string().regex(
  SECRET_REF,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference syntax, shown to admins as it is written
  "credentials are written as ${env:NAME} or ${file:PATH}, never as the secret itself (it would be stored and exported)",
);

/** A `providers:` entry as stored: id, type, an optional call timeout, and the type's own fields. */
export type ProviderEntry = { id: string; type: string; timeout?: string | undefined } & Record<string, unknown>;

const idSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "ids are lower-case letters, digits, '.', '_' or '-'");

/** An entry of this type as the file has it: credentials as references. */
function fileSchema(factory: AnyFactory) {
  const shape: Record<string, z.ZodType> = { id: idSchema, type: z.literal(factory.type), timeout: DurationTextSchema.optional() };
  for (const [key, field] of Object.entries(factory.fields)) shape[key] = factory.secrets.includes(key) ? secretRef : (field as z.ZodType);
  return z.strictObject(shape);
}

/** The file's schema for one entry: the type picks the fields; credentials must be references. */
export const ProviderEntrySchema: z.ZodType<ProviderEntry> = z
  .looseObject({ id: idSchema, type: z.string() })
  .superRefine((entry, ctx) => {
    const factory = factoryOf(entry.type);
    if (!factory) {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: `unknown provider type '${entry.type}'; expected ${PROVIDER_TYPES.join(", ")}`,
      });
      return;
    }
    const parsed = fileSchema(factory).safeParse(entry);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom", message: issue.message });
  })
  .transform((entry) => {
    const factory = factoryOf(entry.type);
    if (!factory) return entry as ProviderEntry;
    // Defaults of the type's fields filled in, so what is stored is what runs.
    return fileSchema(factory).parse(entry) as ProviderEntry;
  });

/** Reads a credential reference; an unset variable or unreadable file is a permanent, named failure. */
export type SecretSource = (ref: string) => string;

export const environmentSecrets: SecretSource = (ref) => {
  const m = SECRET_REF.exec(ref);
  if (!m) throw new Error("not a credential reference");
  const [, kind, name] = m as unknown as [string, "env" | "file", string];
  if (kind === "env") {
    const value = process.env[name];
    if (!value) throw new Error(`the environment variable ${name} is not set`);
    return value;
  }
  try {
    return readFileSync(name, "utf8").trim();
  } catch {
    throw new Error(`the credential file ${name} cannot be read`);
  }
};

/** Builds the provider of an entry, with its credentials read now. Throws a message fit for admins (never the secret). */
export function buildProvider(entry: ProviderEntry, secrets: SecretSource = environmentSecrets): { provider: Provider; timeoutMs: number } {
  const factory = factoryOf(entry.type);
  if (!factory) throw new Error(`unknown provider type '${entry.type}'`);
  const resolved: Record<string, unknown> = { ...entry };
  for (const key of factory.secrets) if (typeof entry[key] === "string") resolved[key] = secrets(entry[key] as string);
  const shape: z.ZodRawShape = { id: idSchema, type: z.literal(factory.type), timeout: DurationTextSchema.optional(), ...factory.fields };
  const parsed = z.strictObject(shape).safeParse(resolved);
  if (!parsed.success) {
    // Name the field, not the value: it may be a credential.
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".")))].join(", ");
    throw new Error(`provider '${entry.id}' is misconfigured (${fields})`);
  }
  const timeoutMs = (entry.timeout ? durationMs(entry.timeout) : null) ?? factory.defaultTimeoutMs;
  return { provider: factory.create(parsed.data as { id: string; type: string }), timeoutMs };
}

/** What is wrong with a flow's `grant.target` for this provider type (empty: nothing). */
export function targetProblems(type: string, target: Record<string, string>): { field: string | null; message: string }[] {
  const factory = factoryOf(type);
  if (!factory) return [];
  const spec = factory.target;
  const out: { field: string | null; message: string }[] = [];
  for (const field of spec.required) if (!target[field]) out.push({ field, message: `a ${type} provider needs target.${field}` });
  if (!spec.open) {
    const known = new Set([...spec.required, ...spec.optional]);
    for (const field of Object.keys(target))
      if (!known.has(field))
        out.push({ field, message: `a ${type} provider takes ${[...known].map((k) => `target.${k}`).join(", ") || "no target fields"}` });
  }
  const cross = spec.problem?.(target);
  if (cross) out.push({ field: null, message: cross });
  return out;
}
