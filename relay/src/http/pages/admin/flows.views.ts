import { html } from "hono/html";
import { type FlowInput, type FormValues, requireOptions, stepIndices } from "../../../admin/flow-form.ts";
import { configYaml } from "../../../config/export.ts";
import type { FallbackSettings } from "../../../core/policy/model.ts";
import { CsrfField, type Fragment, Notice, Table, TitleRow } from "../components.ts";
import { ActionButton, Actions, Checkbox, type FieldErrors, FormErrors, Select, TextField, type TextFieldProps } from "../fields.ts";
import { NotifyChannels } from "./components.ts";

export function approvalSummary(flow: FlowInput): string {
  if (flow.approval === "auto") return "automatic";
  return flow.approval.steps
    .map((s, i) => `${i + 1}. ${s.approvers.join(", ")} (${typeof s.require === "number" ? `${s.require} of them` : (s.require ?? "any")})`)
    .join(" → ");
}

export function durationSummary(flow: FlowInput): string {
  const d = flow.durations;
  if (d.fixed) return `exactly ${d.fixed}`;
  const parts = [d.choices?.length ? d.choices.join(", ") : "", d.custom ? `any up to ${d.max}` : d.max ? `max ${d.max}` : ""];
  return parts.filter(Boolean).join("; ");
}

const flowPath = (id: string) => `/admin/flows/${encodeURIComponent(id)}`;

/** Move up, move down, enable or disable: one-button forms. */
function FlowButtons(p: { flow: FlowInput; index: number; count: number; csrf: string }): Fragment {
  const { flow: f, index: i, csrf } = p;
  const move = (by: "-1" | "1", label: string, testid: string) =>
    ActionButton({ csrf, action: `${flowPath(f.id)}/move`, label, fields: { by }, testid: `${testid}-${f.id}` });
  const off = f.enabled === false;
  return html`${i > 0 ? move("-1", "↑", "up") : ""}${i < p.count - 1 ? move("1", "↓", "down") : ""}${ActionButton({
    csrf,
    action: `${flowPath(f.id)}/toggle`,
    label: off ? "Enable" : "Disable",
    fields: { enabled: off ? "true" : "false" },
    testid: `toggle-${f.id}`,
  })}`;
}

function FlowRow(p: { flow: FlowInput; index: number; count: number; csrf: string }): Fragment {
  const f = p.flow;
  return html`<tr data-flow="${f.id}"${f.enabled === false ? html` class="disabled"` : ""}>
<td>${p.index + 1}</td>
<td><a href="${flowPath(f.id)}">${f.name}</a><br><code class="muted">${f.id}</code></td>
<td>${f.apps.join(", ")}${f.resources?.length ? html`<br><span class="muted">${f.resources.join(", ")}</span>` : ""}</td>
<td>${approvalSummary(f)}</td>
<td>${durationSummary(f)}</td>
<td>${f.enabled === false ? "disabled" : "enabled"}</td>
<td class="row-actions">${FlowButtons(p)}</td></tr>`;
}

/** The ordered list of flows (first match wins), then the fallback flow. */
export function FlowListView(p: {
  flows: FlowInput[];
  fallback: Partial<FallbackSettings>;
  errors: FieldErrors | undefined;
  csrf: string;
}): Fragment {
  const { flows, fallback } = p;
  const rows = flows.map((flow, index) => FlowRow({ flow, index, count: flows.length, csrf: p.csrf }));
  return html`${TitleRow({ children: html`<h1>Access flows</h1><a class="button primary" href="/admin/flows/new" data-testid="new-flow">New flow</a>` })}
<p class="muted">A request takes the first enabled flow that matches its app, resource, requester and condition; when none does, the fallback flow applies.</p>
${FormErrors({ errors: p.errors })}
${Table({
  testid: "flow-list",
  head: ["#", "Flow", "Apps", "Approval", "Durations", "State", ""],
  rows: html`${rows}
<tr class="fallback"><td>—</td><td>Fallback<br><code class="muted">fallback</code></td><td>any</td><td>1. admins (any)</td><td>up to ${fallback.max}</td><td>${fallback.enabled === false ? "disabled" : "enabled"}</td><td><a href="/admin/settings">Settings</a></td></tr>`,
})}
${flows.length === 0 ? Notice({ tone: "info", children: html`No flows yet: every request goes to the fallback flow. <a href="/admin/flows/new">Create the first one</a>.` }) : ""}`;
}

