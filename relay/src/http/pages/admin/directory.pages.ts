import { Hono } from "hono";
import { html } from "hono/html";
import { directoryOverview, findGroup, findPerson, personId, resourceOwners } from "../../../admin/directory.ts";
import { deleteGroup, importUsers, type ResourceOwnerInput, saveGroup, setResourceOwners } from "../../../admin/edits.ts";
import { entries, type FormValues } from "../../../admin/flow-form.ts";
import { savePerson } from "../../../admin/person-save.ts";
import { editPolicy, type PolicyEdit } from "../../../admin/policy-edit.ts";
import { parseUsersCsv } from "../../../admin/users-csv.ts";
import { formatPath } from "../../../config/load.ts";
import type { ConfigIssue } from "../../../config/schema.ts";
import type { Relay } from "../../../context.ts";
import { personAccess, revokeAllOf } from "../../../grants/admin.ts";
import { requestMeta } from "../../auth.ts";
import type { Fragment } from "../components.ts";
import type { FieldErrors } from "../fields.ts";
import {
  AccessSection,
  DirectoryView,
  GroupEditorView,
  type GroupForm,
  ImportView,
  type OwnerRow,
  OwnersEditorView,
  ReasonMissing,
  UserEditorView,
  type UserForm,
} from "./directory.views.ts";
import { formValues, uploadedText } from "./forms.ts";
import { issuesToFields } from "./issues.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

const PAGE_SIZE = 200;
const firstField = (rest: (string | number)[]) => (rest.length ? String(rest[0]) : "");
const NEW_USER: UserForm = { email: "", name: "", manager: "", timezone: "UTC", active: true, admin: false };

function userForm(original: string | null, form: FormValues): UserForm {
  return {
    email: (original ?? form.email ?? "").trim(),
    name: (form.name ?? "").trim(),
    manager: (form.manager ?? "").trim(),
    timezone: (form.timezone ?? "").trim() || "UTC",
    active: form.active === "on",
    admin: form.admin === "on",
  };
}

/** The owners editor's rows as submitted, empty ones left out. */
function ownerRows(form: FormValues): OwnerRow[] {
  const rows: OwnerRow[] = [];
  for (let i = 0; form[`owners.${i}.app`] !== undefined; i++) {
    const row = {
      app: form[`owners.${i}.app`]?.trim() ?? "",
      resource: form[`owners.${i}.resource`]?.trim() ?? "",
      owners: form[`owners.${i}.owners`] ?? "",
    };
    if (row.app || row.resource || row.owners.trim()) rows.push(row);
  }
  return rows;
}

/** An import's problems by the CSV line they are on, where they are on one. */
const importProblems = (issues: ConfigIssue[], lineOf: (index: number) => number | null) =>
  issues.map((i) => {
    const [a, b, index, ...rest] = i.path;
    const line = a === "directory" && b === "users" && typeof index === "number" ? lineOf(index) : null;
    return line ? `line ${line}${rest.length ? `, ${formatPath(rest)}` : ""}: ${i.message}` : `${formatPath(i.path)}: ${i.message}`;
  });

const notFound = (c: AdminContext, what: string) =>
  c.html(adminPage(c, "directory", `No such ${what}`, html`<h1>No such ${what}</h1><p><a href="/admin/directory">Directory</a></p>`), 404);
const view = (c: AdminContext, title: string, body: Fragment, status: 200 | 422 = 200) =>
  c.html(adminPage(c, "directory", title, body), status);
const status = (errors: unknown) => (errors ? 422 : 200);
/** Back to the directory after a change, saying so (and how many pending requests it left without an approver). */
const saved = (c: AdminContext, done: string, stranded: number) => c.redirect(`/admin/directory?done=${done}&stranded=${stranded}`, 303);
/** A change of the directory by the signed-in admin, checked and audited like every policy edit. */
const edit = (relay: Relay, c: AdminContext, change: PolicyEdit) =>
  editPolicy(relay, c.get("admin").user, requestMeta(c, relay.env.TRUST_PROXY), change);

