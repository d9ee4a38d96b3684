import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { type ConfigIssue, ConfigSchema, checkReferences, type GatehouseConfig, salvageConfig } from "./schema.ts";

/** Raised with every problem of a config file, each with its path and line. */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(file: string, issues: string[]) {
    super(`${file} is not a valid Gatehouse config:\n${issues.map((i) => `  ${i}`).join("\n")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** Parses config text; throws ConfigError listing every issue by path and line. */
export function parseConfig(text: string, file = "gatehouse.yaml"): GatehouseConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`),
    );
  }
  const checked = validateConfig(doc.toJS() ?? {});
  if (!checked.ok) {
    throw new ConfigError(
      file,
      checked.issues.map((issue) => {
        const line = lineOf(doc, lineCounter, issue.path);
        return `${formatPath(issue.path)}: ${issue.message}${line ? ` (line ${line})` : ""}`;
      }),
    );
  }
  return checked.config;
}

/**
 * The one check of a policy, whatever wrote it (a file, the admin UI, an
 * import): the shape, then the references between its parts. Pure.
 */
export function validateConfig(value: unknown): { ok: true; config: GatehouseConfig } | { ok: false; issues: ConfigIssue[] } {
  const parsed = ConfigSchema.safeParse(value);
  if (!parsed.success) {
    const shape = parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
    // The references of the parts that are well-formed, too: every problem at once, not in two rounds.
    const salvaged = salvageConfig(value);
    const seen = new Set(shape.map((i) => formatPath(i.path)));
    const refs = salvaged ? checkReferences(salvaged).filter((i) => !seen.has(formatPath(i.path))) : [];
    return { ok: false, issues: [...shape, ...refs] };
  }
  const issues = checkReferences(parsed.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: parsed.data };
}

export async function loadConfigFile(file: string): Promise<GatehouseConfig> {
  return (await readConfigFile(file)).config;
}

/** The file's text (boot.ts hashes it) and its policy; throws ConfigError when it cannot be read or is invalid. */
export async function readConfigFile(file: string): Promise<{ text: string; config: GatehouseConfig }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  return { text, config: parseConfig(text, file) };
}

/** `flows[2].approval.steps[0]` style, as people write it. */
export function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "") || "(root)";
}

/** The line of the deepest node of `path` that exists in the document. */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: (string | number)[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node && typeof node === "object" && "range" in node && Array.isArray(node.range)) {
      return lc.linePos(node.range[0] as number).line;
    }
  }
  return null;
}
