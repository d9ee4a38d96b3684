import { and, desc, eq, notInArray } from "drizzle-orm";
import { Hono } from "hono";
import { html } from "hono/html";
import { deleteGroup, importUsers, type ResourceOwnerInput, saveGroup, saveUser, setResourceOwners } from "../../../admin/edits.ts";
import { entries } from "../../../admin/flow-form.ts";
import { editPolicy } from "../../../admin/policy-edit.ts";
import { parseUsersCsv } from "../../../admin/users-csv.ts";
import { readConfig } from "../../../config/export.ts";
import { formatPath } from "../../../config/load.ts";
import type { Relay } from "../../../context.ts";
import { ENDED_STATES, transition } from "../../../core/grant-lifecycle.ts";
import { grants, users as people, requests } from "../../../db/schema/index.ts";
import { revokeAllOf } from "../../../grants/admin.ts";
import { grantFacts } from "../../../grants/lifecycle.ts";
import { requestMeta } from "../../auth.ts";
import { CsrfField, type Fragment, when } from "../components.ts";
import { ActionButton, Checkbox, type FieldErrors, FormErrors, TextField } from "../fields.ts";
import { GrantState } from "./components.ts";
import { formValues, uploadedText } from "./forms.ts";
import { issuesToFields } from "./issues.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

const ZONES = Intl.supportedValuesOf("timeZone");
const PAGE_SIZE = 200;
const firstField = (rest: (string | number)[]) => (rest.length ? String(rest[0]) : "");