interface EditorProps {
  form: FormValues;
  errors: FieldErrors | undefined;
}

/** The editor's fields take their value from the submitted (or stored) form and their problems from its errors. */
function fieldsOf({ form, errors }: EditorProps) {
  return {
    text: (name: string, label: string, o: Omit<TextFieldProps, "label" | "name" | "value" | "errors"> = {}) =>
      TextField({ label, name, value: form[name], errors, ...o }),
    check: (name: string, label: string, hint?: string) => Checkbox({ label, name, checked: form[name] === "on", hint }),
    choice: (name: string, label: string, fallback: string, options: [string, string][]) =>
      Select({ label, name, value: form[name] ?? fallback, options, errors }),
  };
}

function CoversFieldset(p: EditorProps & { locked: boolean }): Fragment {
  const f = fieldsOf(p);
  return html`<fieldset><legend>What it covers</legend>
${f.text("id", "Id", { readonly: p.locked, hint: "Lower-case letters, digits, '.', '_' or '-'; requests record it, so it cannot change later." })}
${f.text("name", "Name", { hint: "What requesters and approvers see." })}
${f.check("enabled", "Enabled")}
${f.text("apps", "Apps", { hint: "App ids, comma-separated: github, google-docs, jira, … (docs/detection.md lists them), or the host of an unknown app." })}
${f.text("resources", "Resources", { rows: 3, hint: "Optional. One glob per line on the resource id, e.g. acme-corp/payments*. Empty: every resource of the apps." })}
${f.text("requesters", "Requesters", { rows: 2, hint: "Optional. user:<email> or group:<id>, one per line. Empty: everyone." })}
${f.text("condition", "Condition", { rows: 2, hint: "Optional CEL expression, e.g. request.time.getHours(requester.timezone) >= 9 && !('contractors' in requester.groups)" })}
</fieldset>`;
}

/** One approval step: who, and how many of them. */
function StepFields(p: EditorProps & { key: number; index: number; count: number }): Fragment {
  const f = fieldsOf(p);
  const { key: i, index: n } = p;
  return html`<div class="step" data-step="${n}"><h3>Step ${n + 1}</h3>
${f.text(`steps.${i}.approvers`, "Approvers", { rows: 2, hint: "One per line: manager, resource_owner, admins, user:<email>, group:<id>. The requester never approves their own request." })}
${f.choice(`steps.${i}.require`, "Required", "any", requireOptions(p.form[`steps.${i}.require`]))}
${p.count > 1 ? html`<button type="submit" name="intent" value="remove_step:${n}" class="small">Remove step ${n + 1}</button>` : ""}</div>`;
}

function ApproversFieldset(p: EditorProps): Fragment {
  const f = fieldsOf(p);
  const steps = stepIndices(p.form);
  return html`<fieldset><legend>Who approves</legend>
${f.choice("approval", "Approval", "steps", [
  ["steps", "approvers decide, step by step"],
  ["auto", "automatic (no approver)"],
])}
${steps.map((key, index) => StepFields({ ...p, key, index, count: steps.length }))}
<button type="submit" name="intent" value="add_step" class="small" data-testid="add-step">Add a step</button>
<p class="hint">Ignored when approval is automatic.</p>
${f.check("allowWholeApp", "Approvers may grant the whole app", "The last approver can widen the grant from the one resource to the whole app.")}
<p class="field-label">Tell approvers by</p>
${NotifyChannels({ checked: (ch) => p.form[`notify.${ch}`] === "on" })}
<p class="hint">None ticked: the relay-wide default (Settings). Slack DMs each approver when a bot token is set, else posts to the channel of its webhook; Teams posts to its channel.</p>
</fieldset>`;
}

