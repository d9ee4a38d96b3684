import { Hono } from "hono";
import { html } from "hono/html";
import { setSettings } from "../../../admin/edits.ts";
import { NOTIFY_CHANNELS } from "../../../admin/flow-form.ts";
import { editPolicy } from "../../../admin/policy-edit.ts";
import { exportConfig, readConfig } from "../../../config/export.ts";
import { ConfigError, parseConfig } from "../../../config/load.ts";
import { applyConfig } from "../../../config/sync.ts";
import type { Relay } from "../../../context.ts";
import { DEFAULT_APPROVAL_SETTINGS, FALLBACK_MAX_CEILING } from "../../../core/policy/model.ts";
import { requestMeta } from "../../auth.ts";
import { CsrfField } from "../components.ts";
import { Checkbox, FieldErrorList, type FieldErrors, FormErrors, TextField } from "../fields.ts";
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

/** Settings (the fallback flow) and the whole policy as a file: view, download, import. */
export function settingsPages(relay: Relay) {
  const meta = (c: AdminContext) => requestMeta(c, relay.env.TRUST_PROXY);

  const settingsPage = (c: AdminContext, f: SettingsForm, errors?: FieldErrors) =>
    c.html(
      adminPage(
        c,
        "settings",
        "Settings",
        html`<h1>Settings</h1>${FormErrors({ errors })}
<form method="post" class="editor" data-testid="settings-form">${CsrfField({ token: c.get("csrf") })}
<fieldset><legend>Fallback flow</legend>
<p class="muted">Covers every request no flow matches: the admins approve, for at most ${FALLBACK_MAX_CEILING}. Switched off, such requests are refused (<code>no_flow</code>).</p>
${Checkbox({ label: "Fallback flow enabled", name: "enabled", checked: f.enabled })}
${TextField({ label: "Maximum duration", name: "max", value: f.max, errors, hint: `Up to ${FALLBACK_MAX_CEILING}, e.g. 1h or 4h.` })}
</fieldset>
<fieldset><legend>Approvals</legend>
<p class="muted">How approvers are told when a flow names no channel, when those who have not decided are reminded, and when an undecided request expires.</p>
${NOTIFY_CHANNELS.map((ch) => Checkbox({ label: ch === "email" ? "Email" : ch === "slack" ? "Slack" : "Microsoft Teams", name: `notify.${ch}`, checked: f.notify.includes(ch) }))}
${FieldErrorList({ name: "notify", messages: errors?.get("notify") })}
${TextField({ label: "Remind after", name: "remindAfter", value: f.remindAfter, errors, hint: "e.g. 4h or 1d; again after each such period until the request expires." })}
${TextField({ label: "Expire after", name: "expireAfter", value: f.expireAfter, errors, hint: "e.g. 3d; the requester is told, and can ask again." })}
</fieldset>
<div class="actions"><button class="primary" type="submit" data-testid="save-settings">Save</button></div></form>`,
      ),
      errors ? 422 : 200,
    );

  const policyPage = async (c: AdminContext, problems?: string[], text = "") =>
    c.html(
      adminPage(
        c,
        "policy",
        "Policy file",
        html`<h1>Policy file</h1>
<p>The whole policy as <code>gatehouse.yaml</code>, the same model these pages edit. <a class="button" href="/admin/policy.yaml" data-testid="download-policy">Download</a></p>
<p class="muted">At start the relay applies its config file only when the file changed since it was last applied, so edits made here survive restarts; commit the downloaded file to keep it the source of truth.</p>
<pre class="yaml" data-testid="policy-yaml">${await exportConfig(relay.database.db)}</pre>
<h2>Import</h2>
<p>Replaces the whole policy with a file's, in one step, after checking it like the relay does at start.</p>
${problems?.length ? html`<div class="notice bad" role="alert" data-testid="form-errors"><strong>Nothing was imported.</strong><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ""}
<form method="post" action="/admin/policy" enctype="multipart/form-data" class="editor">${CsrfField({ token: c.get("csrf") })}
<div class="field"><label for="file">Policy file</label><input id="file" type="file" name="file" accept=".yaml,.yml"></div>
${TextField({ label: "…or paste it here", name: "text", value: text, rows: 8 })}
<div class="actions"><button class="primary" type="submit">Import</button></div></form>`,
      ),
      problems ? 422 : 200,
    );

  return new Hono<AdminEnv>()
    .get("/admin", (c) => c.redirect("/admin/flows", 303))
    .get("/admin/settings", async (c) => {
      const config = await readConfig(relay.database.db);
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
      const form = await formValues(c);
      const f: SettingsForm = {
        enabled: form.enabled === "on",
        max: (form.max ?? "").trim(),
        notify: NOTIFY_CHANNELS.filter((ch) => form[`notify.${ch}`] === "on"),
        remindAfter: (form.remindAfter ?? "").trim(),
        expireAfter: (form.expireAfter ?? "").trim(),
      };
      const edit = setSettings(
        { enabled: f.enabled, max: f.max },
        { notify: f.notify, remindAfter: f.remindAfter, expireAfter: f.expireAfter },
      );
      const result = await editPolicy(relay, c.get("admin").user, meta(c), edit);
      if (!result.ok) {
        // Each problem beside its field: fallback.max → "max", approvals.notify → "notify"; others on top.
        const part = (key: string) => result.issues.filter((i) => i.path[0] === key);
        const field = (rest: (string | number)[]) => String(rest[0] ?? "");
        const errors: FieldErrors = new Map([
          ...issuesToFields(
            result.issues.filter((i) => i.path[0] !== "fallback" && i.path[0] !== "approvals"),
            [],
            field,
          ),
          ...issuesToFields(part("fallback"), ["fallback"], field),
          ...issuesToFields(part("approvals"), ["approvals"], field),
        ]);
        return settingsPage(c, f, errors);
      }
      return c.redirect("/admin/settings?done=settings-saved", 303);
    })
    .get("/admin/policy", (c) => policyPage(c))
    .get("/admin/policy.yaml", async (c) => {
      c.header("content-type", "application/yaml; charset=utf-8");
      c.header("content-disposition", 'attachment; filename="gatehouse.yaml"');
      return c.body(await exportConfig(relay.database.db));
    })
    .post("/admin/policy", async (c) => {
      const text = await uploadedText(c);
      if (!text.trim()) return policyPage(c, ["choose a file or paste one"]);
      let config: ReturnType<typeof parseConfig>;
      try {
        config = parseConfig(text, "the file");
      } catch (e) {
        if (e instanceof ConfigError) return policyPage(c, e.issues, text);
        throw e;
      }
      const me = c.get("admin").user.email;
      if (!config.admins.includes(me) || config.directory.users.find((u) => u.email === me)?.active === false)
        return policyPage(c, [`admins: the file must keep you (${me}) an active admin; ask another admin to remove you`], text);
      await applyConfig(relay.database.db, config, relay.clock, { actor: me, meta: meta(c) });
      return c.redirect("/admin/policy?done=policy-imported", 303);
    });
}
