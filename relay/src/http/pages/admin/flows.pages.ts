import { Hono } from "hono";
import { html } from "hono/html";
import { deleteFlow, moveFlow, saveFlow, setFlowEnabled } from "../../../admin/edits.ts";
import {
  type FlowInput,
  type FormValues,
  fieldOf,
  flowToForm,
  formToFlow,
  NOTIFY_CHANNELS,
  requireOptions,
  stepIndices,
  withStep,
} from "../../../admin/flow-form.ts";
import { editPolicy } from "../../../admin/policy-edit.ts";
import { configYaml, readConfig } from "../../../config/export.ts";
import type { Relay } from "../../../context.ts";
import { requestMeta } from "../../auth.ts";
import { CsrfField } from "../components.ts";
import { ActionButton, Checkbox, type FieldErrors, FormErrors, Select, TextField } from "../fields.ts";
import { formValues } from "./forms.ts";
import { issuesToFields } from "./issues.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

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

/** Flows: the ordered list (first match wins), and the editor. */
export function flowPages(relay: Relay) {
  const meta = (c: AdminContext) => requestMeta(c, relay.env.TRUST_PROXY);

  const list = async (c: AdminContext, errors?: FieldErrors) => {
    const config = await readConfig(relay.database.db);
    const flows = config.flows ?? [];
    const fallback = config.fallback ?? { enabled: true, max: "4h" };
    return c.html(
      adminPage(
        c,
        "flows",
        "Access flows",
        html`<div class="title-row"><h1>Access flows</h1><a class="button primary" href="/admin/flows/new" data-testid="new-flow">New flow</a></div>
<p class="muted">A request takes the first enabled flow that matches its app, resource, requester and condition; when none does, the fallback flow applies.</p>
${FormErrors({ errors })}
<table data-testid="flow-list"><thead><tr><th>#</th><th>Flow</th><th>Apps</th><th>Approval</th><th>Durations</th><th>State</th><th></th></tr></thead><tbody>
${flows.map(
  (f, i) => html`<tr data-flow="${f.id}"${f.enabled === false ? html` class="disabled"` : ""}>
<td>${i + 1}</td>
<td><a href="/admin/flows/${encodeURIComponent(f.id)}">${f.name}</a><br><code class="muted">${f.id}</code></td>
<td>${f.apps.join(", ")}${f.resources?.length ? html`<br><span class="muted">${f.resources.join(", ")}</span>` : ""}</td>
<td>${approvalSummary(f)}</td>
<td>${durationSummary(f)}</td>
<td>${f.enabled === false ? "disabled" : "enabled"}</td>
<td class="row-actions">${i > 0 ? ActionButton({ csrf: c.get("csrf"), action: `/admin/flows/${encodeURIComponent(f.id)}/move`, label: "↑", fields: { by: "-1" }, testid: `up-${f.id}` }) : ""}${
    i < flows.length - 1
      ? ActionButton({
          csrf: c.get("csrf"),
          action: `/admin/flows/${encodeURIComponent(f.id)}/move`,
          label: "↓",
          fields: { by: "1" },
          testid: `down-${f.id}`,
        })
      : ""
  }${ActionButton({
    csrf: c.get("csrf"),
    action: `/admin/flows/${encodeURIComponent(f.id)}/toggle`,
    label: f.enabled === false ? "Enable" : "Disable",
    fields: { enabled: f.enabled === false ? "true" : "false" },
    testid: `toggle-${f.id}`,
  })}</td></tr>`,
)}
<tr class="fallback"><td>—</td><td>Fallback<br><code class="muted">fallback</code></td><td>any</td><td>1. admins (any)</td><td>up to ${fallback.max}</td><td>${fallback.enabled === false ? "disabled" : "enabled"}</td><td><a href="/admin/settings">Settings</a></td></tr>
</tbody></table>
${flows.length === 0 ? html`<p class="notice info">No flows yet: every request goes to the fallback flow. <a href="/admin/flows/new">Create the first one</a>.</p>` : ""}`,
      ),
      errors ? 422 : 200,
    );
  };

  const editor = (c: AdminContext, originalId: string | null, form: FormValues, errors?: FieldErrors, preview?: FlowInput) => {
    const steps = stepIndices(form);
    return c.html(
      adminPage(
        c,
        "flows",
        originalId ? `Flow ${form.name}` : "New flow",
        html`<h1>${originalId ? html`Edit flow <code>${originalId}</code>` : "New access flow"}</h1>
${FormErrors({ errors })}
<form method="post" class="editor" data-testid="flow-form" novalidate>
${CsrfField({ token: c.get("csrf") })}<button type="submit" name="intent" value="save" class="default-submit" tabindex="-1" aria-hidden="true">Save</button>
<fieldset><legend>What it covers</legend>
${TextField({ label: "Id", name: "id", value: form.id, errors, readonly: originalId !== null, hint: "Lower-case letters, digits, '.', '_' or '-'; requests record it, so it cannot change later." })}
${TextField({ label: "Name", name: "name", value: form.name, errors, hint: "What requesters and approvers see." })}
${Checkbox({ label: "Enabled", name: "enabled", checked: form.enabled === "on" })}
${TextField({ label: "Apps", name: "apps", value: form.apps, errors, hint: "App ids, comma-separated: github, google-docs, jira, … (docs/detection.md lists them), or the host of an unknown app." })}
${TextField({ label: "Resources", name: "resources", value: form.resources, errors, rows: 3, hint: "Optional. One glob per line on the resource id, e.g. acme-corp/payments*. Empty: every resource of the apps." })}
${TextField({ label: "Requesters", name: "requesters", value: form.requesters, errors, rows: 2, hint: "Optional. user:<email> or group:<id>, one per line. Empty: everyone." })}
${TextField({ label: "Condition", name: "condition", value: form.condition, errors, rows: 2, hint: "Optional CEL expression, e.g. request.time.getHours(requester.timezone) >= 9 && !('contractors' in requester.groups)" })}
</fieldset>
<fieldset><legend>Who approves</legend>
${Select({
  label: "Approval",
  name: "approval",
  value: form.approval ?? "steps",
  options: [
    ["steps", "approvers decide, step by step"],
    ["auto", "automatic (no approver)"],
  ],
  errors,
})}
${steps.map(
  (i, n) => html`<div class="step" data-step="${n}"><h3>Step ${n + 1}</h3>
${TextField({ label: "Approvers", name: `steps.${i}.approvers`, value: form[`steps.${i}.approvers`], errors, rows: 2, hint: "One per line: manager, resource_owner, admins, user:<email>, group:<id>. The requester never approves their own request." })}
${Select({ label: "Required", name: `steps.${i}.require`, value: form[`steps.${i}.require`] ?? "any", options: requireOptions(form[`steps.${i}.require`]), errors })}
${steps.length > 1 ? html`<button type="submit" name="intent" value="remove_step:${n}" class="small">Remove step ${n + 1}</button>` : ""}</div>`,
)}
<button type="submit" name="intent" value="add_step" class="small" data-testid="add-step">Add a step</button>
<p class="hint">Ignored when approval is automatic.</p>
${Checkbox({ label: "Approvers may grant the whole app", name: "allowWholeApp", checked: form.allowWholeApp === "on", hint: "The last approver can widen the grant from the one resource to the whole app." })}
<p class="field-label">Tell approvers by</p>
${NOTIFY_CHANNELS.map((ch) => Checkbox({ label: ch === "email" ? "Email" : ch === "slack" ? "Slack" : "Microsoft Teams", name: `notify.${ch}`, checked: form[`notify.${ch}`] === "on" }))}
<p class="hint">None ticked: the relay-wide default (Settings). Slack DMs each approver when a bot token is set, else posts to the channel of its webhook; Teams posts to its channel.</p>
</fieldset>
<fieldset><legend>How long</legend>
${Select({
  label: "Durations",
  name: "durations.mode",
  value: form["durations.mode"] ?? "choices",
  options: [
    ["choices", "one of a list"],
    ["fixed", "one fixed duration"],
    ["custom", "any duration up to a maximum"],
  ],
  errors,
})}
${TextField({ label: "Choices", name: "durations.choices", value: form["durations.choices"], errors, hint: "Comma-separated: 15m, 1h, 4h, 1d, indefinite. With 'any duration', these are suggestions." })}
${TextField({ label: "Default", name: "durations.default", value: form["durations.default"], errors, hint: "Optional; one of the choices." })}
${TextField({ label: "Fixed duration", name: "durations.fixed", value: form["durations.fixed"], errors })}
${TextField({ label: "Maximum", name: "durations.max", value: form["durations.max"], errors, hint: "Caps every duration; needed for 'any duration'." })}
${Checkbox({ label: "Grants may be extended", name: "extend.allowed", checked: form["extend.allowed"] === "on" })}
${TextField({ label: "Extensions allowed", name: "extend.times", value: form["extend.times"], errors, type: "number", hint: "Optional; how many times." })}
${TextField({ label: "Extend by", name: "extend.by", value: form["extend.by"], errors, hint: "Optional; each extension's length (empty: the grant's own length)." })}
${TextField({ label: "Longest in all", name: "extend.max", value: form["extend.max"], errors, hint: "Optional; the longest the access may last, extensions included." })}
${Checkbox({ label: "Each extension is approved again (by the steps above)", name: "extend.reapprove", checked: form["extend.reapprove"] === "on" })}
</fieldset>
<fieldset><legend>What the request must carry</legend>
${Checkbox({ label: "A reason is required", name: "requireReason", checked: form.requireReason === "on" })}
${TextField({ label: "Ticket pattern", name: "ticket", value: form.ticket, errors, hint: "Optional regular expression a ticket reference must match, e.g. ^(OPS|INC)-[0-9]+$" })}
</fieldset>
<fieldset><legend>Provisioning</legend>
${TextField({ label: "Provider", name: "grant.provider", value: form["grant.provider"], errors, hint: "The id of an entry of providers: in the policy (SCIM, GitHub, Okta, webhook); empty: record only, nothing changes in the app." })}
${TextField({ label: "Target", name: "grant.target", value: form["grant.target"], errors, rows: 3, hint: "One field: template a line, e.g. group: docs-{{ resource.id }} (CEL inside {{ }})." })}
${Select({
  label: "Activation",
  name: "activation",
  value: form.activation ?? "on_approval",
  options: [
    ["on_approval", "on approval"],
    ["on_start", "when the requester presses Start"],
  ],
  errors,
})}
${TextField({ label: "Start within", name: "startWithin", value: form.startWithin, errors, hint: "For Start: how long an approved grant waits (empty: the relay-wide 24h)." })}
</fieldset>
<div class="actions"><button class="primary" type="submit" name="intent" value="save" data-testid="save-flow">Save flow</button> <a href="/admin/flows">Cancel</a></div>
</form>
${originalId ? html`<div class="danger">${ActionButton({ csrf: c.get("csrf"), action: `/admin/flows/${encodeURIComponent(originalId)}/delete`, label: "Delete this flow", cls: "reject", testid: "delete-flow" })}</div>` : ""}
${preview ? html`<h2>YAML</h2><p class="muted">This flow as it reads in gatehouse.yaml${errors ? " (as submitted, not saved)" : ""}.</p><pre class="yaml" data-testid="flow-yaml">${configYaml({ flows: [preview] })}</pre>` : ""}`,
      ),
      errors ? 422 : 200,
    );
  };

  const submit = async (c: AdminContext, originalId: string | null) => {
    const form = await formValues(c);
    const intent = form.intent ?? "save";
    delete form.intent;
    if (intent === "add_step") return editor(c, originalId, withStep(form, "add"), undefined, formToFlow(form));
    if (intent.startsWith("remove_step:")) return editor(c, originalId, withStep(form, { remove: Number(intent.slice(12)) }));
    if (originalId) form.id = originalId;
    const flow = formToFlow(form);
    const result = await editPolicy(relay, c.get("admin").user, meta(c), saveFlow(originalId, flow));
    if (!result.ok) return editor(c, originalId, form, issuesToFields(result.issues, result.focus, fieldOf), flow);
    return c.redirect(`/admin/flows?done=flow-saved&stranded=${result.strandedRequests}`, 303);
  };

  const findFlow = async (id: string) => (await readConfig(relay.database.db)).flows?.find((f) => f.id === id) ?? null;

  /** A one-button change from the list; problems are shown on the list. */
  const listEdit = async (c: AdminContext, edit: Parameters<typeof editPolicy>[3], done: string) => {
    const result = await editPolicy(relay, c.get("admin").user, meta(c), edit);
    if (!result.ok)
      return list(
        c,
        issuesToFields(result.issues, [], () => ""),
      );
    return c.redirect(`/admin/flows?done=${done}&stranded=${result.strandedRequests}`, 303);
  };

  return new Hono<AdminEnv>()
    .get("/admin/flows", (c) => list(c))
    .get("/admin/flows/new", (c) => editor(c, null, flowToForm(null)))
    .post("/admin/flows/new", (c) => submit(c, null))
    .get("/admin/flows/:id", async (c) => {
      const flow = await findFlow(c.req.param("id"));
      if (!flow)
        return c.html(adminPage(c, "flows", "No such flow", html`<h1>No such flow</h1><p><a href="/admin/flows">All flows</a></p>`), 404);
      return editor(c, flow.id, flowToForm(flow), undefined, flow);
    })
    .post("/admin/flows/:id", (c) => submit(c, c.req.param("id")))
    .post("/admin/flows/:id/move", async (c) => {
      const form = await formValues(c);
      return listEdit(c, moveFlow(c.req.param("id"), form.by === "-1" ? -1 : 1), "flow-moved");
    })
    .post("/admin/flows/:id/toggle", async (c) => {
      const form = await formValues(c);
      return listEdit(c, setFlowEnabled(c.req.param("id"), form.enabled === "true"), "flow-toggled");
    })
    .post("/admin/flows/:id/delete", (c) => listEdit(c, deleteFlow(c.req.param("id")), "flow-deleted"));
}
