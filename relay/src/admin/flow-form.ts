import type { GatehouseConfigInput } from "../config/schema.ts";

/**
 * The flow editor's form <-> the policy's flow shape. The form is flat text
 * fields (no script runs on relay pages); lists are one entry per line or
 * comma-separated. Pure.
 */
export type FlowInput = NonNullable<GatehouseConfigInput["flows"]>[number];
export type FormValues = Record<string, string>;

/** Entries of a list field: one per line or comma-separated (approvers, members, owners, globs). */
export const entries = (text: string | undefined): string[] =>
  (text ?? "")
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
const words = (text: string | undefined): string[] =>
  (text ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
const opt = (text: string | undefined): string | undefined => (text?.trim() ? text.trim() : undefined);

/** The step indices a submitted form holds, in order. */
export function stepIndices(form: FormValues): number[] {
  const seen = new Set<number>();
  for (const key of Object.keys(form)) {
    const m = /^steps\.(\d+)\.(approvers|require)$/.exec(key);
    if (m) seen.add(Number(m[1]));
  }
  return [...seen].sort((a, b) => a - b);
}

export function formToFlow(form: FormValues): FlowInput {
  const steps = stepIndices(form)
    .map((i) => ({ approvers: entries(form[`steps.${i}.approvers`]), require: requirement(form[`steps.${i}.require`]) }))
    .filter((s) => s.approvers.length > 0);
  const mode = form["durations.mode"] ?? "choices";
  const choices = words(form["durations.choices"]);
  const durations: FlowInput["durations"] =
    mode === "fixed"
      ? { fixed: opt(form["durations.fixed"]) ?? "", ...(opt(form["durations.max"]) ? { max: opt(form["durations.max"]) } : {}) }
      : {
          ...(choices.length ? { choices } : {}),
          ...(opt(form["durations.default"]) ? { default: opt(form["durations.default"]) } : {}),
          ...(opt(form["durations.max"]) ? { max: opt(form["durations.max"]) } : {}),
          ...(mode === "custom" ? { custom: true } : {}),
        };
  const resources = entries(form.resources);
  const requesters = entries(form.requesters);
  const provider = opt(form["grant.provider"]);
  const target = targetFields(form["grant.target"]);
  const times = opt(form["extend.times"]);
  const extendBy = opt(form["extend.by"]);
  const extendMax = opt(form["extend.max"]);
  const notify = NOTIFY_CHANNELS.filter((ch) => form[`notify.${ch}`] === "on");
  return {
    id: (form.id ?? "").trim(),
    name: (form.name ?? "").trim(),
    ...(form.enabled === "on" ? {} : { enabled: false }),
    apps: words(form.apps),
    ...(resources.length ? { resources } : {}),
    ...(requesters.length ? { requesters } : {}),
    ...(opt(form.condition) ? { condition: opt(form.condition) } : {}),
    approval: form.approval === "auto" ? "auto" : { steps },
    durations,
    ...(form.requireReason === "on" ? { requireReason: true } : {}),
    ...(opt(form.ticket) ? { ticket: opt(form.ticket) } : {}),
    ...(form["extend.allowed"] === "on"
      ? {
          extend: {
            allowed: true,
            ...(times ? { times: Number(times) } : {}),
            ...(extendBy ? { by: extendBy } : {}),
            ...(extendMax ? { max: extendMax } : {}),
            ...(form["extend.reapprove"] === "on" ? { reapprove: true } : {}),
          },
        }
      : {}),
    ...(provider ? { grant: { provider, target } } : {}),
    ...(form.activation === "on_start" ? { activation: "on_start" as const } : {}),
    ...(opt(form.startWithin) ? { startWithin: opt(form.startWithin) } : {}),
    ...(notify.length ? { notify } : {}),
    ...(form.allowWholeApp === "on" ? { allowWholeApp: true } : {}),
  };
}

/** `field: template` lines (a provider's target) as a record; lines without a colon are ignored. */
function targetFields(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? "").split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (key && value) out[key] = value;
  }
  return out;
}

/** Where approvers are told, as the editor's checkboxes name them. */
export const NOTIFY_CHANNELS = ["email", "slack", "teams"] as const;

function requirement(text: string | undefined): "any" | "all" | number {
  if (text === "all") return "all";
  const n = Number(text);
  return Number.isInteger(n) && n >= 2 ? n : "any";
}