/** People: a new one, a person's page (the editor, their access, the off-boarding). */
function peopleRoutes(relay: Relay) {
  const userEditor = (c: AdminContext, original: string | null, f: UserForm, errors?: FieldErrors) =>
    view(c, original ? f.name : "New person", UserEditorView({ original, f, errors, csrf: c.get("csrf") }), status(errors));

  /** A person: the edit form, then their live access with the off-boarding button (and, when a revoke lacked its reason, why nothing happened). */
  const personPage = async (c: AdminContext, email: string, revoke?: { reason: string; errors: FieldErrors }) => {
    const person = await findPerson(relay, email);
    if (!person) return notFound(c, "person");
    const { user: u } = person;
    const f = {
      email: u.email,
      name: u.name,
      manager: u.manager ?? "",
      timezone: u.timezone ?? "UTC",
      active: u.active !== false,
      admin: person.admin,
    };
    const csrf = c.get("csrf");
    const access = await personAccess(relay, u.email, PAGE_SIZE);
    const section = AccessSection({ email: u.email, access, reason: revoke?.reason ?? "", errors: revoke?.errors, csrf });
    const notice = revoke ? ReasonMissing() : undefined;
    return view(c, u.name, UserEditorView({ original: u.email, f, errors: undefined, notice, access: section, csrf }), revoke ? 422 : 200);
  };

  const submitUser = async (c: AdminContext, original: string | null) => {
    const f = userForm(original, await formValues(c));
    const user = { email: f.email, name: f.name, timezone: f.timezone, active: f.active, ...(f.manager ? { manager: f.manager } : {}) };
    // One row, checked and written on its own (admin/person-save.ts), not the whole directory.
    const result = await savePerson(relay, c.get("admin").user, requestMeta(c, relay.env.TRUST_PROXY), original, user, f.admin);
    if (!result.ok) return userEditor(c, original, f, issuesToFields(result.issues, result.focus, firstField));
    return saved(c, "user-saved", result.strandedRequests);
  };

  return new Hono<AdminEnv>()
    .get("/admin/users/new", (c) => userEditor(c, null, NEW_USER))
    .post("/admin/users/new", (c) => submitUser(c, null))
    .get("/admin/users/:email", (c) => personPage(c, c.req.param("email")))
    .post("/admin/users/:email", (c) => submitUser(c, c.req.param("email")))
    .post("/admin/users/:email/revoke-all", async (c) => {
      const email = c.req.param("email");
      const reason = ((await formValues(c)).reason ?? "").trim().slice(0, 1000);
      const id = await personId(relay, email);
      if (!id) return personPage(c, email);
      if (!reason) return personPage(c, email, { reason: "", errors: new Map([["reason", ["say why, for the audit trail"]]]) });
      const revoked = await revokeAllOf(relay, c.get("admin").user.email, id, reason, requestMeta(c, relay.env.TRUST_PROXY));
      return c.redirect(`/admin/users/${encodeURIComponent(email)}?done=access-revoked&n=${revoked}#access`, 303);
    });
}

/** People from a CSV file: every line imported, or none. */
function importRoutes(relay: Relay) {
  const importPage = (c: AdminContext, problems?: string[]) =>
    view(c, "Import people", ImportView({ problems, csrf: c.get("csrf") }), status(problems));
  return new Hono<AdminEnv>()
    .get("/admin/users/import", (c) => importPage(c))
    .post("/admin/users/import", async (c) => {
      const text = await uploadedText(c);
      if (text.length > 10_000_000) return importPage(c, ["the file is larger than 10 MB"]);
      const parsed = parseUsersCsv(text);
      if (!parsed.ok) return importPage(c, parsed.errors);
      const change = importUsers(parsed.people);
      const result = await edit(relay, c, change);
      if (!result.ok)
        return importPage(
          c,
          importProblems(result.issues, (i) => change.lineOf(i)),
        );
      return saved(c, "users-imported", result.strandedRequests);
    });
}

