import { html } from "hono/html";
import type { DirectoryOverview } from "../../../admin/directory.ts";
import type { PersonAccess } from "../../../grants/admin.ts";
import { attr, CsrfField, type Fragment, Notice, Table, TitleRow, when } from "../components.ts";
import { ActionButton, Actions, Checkbox, FieldErrorList, type FieldErrors, FormErrors, RefusedNotice, TextField } from "../fields.ts";
import { GrantState } from "./components.ts";

const ZONES = Intl.supportedValuesOf("timeZone");
const userPath = (email: string) => `/admin/users/${encodeURIComponent(email)}`;
const groupPath = (id: string) => `/admin/groups/${encodeURIComponent(id)}`;
const SaveOrCancel = (p: { testid?: string }) =>
  Actions({
    children: html`<button class="primary" type="submit"${attr("data-testid", p.testid)}>Save</button> <a href="/admin/directory">Cancel</a>`,
  });

function PeopleSection({ dir, q }: { dir: DirectoryOverview; q: string }): Fragment {
  return html`${TitleRow({
    children: html`<h2>People <span class="muted">(${dir.total})</span></h2>
<form method="get" class="search"><input name="q" type="search" value="${q}" placeholder="Search by name or email" aria-label="Search people"> <button type="submit" class="small">Search</button></form>`,
  })}
${dir.matching > dir.people.length ? html`<p class="muted">Showing ${dir.people.length} of ${dir.matching}; search to narrow.</p>` : ""}
${Table({
  testid: "user-list",
  head: ["Person", "Manager", "Time zone", "Groups", "State"],
  rows: dir.people.map(
    (u) =>
      html`<tr data-user="${u.email}"${u.active === false ? html` class="disabled"` : ""}><td><a href="${userPath(u.email)}">${u.name}</a><br><span class="muted">${u.email}</span></td><td>${u.manager ?? ""}</td><td>${u.timezone ?? "UTC"}</td><td>${(dir.groupsOf.get(u.email) ?? []).join(", ")}</td><td>${u.active === false ? "inactive" : "active"}${dir.admins.has(u.email) ? " · admin" : ""}</td></tr>`,
  ),
})}`;
}

/** The directory: people (searched), groups and their members, resource owners. */
export function DirectoryView({ dir, q }: { dir: DirectoryOverview; q: string }): Fragment {
  return html`${TitleRow({
    children: html`<h1>Directory</h1><span><a class="button" href="/admin/users/import">Import CSV</a> <a class="button primary" href="/admin/users/new" data-testid="new-user">New person</a></span>`,
  })}
${PeopleSection({ dir, q })}
${TitleRow({ children: html`<h2>Groups <span class="muted">(${dir.groups.length})</span></h2><a class="button" href="/admin/groups/new" data-testid="new-group">New group</a>` })}
${Table({
  testid: "group-list",
  head: ["Group", "Members"],
  rows: dir.groups.map(
    (g) =>
      html`<tr data-group="${g.id}"><td><a href="${groupPath(g.id)}">${g.name}</a><br><code class="muted">group:${g.id}</code></td><td>${(g.members ?? []).join(", ")}</td></tr>`,
  ),
})}
${TitleRow({ children: html`<h2>Resource owners</h2><a class="button" href="/admin/owners">Edit</a>` })}
${Table({
  head: ["App", "Resources", "Owners"],
  rows: dir.resourceOwners.map((o) => html`<tr><td>${o.app}</td><td><code>${o.resource}</code></td><td>${o.owners.join(", ")}</td></tr>`),
})}`;
}

export type UserForm = { email: string; name: string; manager: string; timezone: string; active: boolean; admin: boolean };

