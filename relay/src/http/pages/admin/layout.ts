import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AdminUser } from "../../../admin/sessions.ts";
import { page } from "../layout.ts";

export type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;
export type AdminEnv = {
  Variables: {
    admin: { user: AdminUser; sessionId: string };
    csrf: string;
    /** How many grants are `failed`, asked once per page that is rendered (requireAdmin sets it; redirects never ask). */
    failedGrants: () => Promise<number>;
  };
};
export type AdminContext = Context<AdminEnv>;

const NAV = [
  ["requests", "/admin/requests", "Requests"],
  ["flows", "/admin/flows", "Flows"],
  ["directory", "/admin/directory", "Directory"],
  ["simulate", "/admin/simulate", "Simulate"],
  ["settings", "/admin/settings", "Settings"],
  ["policy", "/admin/policy", "Policy file"],
  ["audit", "/admin/audit", "Audit"],
  ["deliveries", "/admin/deliveries", "Deliveries"],
] as const;
export type Section = (typeof NAV)[number][0];

/**
 * Messages shown after a redirect, chosen by a fixed key in the URL: the
 * query string never carries text onto the page.
 */
const DONE: Record<string, string> = {
  "flow-saved": "Flow saved.",
  "flow-deleted": "Flow deleted.",
  "flow-moved": "Flow order saved.",
  "flow-toggled": "Flow switched.",
  "user-saved": "Person saved.",
  "group-saved": "Group saved.",
  "group-deleted": "Group deleted.",
  "owners-saved": "Resource owners saved.",
  "users-imported": "People imported.",
  "settings-saved": "Settings saved.",
  "policy-imported": "Policy file imported.",
  "request-deny": "Request denied; the requester has been told.",
  "request-cancel": "Request cancelled; the requester has been told.",
  "request-not-open": "Nothing changed: the request was no longer open.",
  "delivery-retried": "Delivery queued again.",
  "delivery-not-retried":
    "Nothing was retried: this provider call is not what its grant is waiting on. See the grant on its request's page.",
  "grant-retried": "Grant retried: the provider call is queued again under the same key.",
  "grant-revoked": "Grant revoked; where it was provisioned, the provider is asked to remove the access.",
  "grant-unchanged": "Nothing changed: the grant had moved on.",
};

/** Messages that say how many: the count comes as `n`, a number (never text). */
const COUNTED: Record<string, (n: number) => string> = {
  "access-revoked": (n) =>
    n === 0
      ? "Nothing was revoked: no grant of this person could be revoked."
      : `${n} grant${n === 1 ? "" : "s"} revoked; where they were provisioned, the providers are asked to remove the access.`,
};

/**
 * The banner on every admin page while a grant is `failed`: a provider call
 * gave up, so access may be missing (grant) or still in place (revoke).
 */
async function failedGrantsBanner(c: AdminContext): Promise<HtmlEscapedString | ""> {
  const n = await c.get("failedGrants")();
  if (n === 0) return "";
  return html`<p class="notice bad" role="alert" data-testid="failed-grants"><strong>${n} grant${n === 1 ? " needs" : "s need"} attention</strong> — a provider call gave up. <a href="/admin/requests?state=grant_failed">Show ${n === 1 ? "it" : "them"}</a></p>`;
}

/** Every admin page: the navigation, who is signed in, a sign-out button, and the page. */
export function adminPage(c: AdminContext, section: Section, title: string, body: Fragment): Fragment {
  const admin = c.get("admin");
  const key = c.req.query("done") ?? "";
  const counted = COUNTED[key];
  const done = counted ? counted(Math.max(0, Number.parseInt(c.req.query("n") ?? "0", 10) || 0)) : DONE[key];
  const stranded = Number(c.req.query("stranded") ?? 0);
  return page(
    title,
    html`${failedGrantsBanner(c)}${done ? html`<p class="notice ok" data-testid="done">${done}${stranded > 0 ? html` ${stranded} pending request${stranded === 1 ? "" : "s"} could no longer be approved and moved to error.` : ""}</p>` : ""}
${body}`,
    {
      site: "Gatehouse admin",
      bodyClass: "admin",
      header: html` <span class="muted-inv">admin</span>
<nav>${NAV.map(([key, href, label]) => html`<a href="${href}"${key === section ? html` aria-current="page"` : ""}>${label}</a>`)}</nav>
<form method="post" action="/admin/sign-out" class="who"><input type="hidden" name="csrf" value="${c.get("csrf")}"><span data-testid="admin-who">${admin.user.name}</span> <button type="submit" class="link">Sign out</button></form>`,
    },
  );
}

