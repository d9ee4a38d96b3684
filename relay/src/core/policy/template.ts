import { Environment } from "@marcbachmann/cel-js";

/**
 * Provisioning targets are templates: text with CEL expressions in
 * `{{ … }}`, e.g. `docs-{{ resource.id }}` or
 * `{{ {'payments': 'team-pay'}[resource.id] }}`. The same expression
 * language as flow conditions (a maintained library, type-checked when the
 * policy loads), over what is known when a grant is made:
 *
 * - `requester`: email, name, groups, manager, timezone, accounts (map: `requester.accounts.github`)
 * - `resource`: app, id, name, url, tags
 * - `request`: duration (text), reason, ticket
 */
const env = new Environment({ unlistedVariablesAreDyn: false })
  .registerType("Requester", {
    fields: {
      email: "string",
      name: "string",
      groups: "list<string>",
      manager: "string",
      timezone: "string",
      accounts: "map<string, string>",
    },
  })
  .registerType("Resource", { fields: { app: "string", id: "string", name: "string", url: "string", tags: "list<string>" } })
  .registerType("Request", { fields: { duration: "string", reason: "string", ticket: "string" } })
  .registerVariable("requester", "Requester")
  .registerVariable("resource", "Resource")
  .registerVariable("request", "Request");

export interface TemplateContext {
  requester: { email: string; name: string; groups: string[]; manager: string; timezone: string; accounts: Record<string, string> };
  resource: { app: string; id: string; name: string; url: string; tags: string[] };
  request: { duration: string; reason: string; ticket: string };
}

type Part = string | { source: string; run: (ctx: TemplateContext) => unknown };

export interface CompiledTemplate {
  source: string;
  render(ctx: TemplateContext): string;
}

const EXPR = /\{\{(.*?)\}\}/gs;

/** Compiles a template, or says why it cannot be (the first bad expression). */
export function compileTemplate(source: string): CompiledTemplate | { error: string } {
  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(EXPR)) {
    const expr = (m[1] ?? "").trim();
    const at = m.index ?? 0;
    if (at > last) parts.push(source.slice(last, at));
    last = at + m[0].length;
    if (!expr) return { error: "an empty {{ }} in the template" };
    let program: ReturnType<Environment["parse"]>;
    try {
      program = env.parse(expr);
    } catch (e) {
      return { error: `{{ ${expr} }}: ${firstLine(e)}` };
    }
    const checked = program.check();
    if (!checked.valid) return { error: `{{ ${expr} }}: ${firstLine(checked.error)}` };
    if (!["string", "dyn", "int", "uint"].includes(checked.type ?? "")) return { error: `{{ ${expr} }} is a ${checked.type}, not text` };
    parts.push({ source: expr, run: (ctx) => program(ctx as unknown as Record<string, unknown>) });
  }
  if (last < source.length) parts.push(source.slice(last));
  return {
    source,
    render(ctx) {
      return parts
        .map((p) => {
          if (typeof p === "string") return p;
          let value: unknown;
          try {
            value = p.run(ctx);
          } catch (e) {
            throw new TemplateError(`{{ ${p.source} }}: ${firstLine(e)}`);
          }
          if (value === null || value === undefined || value === "") throw new TemplateError(`{{ ${p.source} }} is empty for this request`);
          return String(value);
        })
        .join("");
    },
  };
}

/** A template that compiled but has no value for one request (a missing map key, say). */
export class TemplateError extends Error {}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0] ?? "invalid expression";
}

/** Renders every field of a target; throws TemplateError naming the field. */
export function renderTarget(target: Record<string, string>, ctx: TemplateContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, source] of Object.entries(target)) {
    const t = compileTemplate(source);
    if ("error" in t) throw new TemplateError(`target.${field}: ${t.error}`);
    try {
      out[field] = t.render(ctx);
    } catch (e) {
      throw new TemplateError(`target.${field}: ${(e as Error).message}`);
    }
  }
  return out;
}