/** The directory: people (manager, time zone, active, admin), groups and members, resource owners, CSV import. */
export function directoryPages(relay: Relay) {
  const meta = (c: AdminContext) => requestMeta(c, relay.env.TRUST_PROXY);
  const by = (c: AdminContext) => c.get("admin").user;

  const overview = async (c: AdminContext) => {
    const config = await readConfig(relay.database.db);
    const everyone = config.directory?.users ?? [];
    const q = (c.req.query("q") ?? "").trim().toLowerCase();
    const matching = q ? everyone.filter((u) => u.email.includes(q) || u.name.toLowerCase().includes(q)) : everyone;
    // A directory of 20,000 is searched, not scrolled.
    const users = matching.slice(0, PAGE_SIZE);
    const groups = config.directory?.groups ?? [];
    const admins = new Set(config.admins ?? []);
    const groupsOf = new Map<string, string[]>();
    for (const g of groups) for (const m of g.members ?? []) groupsOf.set(m, [...(groupsOf.get(m) ?? []), g.id]);
    return c.html(
      adminPage(
        c,
        "directory",
        "Directory",
        html`<div class="title-row"><h1>Directory</h1><span><a class="button" href="/admin/users/import">Import CSV</a> <a class="button primary" href="/admin/users/new" data-testid="new-user">New person</a></span></div>
<div class="title-row"><h2>People <span class="muted">(${everyone.length})</span></h2>
<form method="get" class="search"><input name="q" type="search" value="${q}" placeholder="Search by name or email" aria-label="Search people"> <button type="submit" class="small">Search</button></form></div>
${matching.length > users.length ? html`<p class="muted">Showing ${users.length} of ${matching.length}; search to narrow.</p>` : ""}
<table data-testid="user-list"><thead><tr><th>Person</th><th>Manager</th><th>Time zone</th><th>Groups</th><th>State</th></tr></thead><tbody>
${users.map(
  (u) =>
    html`<tr data-user="${u.email}"${u.active === false ? html` class="disabled"` : ""}><td><a href="/admin/users/${encodeURIComponent(u.email)}">${u.name}</a><br><span class="muted">${u.email}</span></td><td>${u.manager ?? ""}</td><td>${u.timezone ?? "UTC"}</td><td>${(groupsOf.get(u.email) ?? []).join(", ")}</td><td>${u.active === false ? "inactive" : "active"}${admins.has(u.email) ? " · admin" : ""}</td></tr>`,
)}
</tbody></table>
<div class="title-row"><h2>Groups <span class="muted">(${groups.length})</span></h2><a class="button" href="/admin/groups/new" data-testid="new-group">New group</a></div>
<table data-testid="group-list"><thead><tr><th>Group</th><th>Members</th></tr></thead><tbody>
${groups.map((g) => html`<tr data-group="${g.id}"><td><a href="/admin/groups/${encodeURIComponent(g.id)}">${g.name}</a><br><code class="muted">group:${g.id}</code></td><td>${(g.members ?? []).join(", ")}</td></tr>`)}
</tbody></table>
<div class="title-row"><h2>Resource owners</h2><a class="button" href="/admin/owners">Edit</a></div>
<table><thead><tr><th>App</th><th>Resources</th><th>Owners</th></tr></thead><tbody>
${(config.resourceOwners ?? []).map((o) => html`<tr><td>${o.app}</td><td><code>${o.resource}</code></td><td>${o.owners.join(", ")}</td></tr>`)}
</tbody></table>`,
      ),
    );
  };

  /** A person's grants that are not over yet, newest first, with the resource's name from the request. */
  const liveGrantsOf = async (email: string) =>
    relay.database.db
      .select({ g: grants, resourceName: requests.resourceName })
      .from(grants)
      .innerJoin(people, eq(people.id, grants.userId))
      .innerJoin(requests, eq(requests.id, grants.requestId))
      .where(and(eq(people.email, email), notInArray(grants.state, [...ENDED_STATES])))
      .orderBy(desc(grants.startsAt))
      .limit(PAGE_SIZE);

  /**
   * The person's live access and the off-boarding button: every grant that
   * can still be revoked is revoked at once (revokeAllOf: one transaction,
   * each grant through the lifecycle, so each provider revoke is queued).
   */
  const accessSection = async (c: AdminContext, email: string, reason: string, errors?: FieldErrors) => {
    const live = await liveGrantsOf(email);
    const now = relay.clock.now();
    // The machine has the last word on what a revoke applies to (not a grant whose revoke is under way or gave up).
    const revocable = live.filter(({ g }) => transition(grantFacts(g), { type: "revoke", now, by: "", reason: "" }).ok).length;
    const ends = (g: (typeof live)[number]["g"]) =>
      g.state === "awaiting_start"
        ? html`<span class="muted">start by</span> ${when(g.startBy)}`
        : g.endsAt
          ? when(g.endsAt)
          : g.duration === "indefinite"
            ? html`<span class="muted">until revoked</span>`
            : html`<span class="muted">${g.duration} once in place</span>`;
    return html`<h2 id="access">Access <span class="muted">(${live.length} live)</span></h2>
${
  live.length
    ? html`<table data-testid="person-grants"><thead><tr><th>Since (UTC)</th><th>App · resource</th><th>State</th><th>Ends (UTC)</th></tr></thead><tbody>
${live.map(
  ({ g, resourceName }) =>
    html`<tr data-grant="${g.id}"><td><a href="/admin/requests/${g.requestId}">${when(g.startsAt)}</a></td><td>${g.app} · ${g.scope === "app" ? "(whole app)" : (resourceName ?? g.resourceId ?? "")}</td><td>${GrantState({ grant: g })}</td><td>${ends(g)}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="muted" data-testid="person-grants-none">No live access.</p>`
}
${
  revocable
    ? html`<div class="danger"><form method="post" action="/admin/users/${encodeURIComponent(email)}/revoke-all" class="editor" data-testid="revoke-all-form">${CsrfField({ token: c.get("csrf") })}
${TextField({
  label: "Reason (kept in the audit trail)",
  name: "reason",
  value: reason,
  errors,
  required: true,
  maxlength: 1000,
  hint: `Off-boarding: revokes all ${revocable} grant${revocable === 1 ? "" : "s"} that can be revoked; each provider is asked to remove the access, and the person is told.`,
})}
<div class="actions"><button class="reject" type="submit" data-testid="revoke-all">Revoke all access…</button></div></form></div>`
    : ""
}`;
  };

  type UserForm = { email: string; name: string; manager: string; timezone: string; active: boolean; admin: boolean };
  const userEditor = (
    c: AdminContext,
    original: string | null,
    f: UserForm,
    errors?: FieldErrors,
    more: { access?: Fragment; notice?: Fragment; status?: 200 | 422 } = {},
  ) =>
    c.html(
      adminPage(
        c,
        "directory",
        original ? f.name : "New person",
        html`<h1>${original ? "Edit person" : "New person"}</h1>${FormErrors({ errors })}${more.notice ?? ""}
<form method="post" class="editor" data-testid="user-form">${CsrfField({ token: c.get("csrf") })}
${TextField({ label: "Email", name: "email", value: f.email, errors, type: "email", readonly: original !== null })}
${TextField({ label: "Name", name: "name", value: f.name, errors })}
${TextField({ label: "Manager", name: "manager", value: f.manager, errors, type: "email", hint: "Their manager's email (the 'manager' approver); must be in the directory." })}
${TextField({ label: "Time zone", name: "timezone", value: f.timezone, errors, list: "zones", hint: "IANA time zone, e.g. Europe/Berlin; conditions read it." })}
<datalist id="zones">${ZONES.map((z) => html`<option value="${z}">`)}</datalist>
${Checkbox({ label: "Active", name: "active", checked: f.active, hint: "Inactive people cannot sign in, request or approve; their pending approvals move to error." })}
${Checkbox({ label: "Admin", name: "admin", checked: f.admin, hint: "Admins sign in here and approve fallback requests." })}
<div class="actions"><button class="primary" type="submit" data-testid="save-user">Save</button> <a href="/admin/directory">Cancel</a></div></form>
${more.access ?? ""}`,
      ),
      more.status ?? (errors ? 422 : 200),
    );

  /** A person: the edit form, then their live access with the off-boarding button. */
  const personPage = async (c: AdminContext, email: string, revoke?: { reason: string; errors: FieldErrors }) => {
    const config = await readConfig(relay.database.db);
    const u = config.directory?.users?.find((x) => x.email === email);
    if (!u)
      return c.html(
        adminPage(c, "directory", "No such person", html`<h1>No such person</h1><p><a href="/admin/directory">Directory</a></p>`),
        404,
      );
    return userEditor(
      c,
      u.email,
      {
        email: u.email,
        name: u.name,
        manager: u.manager ?? "",
        timezone: u.timezone ?? "UTC",
        active: u.active !== false,
        admin: (config.admins ?? []).includes(u.email),
      },
      undefined,
      {
        access: await accessSection(c, u.email, revoke?.reason ?? "", revoke?.errors),
        ...(revoke
          ? {
              status: 422 as const,
              notice: html`<div class="notice bad" role="alert" data-testid="form-errors"><strong>Nothing was revoked.</strong> <a href="#f-reason">The reason</a> is missing: say why, for the audit trail.</div>`,
            }
          : {}),
      },
    );
  };

  const submitUser = async (c: AdminContext, original: string | null) => {
    const form = await formValues(c);
    const f: UserForm = {
      email: (original ?? form.email ?? "").trim(),
      name: (form.name ?? "").trim(),
      manager: (form.manager ?? "").trim(),
      timezone: (form.timezone ?? "").trim() || "UTC",
      active: form.active === "on",
      admin: form.admin === "on",
    };
    const user = { email: f.email, name: f.name, timezone: f.timezone, active: f.active, ...(f.manager ? { manager: f.manager } : {}) };
    const result = await editPolicy(relay, by(c), meta(c), saveUser(original, user, f.admin));
    if (!result.ok) return userEditor(c, original, f, issuesToFields(result.issues, result.focus, firstField));
    return c.redirect(`/admin/directory?done=user-saved&stranded=${result.strandedRequests}`, 303);
  };

  const groupEditor = (c: AdminContext, original: string | null, f: { id: string; name: string; members: string }, errors?: FieldErrors) =>
    c.html(
      adminPage(
        c,
        "directory",
        original ? f.name : "New group",
        html`<h1>${original ? "Edit group" : "New group"}</h1>${FormErrors({ errors })}
<form method="post" class="editor" data-testid="group-form">${CsrfField({ token: c.get("csrf") })}
${TextField({ label: "Id", name: "id", value: f.id, errors, readonly: original !== null, hint: "Flows name it as group:<id>." })}
${TextField({ label: "Name", name: "name", value: f.name, errors })}
${TextField({ label: "Members", name: "members", value: f.members, errors, rows: 6, hint: "Emails, one per line; each must be in the directory." })}
<div class="actions"><button class="primary" type="submit" data-testid="save-group">Save</button> <a href="/admin/directory">Cancel</a></div></form>
${original ? html`<div class="danger">${ActionButton({ csrf: c.get("csrf"), action: `/admin/groups/${encodeURIComponent(original)}/delete`, label: "Delete this group", cls: "reject" })}</div>` : ""}`,
      ),
      errors ? 422 : 200,
    );

  const submitGroup = async (c: AdminContext, original: string | null) => {
    const form = await formValues(c);
    const f = { id: (original ?? form.id ?? "").trim(), name: (form.name ?? "").trim(), members: form.members ?? "" };
    const result = await editPolicy(relay, by(c), meta(c), saveGroup(original, { id: f.id, name: f.name, members: entries(f.members) }));
    if (!result.ok) return groupEditor(c, original, f, issuesToFields(result.issues, result.focus, firstField));
    return c.redirect(`/admin/directory?done=group-saved&stranded=${result.strandedRequests}`, 303);
  };

  const ownersEditor = (c: AdminContext, rows: { app: string; resource: string; owners: string }[], errors?: FieldErrors) =>
    c.html(
      adminPage(
        c,
        "directory",
        "Resource owners",
        html`<h1>Resource owners</h1>
<p class="muted">Who approves for steps that name <code>resource_owner</code>: every row whose app and resource glob match the request counts. Leave a row empty to remove it.</p>
${FormErrors({ errors })}
<form method="post" class="editor" data-testid="owners-form">${CsrfField({ token: c.get("csrf") })}
<table><thead><tr><th>App</th><th>Resource glob</th><th>Owners (user:&lt;email&gt;, group:&lt;id&gt;)</th></tr></thead><tbody>
${[...rows, { app: "", resource: "", owners: "" }].map(
  (r, i) =>
    html`<tr><td><input name="owners.${i}.app" value="${r.app}" aria-label="App"></td><td><input name="owners.${i}.resource" value="${r.resource}" aria-label="Resource glob"></td><td><input name="owners.${i}.owners" value="${r.owners}" aria-label="Owners">${["app", "resource", "owners"].map((k) => html`${errorsOfRow(errors, i, k)}`)}</td></tr>`,
)}
</tbody></table>
<div class="actions"><button class="primary" type="submit">Save</button> <a href="/admin/directory">Cancel</a></div></form>`,
      ),
      errors ? 422 : 200,
    );

  const importPage = (c: AdminContext, errors?: string[]) =>
    c.html(
      adminPage(
        c,
        "directory",
        "Import people",
        html`<h1>Import people from CSV</h1>
<p>A header row, then one person per line. Columns: <code>email</code>, <code>name</code>, and optionally <code>manager</code>, <code>timezone</code>, <code>active</code>. People already in the directory are updated; nobody is removed. The whole file is checked first: either every line is imported or none.</p>
<pre class="yaml">email,name,manager,timezone,active
dana@acme.test,Dana Whitfield,lee@acme.test,Europe/Berlin,true</pre>
${errors?.length ? html`<div class="notice bad" role="alert" data-testid="form-errors"><strong>Nothing was imported.</strong><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ""}
<form method="post" enctype="multipart/form-data" class="editor" data-testid="import-form">${CsrfField({ token: c.get("csrf") })}
<div class="field"><label for="file">CSV file</label><input id="file" type="file" name="file" accept=".csv,text/csv"></div>
${TextField({ label: "…or paste it here", name: "text", value: "", rows: 6 })}
<div class="actions"><button class="primary" type="submit" data-testid="import-users">Import</button></div></form>`,
      ),
      errors ? 422 : 200,
    );

  return new Hono<AdminEnv>()
    .get("/admin/directory", overview)
    .get("/admin/users/new", (c) => userEditor(c, null, { email: "", name: "", manager: "", timezone: "UTC", active: true, admin: false }))
    .post("/admin/users/new", (c) => submitUser(c, null))
    .get("/admin/users/import", (c) => importPage(c))
    .post("/admin/users/import", async (c) => {
      const text = await uploadedText(c);
      if (text.length > 10_000_000) return importPage(c, ["the file is larger than 10 MB"]);
      const parsed = parseUsersCsv(text);
      if (!parsed.ok) return importPage(c, parsed.errors);
      const edit = importUsers(parsed.people);
      const result = await editPolicy(relay, by(c), meta(c), edit);
      if (!result.ok) {
        return importPage(
          c,
          result.issues.map((i) => {
            const [a, b, index, ...rest] = i.path;
            const line = a === "directory" && b === "users" && typeof index === "number" ? edit.lineOf(index) : null;
            return line ? `line ${line}${rest.length ? `, ${formatPath(rest)}` : ""}: ${i.message}` : `${formatPath(i.path)}: ${i.message}`;
          }),
        );
      }
      return c.redirect(`/admin/directory?done=users-imported&stranded=${result.strandedRequests}`, 303);
    })
    .get("/admin/users/:email", (c) => personPage(c, c.req.param("email")))
    .post("/admin/users/:email", (c) => submitUser(c, c.req.param("email")))
    .post("/admin/users/:email/revoke-all", async (c) => {
      const email = c.req.param("email");
      const reason = ((await formValues(c)).reason ?? "").trim().slice(0, 1000);
      const [person] = await relay.database.db.select({ id: people.id }).from(people).where(eq(people.email, email));
      if (!person) return personPage(c, email);
      if (!reason) return personPage(c, email, { reason: "", errors: new Map([["reason", ["say why, for the audit trail"]]]) });
      const revoked = await revokeAllOf(relay, by(c).email, person.id, reason, meta(c));
      return c.redirect(`/admin/users/${encodeURIComponent(email)}?done=access-revoked&n=${revoked}#access`, 303);
    })
    .get("/admin/groups/new", (c) => groupEditor(c, null, { id: "", name: "", members: "" }))
    .post("/admin/groups/new", (c) => submitGroup(c, null))
    .get("/admin/groups/:id", async (c) => {
      const config = await readConfig(relay.database.db);
      const g = config.directory?.groups?.find((x) => x.id === c.req.param("id"));
      if (!g)
        return c.html(
          adminPage(c, "directory", "No such group", html`<h1>No such group</h1><p><a href="/admin/directory">Directory</a></p>`),
          404,
        );
      return groupEditor(c, g.id, { id: g.id, name: g.name, members: (g.members ?? []).join("\n") });
    })
    .post("/admin/groups/:id", (c) => submitGroup(c, c.req.param("id")))
    .post("/admin/groups/:id/delete", async (c) => {
      const id = c.req.param("id");
      const result = await editPolicy(relay, by(c), meta(c), deleteGroup(id));
      if (result.ok) return c.redirect(`/admin/directory?done=group-deleted&stranded=${result.strandedRequests}`, 303);
      const config = await readConfig(relay.database.db);
      const g = config.directory?.groups?.find((x) => x.id === id);
      return groupEditor(
        c,
        id,
        { id, name: g?.name ?? "", members: (g?.members ?? []).join("\n") },
        issuesToFields(result.issues, [], firstField),
      );
    })
    .get("/admin/owners", async (c) => {
      const config = await readConfig(relay.database.db);
      return ownersEditor(
        c,
        (config.resourceOwners ?? []).map((o) => ({ app: o.app, resource: o.resource, owners: o.owners.join(", ") })),
      );
    })
    .post("/admin/owners", async (c) => {
      const form = await formValues(c);
      const rows: { app: string; resource: string; owners: string }[] = [];
      for (let i = 0; form[`owners.${i}.app`] !== undefined; i++) {
        const row = {
          app: form[`owners.${i}.app`]?.trim() ?? "",
          resource: form[`owners.${i}.resource`]?.trim() ?? "",
          owners: form[`owners.${i}.owners`] ?? "",
        };
        if (row.app || row.resource || row.owners.trim()) rows.push(row);
      }
      const owners: ResourceOwnerInput[] = rows.map((r) => ({ app: r.app, resource: r.resource, owners: entries(r.owners) }));
      const result = await editPolicy(relay, by(c), meta(c), setResourceOwners(owners));
      if (!result.ok) {
        // Paths are resourceOwners[i].field…: keyed "i.field" for the row's cell.
        return ownersEditor(
          c,
          rows,
          issuesToFields(result.issues, result.focus, (rest) => rest.slice(0, 2).join(".")),
        );
      }
      return c.redirect(`/admin/directory?done=owners-saved&stranded=${result.strandedRequests}`, 303);
    });
}

function errorsOfRow(errors: FieldErrors | undefined, row: number, key: string) {
  const list = errors?.get(`${row}.${key}`);
  return list?.length
    ? html`<ul class="field-errors" data-error-for="owners.${row}.${key}">${list.map((e) => html`<li>${key}: ${e}</li>`)}</ul>`
    : "";
}