/** A person's editor (original null: a new person); on a person's page, their access below it. */
export function UserEditorView(p: {
  original: string | null;
  f: UserForm;
  errors: FieldErrors | undefined;
  notice?: Fragment;
  access?: Fragment;
  csrf: string;
}): Fragment {
  const { f, errors } = p;
  return html`<h1>${p.original ? "Edit person" : "New person"}</h1>${FormErrors({ errors })}${p.notice ?? ""}
<form method="post" class="editor" data-testid="user-form">${CsrfField({ token: p.csrf })}
${TextField({ label: "Email", name: "email", value: f.email, errors, type: "email", readonly: p.original !== null })}
${TextField({ label: "Name", name: "name", value: f.name, errors })}
${TextField({ label: "Manager", name: "manager", value: f.manager, errors, type: "email", hint: "Their manager's email (the 'manager' approver); must be in the directory." })}
${TextField({ label: "Time zone", name: "timezone", value: f.timezone, errors, list: "zones", hint: "IANA time zone, e.g. Europe/Berlin; conditions read it." })}
<datalist id="zones">${ZONES.map((z) => html`<option value="${z}">`)}</datalist>
${Checkbox({ label: "Active", name: "active", checked: f.active, hint: "Inactive people cannot sign in, request or approve; their pending approvals move to error." })}
${Checkbox({ label: "Admin", name: "admin", checked: f.admin, hint: "Admins sign in here and approve fallback requests." })}
${SaveOrCancel({ testid: "save-user" })}</form>
${p.access ?? ""}`;
}

/** When a live grant ends, in words where it has no end time yet. */
function GrantEnds({ g }: { g: PersonAccess["live"][number]["g"] }): Fragment | string {
  if (g.state === "awaiting_start") return html`<span class="muted">start by</span> ${when(g.startBy)}`;
  if (g.endsAt) return when(g.endsAt);
  return g.duration === "indefinite"
    ? html`<span class="muted">until revoked</span>`
    : html`<span class="muted">${g.duration} once in place</span>`;
}

/** The off-boarding form: every grant that can be revoked, at once (grants/admin.ts's revokeAllOf). */
function RevokeAllForm(p: { email: string; revocable: number; reason: string; errors: FieldErrors | undefined; csrf: string }): Fragment {
  const hint = `Off-boarding: revokes all ${p.revocable} grant${p.revocable === 1 ? "" : "s"} that can be revoked; each provider is asked to remove the access, and the person is told.`;
  return html`<div class="danger"><form method="post" action="${userPath(p.email)}/revoke-all" class="editor" data-testid="revoke-all-form">${CsrfField({ token: p.csrf })}
${TextField({ label: "Reason (kept in the audit trail)", name: "reason", value: p.reason, errors: p.errors, required: true, maxlength: 1000, hint })}
${Actions({ children: html`<button class="reject" type="submit" data-testid="revoke-all">Revoke all access…</button>` })}</form></div>`;
}

/** The person's live access and the off-boarding button. */
export function AccessSection(p: {
  email: string;
  access: PersonAccess;
  reason: string;
  errors: FieldErrors | undefined;
  csrf: string;
}): Fragment {
  const { live, revocable } = p.access;
  return html`<h2 id="access">Access <span class="muted">(${live.length} live)</span></h2>
${
  live.length
    ? Table({
        testid: "person-grants",
        head: ["Since (UTC)", "App · resource", "State", "Ends (UTC)"],
        rows: live.map(
          ({ g, resourceName }) =>
            html`<tr data-grant="${g.id}"><td><a href="/admin/requests/${g.requestId}">${when(g.startsAt)}</a></td><td>${g.app} · ${g.scope === "app" ? "(whole app)" : (resourceName ?? g.resourceId ?? "")}</td><td>${GrantState({ grant: g })}</td><td>${GrantEnds({ g })}</td></tr>`,
        ),
      })
    : html`<p class="muted" data-testid="person-grants-none">No live access.</p>`
}
${revocable ? RevokeAllForm({ ...p, revocable }) : ""}`;
}