/** Problems of a form, keyed by field name; "" holds those that belong to no field. */
export type FieldErrors = Map<string, string[]>;

export function errorsOf(errors: FieldErrors | undefined, name: string): Fragment | "" {
  const list = errors?.get(name);
  if (!list?.length) return "";
  return html`<ul class="field-errors" data-error-for="${name}">${list.map((e) => html`<li>${e}</li>`)}</ul>`;
}

export function formErrors(errors: FieldErrors | undefined): Fragment | "" {
  if (!errors || errors.size === 0) return "";
  const entries = [...errors].flatMap(([field, list]) => list.map((message) => [field, message] as const));
  return html`<div class="notice bad" role="alert" data-testid="form-errors"><strong>Nothing was saved.</strong> ${entries.length === 1 ? "One problem" : `${entries.length} problems`}:
<ul>${entries.map(([field, message]) => html`<li>${field ? html`<a href="#f-${field.replace(/[^a-z0-9]/gi, "-")}">${field}</a>: ` : ""}${message}</li>`)}</ul></div>`;
}

interface FieldOptions {
  hint?: string;
  type?: string;
  rows?: number;
  placeholder?: string;
  readonly?: boolean;
  list?: string;
  required?: boolean;
  maxlength?: number;
}

/** A labelled text input or textarea with its hint and errors. */
export function textField(label: string, name: string, value: string | undefined, errors?: FieldErrors, o: FieldOptions = {}): Fragment {
  const id = `f-${name.replace(/[^a-z0-9]/gi, "-")}`;
  const attrs = html`${errors?.get(name)?.length ? html` aria-invalid="true"` : ""}${o.required ? html` required` : ""}${o.maxlength ? html` maxlength="${o.maxlength}"` : ""}`;
  const control = o.rows
    ? html`<textarea id="${id}" name="${name}" rows="${o.rows}"${o.placeholder ? html` placeholder="${o.placeholder}"` : ""}${attrs}>${value ?? ""}</textarea>`
    : html`<input id="${id}" name="${name}" type="${o.type ?? "text"}" value="${value ?? ""}"${o.placeholder ? html` placeholder="${o.placeholder}"` : ""}${o.readonly ? html` readonly` : ""}${o.list ? html` list="${o.list}"` : ""}${attrs}>`;
  return html`<div class="field"><label for="${id}">${label}</label>${control}${o.hint ? html`<p class="hint">${o.hint}</p>` : ""}${errorsOf(errors, name)}</div>`;
}

export function checkbox(label: string, name: string, checked: boolean, hint?: string): Fragment {
  const id = `f-${name.replace(/[^a-z0-9]/gi, "-")}`;
  return html`<div class="field check"><input id="${id}" type="checkbox" name="${name}"${checked ? html` checked` : ""}><label for="${id}">${label}</label>${hint ? html`<p class="hint">${hint}</p>` : ""}</div>`;
}

export function select(label: string, name: string, value: string, options: [string, string][], errors?: FieldErrors): Fragment {
  const id = `f-${name.replace(/[^a-z0-9]/gi, "-")}`;
  return html`<div class="field"><label for="${id}">${label}</label><select id="${id}" name="${name}">${options.map(
    ([v, text]) => html`<option value="${v}"${v === value ? html` selected` : ""}>${text}</option>`,
  )}</select>${errorsOf(errors, name)}</div>`;
}

export const csrfField = (c: AdminContext) => html`<input type="hidden" name="csrf" value="${c.get("csrf")}">`;

/** A one-button form (move, enable, delete…): a POST, as every change is. */
export function actionButton(
  c: AdminContext,
  action: string,
  label: string,
  o: { cls?: string; testid?: string; fields?: Record<string, string> } = {},
): Fragment {
  return html`<form method="post" action="${action}" class="inline">${csrfField(c)}${Object.entries(o.fields ?? {}).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit" class="${o.cls ?? "small"}"${o.testid ? html` data-testid="${o.testid}"` : ""}>${label}</button></form>`;
}