function DurationsFieldset(p: EditorProps): Fragment {
  const f = fieldsOf(p);
  return html`<fieldset><legend>How long</legend>
${f.choice("durations.mode", "Durations", "choices", [
  ["choices", "one of a list"],
  ["fixed", "one fixed duration"],
  ["custom", "any duration up to a maximum"],
])}
${f.text("durations.choices", "Choices", { hint: "Comma-separated: 15m, 1h, 4h, 1d, indefinite. With 'any duration', these are suggestions." })}
${f.text("durations.default", "Default", { hint: "Optional; one of the choices." })}
${f.text("durations.fixed", "Fixed duration")}
${f.text("durations.max", "Maximum", { hint: "Caps every duration; needed for 'any duration'." })}
${f.check("extend.allowed", "Grants may be extended")}
${f.text("extend.times", "Extensions allowed", { type: "number", hint: "Optional; how many times." })}
${f.text("extend.by", "Extend by", { hint: "Optional; each extension's length (empty: the grant's own length)." })}
${f.text("extend.max", "Longest in all", { hint: "Optional; the longest the access may last, extensions included." })}
${f.check("extend.reapprove", "Each extension is approved again (by the steps above)")}
</fieldset>`;
}

function RequestAndProvisioningFieldsets(p: EditorProps): Fragment {
  const f = fieldsOf(p);
  return html`<fieldset><legend>What the request must carry</legend>
${f.check("requireReason", "A reason is required")}
${f.text("ticket", "Ticket pattern", { hint: "Optional regular expression a ticket reference must match, e.g. ^(OPS|INC)-[0-9]+$" })}
</fieldset>
<fieldset><legend>Provisioning</legend>
${f.text("grant.provider", "Provider", { hint: "The id of an entry of providers: in the policy (SCIM, GitHub, Okta, webhook); empty: record only, nothing changes in the app." })}
${f.text("grant.target", "Target", { rows: 3, hint: "One field: template a line, e.g. group: docs-{{ resource.id }} (CEL inside {{ }})." })}
${f.choice("activation", "Activation", "on_approval", [
  ["on_approval", "on approval"],
  ["on_start", "when the requester presses Start"],
])}
${f.text("startWithin", "Start within", { hint: "For Start: how long an approved grant waits (empty: the relay-wide 24h)." })}
</fieldset>`;
}

/** The flow editor: a new flow (originalId null) or a stored one; `preview` is the flow as YAML under the form. */
export function FlowEditorView(p: EditorProps & { originalId: string | null; preview: FlowInput | undefined; csrf: string }): Fragment {
  const { originalId, errors, preview } = p;
  return html`<h1>${originalId ? html`Edit flow <code>${originalId}</code>` : "New access flow"}</h1>
${FormErrors({ errors })}
<form method="post" class="editor" data-testid="flow-form" novalidate>
${CsrfField({ token: p.csrf })}<button type="submit" name="intent" value="save" class="default-submit" tabindex="-1" aria-hidden="true">Save</button>
${CoversFieldset({ ...p, locked: originalId !== null })}
${ApproversFieldset(p)}
${DurationsFieldset(p)}
${RequestAndProvisioningFieldsets(p)}
${Actions({ children: html`<button class="primary" type="submit" name="intent" value="save" data-testid="save-flow">Save flow</button> <a href="/admin/flows">Cancel</a>` })}
</form>
${originalId ? html`<div class="danger">${ActionButton({ csrf: p.csrf, action: `${flowPath(originalId)}/delete`, label: "Delete this flow", cls: "reject", testid: "delete-flow" })}</div>` : ""}
${preview ? html`<h2>YAML</h2><p class="muted">This flow as it reads in gatehouse.yaml${errors ? " (as submitted, not saved)" : ""}.</p><pre class="yaml" data-testid="flow-yaml">${configYaml({ flows: [preview] })}</pre>` : ""}`;
}