/** Why nothing was revoked: the reason is required. */
export const ReasonMissing = (): Fragment =>
  Notice({
    tone: "bad",
    alert: true,
    testid: "form-errors",
    block: true,
    children: html`<strong>Nothing was revoked.</strong> <a href="#f-reason">The reason</a> is missing: say why, for the audit trail.`,
  });

export type GroupForm = { id: string; name: string; members: string };

export function GroupEditorView(p: { original: string | null; f: GroupForm; errors: FieldErrors | undefined; csrf: string }): Fragment {
  const { f, errors, original } = p;
  return html`<h1>${original ? "Edit group" : "New group"}</h1>${FormErrors({ errors })}
<form method="post" class="editor" data-testid="group-form">${CsrfField({ token: p.csrf })}
${TextField({ label: "Id", name: "id", value: f.id, errors, readonly: original !== null, hint: "Flows name it as group:<id>." })}
${TextField({ label: "Name", name: "name", value: f.name, errors })}
${TextField({ label: "Members", name: "members", value: f.members, errors, rows: 6, hint: "Emails, one per line; each must be in the directory." })}
${SaveOrCancel({ testid: "save-group" })}</form>
${original ? html`<div class="danger">${ActionButton({ csrf: p.csrf, action: `${groupPath(original)}/delete`, label: "Delete this group", cls: "reject" })}</div>` : ""}`;
}

export type OwnerRow = { app: string; resource: string; owners: string };

/** One row of the owners editor; its problems are keyed `<row>.<field>`. */
function OwnerRowFields({ r, i, errors }: { r: OwnerRow; i: number; errors: FieldErrors | undefined }): Fragment {
  const problems = (["app", "resource", "owners"] as const).map((k) =>
    FieldErrorList({ name: `owners.${i}.${k}`, messages: errors?.get(`${i}.${k}`)?.map((e) => `${k}: ${e}`) }),
  );
  return html`<tr><td><input name="owners.${i}.app" value="${r.app}" aria-label="App"></td><td><input name="owners.${i}.resource" value="${r.resource}" aria-label="Resource glob"></td><td><input name="owners.${i}.owners" value="${r.owners}" aria-label="Owners">${problems}</td></tr>`;
}

export function OwnersEditorView(p: { rows: OwnerRow[]; errors: FieldErrors | undefined; csrf: string }): Fragment {
  return html`<h1>Resource owners</h1>
<p class="muted">Who approves for steps that name <code>resource_owner</code>: every row whose app and resource glob match the request counts. Leave a row empty to remove it.</p>
${FormErrors({ errors: p.errors })}
<form method="post" class="editor" data-testid="owners-form">${CsrfField({ token: p.csrf })}
${Table({
  head: ["App", "Resource glob", "Owners (user:<email>, group:<id>)"],
  rows: [...p.rows, { app: "", resource: "", owners: "" }].map((r, i) => OwnerRowFields({ r, i, errors: p.errors })),
})}
${SaveOrCancel({})}</form>`;
}

export function ImportView(p: { problems: string[] | undefined; csrf: string }): Fragment {
  return html`<h1>Import people from CSV</h1>
<p>A header row, then one person per line. Columns: <code>email</code>, <code>name</code>, and optionally <code>manager</code>, <code>timezone</code>, <code>active</code>. People already in the directory are updated; nobody is removed. The whole file is checked first: either every line is imported or none.</p>
<pre class="yaml">email,name,manager,timezone,active
dana@acme.test,Dana Whitfield,lee@acme.test,Europe/Berlin,true</pre>
${RefusedNotice({ title: "Nothing was imported.", problems: p.problems })}
<form method="post" enctype="multipart/form-data" class="editor" data-testid="import-form">${CsrfField({ token: p.csrf })}
<div class="field"><label for="file">CSV file</label><input id="file" type="file" name="file" accept=".csv,text/csv"></div>
${TextField({ label: "…or paste it here", name: "text", value: "", rows: 6 })}
${Actions({ children: html`<button class="primary" type="submit" data-testid="import-users">Import</button>` })}</form>`;
}