/** Groups: new, edit, delete. */
function groupRoutes(relay: Relay) {
  const groupEditor = (c: AdminContext, original: string | null, f: GroupForm, errors?: FieldErrors) =>
    view(c, original ? f.name : "New group", GroupEditorView({ original, f, errors, csrf: c.get("csrf") }), status(errors));
  const submitGroup = async (c: AdminContext, original: string | null) => {
    const form = await formValues(c);
    const f = { id: (original ?? form.id ?? "").trim(), name: (form.name ?? "").trim(), members: form.members ?? "" };
    const result = await edit(relay, c, saveGroup(original, { id: f.id, name: f.name, members: entries(f.members) }));
    if (!result.ok) return groupEditor(c, original, f, issuesToFields(result.issues, result.focus, firstField));
    return saved(c, "group-saved", result.strandedRequests);
  };
  return new Hono<AdminEnv>()
    .get("/admin/groups/new", (c) => groupEditor(c, null, { id: "", name: "", members: "" }))
    .post("/admin/groups/new", (c) => submitGroup(c, null))
    .get("/admin/groups/:id", async (c) => {
      const g = await findGroup(relay, c.req.param("id"));
      if (!g) return notFound(c, "group");
      return groupEditor(c, g.id, { id: g.id, name: g.name, members: (g.members ?? []).join("\n") });
    })
    .post("/admin/groups/:id", (c) => submitGroup(c, c.req.param("id")))
    .post("/admin/groups/:id/delete", async (c) => {
      const id = c.req.param("id");
      const result = await edit(relay, c, deleteGroup(id));
      if (result.ok) return saved(c, "group-deleted", result.strandedRequests);
      const g = await findGroup(relay, id);
      return groupEditor(
        c,
        id,
        { id, name: g?.name ?? "", members: (g?.members ?? []).join("\n") },
        issuesToFields(result.issues, [], firstField),
      );
    });
}

/** Resource owners: one editor for all rows. */
function ownerRoutes(relay: Relay) {
  const ownersEditor = (c: AdminContext, rows: OwnerRow[], errors?: FieldErrors) =>
    view(c, "Resource owners", OwnersEditorView({ rows, errors, csrf: c.get("csrf") }), status(errors));
  return new Hono<AdminEnv>()
    .get("/admin/owners", async (c) => {
      const rows = (await resourceOwners(relay)).map((o) => ({ app: o.app, resource: o.resource, owners: o.owners.join(", ") }));
      return ownersEditor(c, rows);
    })
    .post("/admin/owners", async (c) => {
      const rows = ownerRows(await formValues(c));
      const owners: ResourceOwnerInput[] = rows.map((r) => ({ app: r.app, resource: r.resource, owners: entries(r.owners) }));
      const result = await edit(relay, c, setResourceOwners(owners));
      // Paths are resourceOwners[i].field…: keyed "i.field" for the row's cell.
      if (!result.ok)
        return ownersEditor(
          c,
          rows,
          issuesToFields(result.issues, result.focus, (rest) => rest.slice(0, 2).join(".")),
        );
      return saved(c, "owners-saved", result.strandedRequests);
    });
}

/** The directory: people (manager, time zone, active, admin), groups and members, resource owners, CSV import. */
export function directoryPages(relay: Relay) {
  return new Hono<AdminEnv>()
    .get("/admin/directory", async (c) => {
      const q = (c.req.query("q") ?? "").trim().toLowerCase();
      return view(c, "Directory", DirectoryView({ dir: await directoryOverview(relay, q, PAGE_SIZE), q }));
    })
    .route("/", importRoutes(relay))
    .route("/", peopleRoutes(relay))
    .route("/", groupRoutes(relay))
    .route("/", ownerRoutes(relay));
}
