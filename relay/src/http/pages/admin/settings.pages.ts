import { Hono } from "hono";
import { html } from "hono/html";
import { setSettings } from "../../../admin/edits.ts";
import { NOTIFY_CHANNELS } from "../../../admin/flow-form.ts";
import { editPolicy, readPolicy } from "../../../admin/policy-edit.ts";
import { importPolicy, policyFile } from "../../../admin/policy-file.ts";
import type { ConfigIssue } from "../../../config/schema.ts";
import type { Relay } from "../../../context.ts";
import { DEFAULT_APPROVAL_SETTINGS, FALLBACK_MAX_CEILING } from "../../../core/policy/model.ts";
import { requestMeta } from "../../auth.ts";
import { CsrfField, type Fragment } from "../components.ts";
import { Actions, Checkbox, FieldErrorList, type FieldErrors, FormErrors, RefusedNotice, TextField } from "../fields.ts";
import { NotifyChannels } from "./components.ts";
import { formValues, uploadedText } from "./forms.ts";
import { issuesToFields } from "./issues.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

interface SettingsForm {
  enabled: boolean;
  max: string;
  notify: string[];
  remindAfter: string;
  expireAfter: string;
}

function SettingsView({ f, errors, csrf }: { f: SettingsForm; errors: FieldErrors | undefined; csrf: string }): Fragment {
  return html`<h1>Settings</h1>${FormErrors({ errors })}
<form method="post" class="editor" data-testid="settings-form">${CsrfField({ token: csrf })}
<fieldset><legend>Fallback flow</legend>
<p class="muted">Covers every request no flow matches: the admins approve, for at most ${FALLBACK_MAX_CEILING}. Switched off, such requests are refused (<code>no_flow</code>).</p>
${Checkbox({ label: "Fallback flow enabled", name: "enabled", checked: f.enabled })}
${TextField({ label: "Maximum duration", name: "max", value: f.max, errors, hint: `Up to ${FALLBACK_MAX_CEILING}, e.g. 1h or 4h.` })}
</fieldset>
<fieldset><legend>Approvals</legend>
<p class="muted">How approvers are told when a flow names no channel, when those who have not decided are reminded, and when an undecided request expires.</p>
${NotifyChannels({ checked: (ch) => f.notify.includes(ch) })}
${FieldErrorList({ name: "notify", messages: errors?.get("notify") })}
${TextField({ label: "Remind after", name: "remindAfter", value: f.remindAfter, errors, hint: "e.g. 4h or 1d; again after each such period until the request expires." })}
${TextField({ label: "Expire after", name: "expireAfter", value: f.expireAfter, errors, hint: "e.g. 3d; the requester is told, and can ask again." })}
</fieldset>
${Actions({ children: html`<button class="primary" type="submit" data-testid="save-settings">Save</button>` })}</form>`;
}

function PolicyFileView(p: { yaml: string; problems: string[] | undefined; text: string; csrf: string }): Fragment {
  return html`<h1>Policy file</h1>
<p>The whole policy as <code>gatehouse.yaml</code>, the same model these pages edit. <a class="button" href="/admin/policy.yaml" data-testid="download-policy">Download</a></p>
<p class="muted">At start the relay applies its config file only when the file changed since it was last applied, so edits made here survive restarts; commit the downloaded file to keep it the source of truth.</p>
<pre class="yaml" data-testid="policy-yaml">${p.yaml}</pre>
<h2>Import</h2>
<p>Replaces the whole policy with a file's, in one step, after checking it like the relay does at start.</p>
${RefusedNotice({ title: "Nothing was imported.", problems: p.problems })}
<form method="post" action="/admin/policy" enctype="multipart/form-data" class="editor">${CsrfField({ token: p.csrf })}
<div class="field"><label for="file">Policy file</label><input id="file" type="file" name="file" accept=".yaml,.yml"></div>
${TextField({ label: "…or paste it here", name: "text", value: p.text, rows: 8 })}
${Actions({ children: html`<button class="primary" type="submit">Import</button>` })}</form>`;
}

/** The settings form as submitted. */
function settingsForm(form: Record<string, string>): SettingsForm {
  return {
    enabled: form.enabled === "on",
    max: (form.max ?? "").trim(),
    notify: NOTIFY_CHANNELS.filter((ch) => form[`notify.${ch}`] === "on"),
    remindAfter: (form.remindAfter ?? "").trim(),
    expireAfter: (form.expireAfter ?? "").trim(),
  };
}

/** Each problem beside its field: fallback.max → "max", approvals.notify → "notify"; others on top. */
function settingsErrors(issues: ConfigIssue[]): FieldErrors {
  const part = (key: string) => issues.filter((i) => i.path[0] === key);
  const field = (rest: (string | number)[]) => String(rest[0] ?? "");
  return new Map([
    ...issuesToFields(
      issues.filter((i) => i.path[0] !== "fallback" && i.path[0] !== "approvals"),
      [],
      field,
    ),
    ...issuesToFields(part("fallback"), ["fallback"], field),
    ...issuesToFields(part("approvals"), ["approvals"], field),
  ]);
}

/** Settings (the fallback flow) and the whole policy as a file: view, download, import. */
export function settingsPages(relay: Relay) {
  const meta = (c: AdminContext) => requestMeta(c, relay.env.TRUST_PROXY);
  const settingsPage = (c: AdminContext, f: SettingsForm, errors?: FieldErrors) =>
    c.html(adminPage(c, "settings", "Settings", SettingsView({ f, errors, csrf: c.get("csrf") })), errors ? 422 : 200);
  const policyPage = async (c: AdminContext, problems?: string[], text = "") =>
    c.html(
      adminPage(c, "policy", "Policy file", PolicyFileView({ yaml: await policyFile(relay), problems, text, csrf: c.get("csrf") })),
      problems ? 422 : 200,
    );

  return new Hono<AdminEnv>()
    .get("/admin", (c) => c.redirect("/admin/flows", 303))
    .get("/admin/settings", async (c) => {
      const config = await readPolicy(relay);
      const fallback = config.fallback ?? {};
      const approvals = { ...DEFAULT_APPROVAL_SETTINGS, ...config.approvals };
      return settingsPage(c, {
        enabled: fallback.enabled !== false,
        max: fallback.max ?? FALLBACK_MAX_CEILING,
        notify: approvals.notify,
        remindAfter: approvals.remindAfter,
        expireAfter: approvals.expireAfter,
      });
    })
    .post("/admin/settings", async (c) => {
      const f = settingsForm(await formValues(c));
      const edit = setSettings(
        { enabled: f.enabled, max: f.max },
        { notify: f.notify, remindAfter: f.remindAfter, expireAfter: f.expireAfter },
      );
      const result = await editPolicy(relay, c.get("admin").user, meta(c), edit);
      if (!result.ok) return settingsPage(c, f, settingsErrors(result.issues));
      return c.redirect("/admin/settings?done=settings-saved", 303);
    })
    .get("/admin/policy", (c) => policyPage(c))
    .get("/admin/policy.yaml", async (c) => {
      c.header("content-type", "application/yaml; charset=utf-8");
      c.header("content-disposition", 'attachment; filename="gatehouse.yaml"');
      return c.body(await policyFile(relay));
    })
    .post("/admin/policy", async (c) => {
      const text = await uploadedText(c);
      if (!text.trim()) return policyPage(c, ["choose a file or paste one"]);
      const result = await importPolicy(relay, text, c.get("admin").user, meta(c));
      if (!result.ok) return policyPage(c, result.problems, text);
      return c.redirect("/admin/policy?done=policy-imported", 303);
    });
}