/** The "Required" choices of a step: any, all, or a quorum of 2 to 10 (and the stored one, if larger). */
export function requireOptions(current: string | undefined): [string, string][] {
  const quorums = Array.from({ length: 9 }, (_, i) => i + 2);
  const n = Number(current);
  if (Number.isInteger(n) && n > 10) quorums.push(n);
  return [["any", "any one of them"], ["all", "all of them"], ...quorums.map((q): [string, string] => [String(q), `${q} of them`])];
}

/** The form's fields for a stored flow (or the blank form of a new one). */
export function flowToForm(flow: FlowInput | null): FormValues {
  if (!flow) {
    return {
      enabled: "on",
      approval: "steps",
      "steps.0.approvers": "manager",
      "steps.0.require": "any",
      "durations.mode": "choices",
      "durations.choices": "1h, 4h",
    };
  }
  const form: FormValues = {
    id: flow.id,
    name: flow.name,
    enabled: flow.enabled === false ? "" : "on",
    apps: flow.apps.join(", "),
    resources: (flow.resources ?? []).join("\n"),
    requesters: (flow.requesters ?? []).join("\n"),
    condition: flow.condition ?? "",
    approval: flow.approval === "auto" ? "auto" : "steps",
    requireReason: flow.requireReason ? "on" : "",
    ticket: flow.ticket ?? "",
    "durations.mode": flow.durations.fixed ? "fixed" : flow.durations.custom ? "custom" : "choices",
    "durations.choices": (flow.durations.choices ?? []).join(", "),
    "durations.default": flow.durations.default ?? "",
    "durations.fixed": flow.durations.fixed ?? "",
    "durations.max": flow.durations.max ?? "",
    "extend.allowed": flow.extend?.allowed ? "on" : "",
    "extend.times": flow.extend?.times !== undefined ? String(flow.extend.times) : "",
    "extend.by": flow.extend?.by ?? "",
    "extend.max": flow.extend?.max ?? "",
    "extend.reapprove": flow.extend?.reapprove ? "on" : "",
    activation: flow.activation ?? "on_approval",
    startWithin: flow.startWithin ?? "",
    allowWholeApp: flow.allowWholeApp ? "on" : "",
    ...Object.fromEntries(NOTIFY_CHANNELS.map((ch) => [`notify.${ch}`, flow.notify?.includes(ch) ? "on" : ""])),
    "grant.provider": flow.grant?.provider ?? "",
    "grant.target": Object.entries(flow.grant?.target ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n"),
  };
  const steps = flow.approval === "auto" ? [] : flow.approval.steps;
  steps.forEach((s, i) => {
    form[`steps.${i}.approvers`] = s.approvers.join("\n");
    form[`steps.${i}.require`] = String(s.require ?? "any");
  });
  if (steps.length === 0) {
    form["steps.0.approvers"] = "";
    form["steps.0.require"] = "any";
  }
  return form;
}

/**
 * The form field an issue of the flow belongs to (its path below the flow),
 * so the editor shows each error beside its field.
 */
export function fieldOf(path: (string | number)[]): string {
  const [head, second, third, fourth] = path;
  if (head === "approval") {
    if (second === "steps" && typeof third === "number") return `steps.${third}.${fourth === "require" ? "require" : "approvers"}`;
    return second === "steps" ? "steps.0.approvers" : "approval";
  }
  if (head === "durations")
    return typeof second === "string" && ["choices", "default", "fixed", "max"].includes(second) ? `durations.${second}` : "durations.mode";
  if (head === "extend") return second === "by" || second === "max" ? `extend.${second}` : "extend.times";
  if (head === "grant") return second === "provider" ? "grant.provider" : "grant.target";
  if (head === "notify") return "notify.email";
  return head === undefined ? "" : String(head);
}

/** A submitted flow form with one step added or removed (the editor's buttons; nothing is saved). */
export function withStep(form: FormValues, change: "add" | { remove: number }): FormValues {
  const steps = stepIndices(form).map((i) => ({
    approvers: form[`steps.${i}.approvers`] ?? "",
    require: form[`steps.${i}.require`] ?? "any",
  }));
  if (change === "add") steps.push({ approvers: "", require: "any" });
  else steps.splice(change.remove, 1);
  const next: FormValues = Object.fromEntries(Object.entries(form).filter(([k]) => !k.startsWith("steps.")));
  steps.forEach((s, i) => {
    next[`steps.${i}.approvers`] = s.approvers;
    next[`steps.${i}.require`] = s.require;
  });
  return next;
}
