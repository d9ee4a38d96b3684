import type { Context } from "hono";
import { html } from "hono/html";
import type { AdminUser } from "../../../admin/sessions.ts";
import { type Fragment, Notice } from "../components.ts";
import { page } from "../layout.ts";

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
async function failedGrantsBanner(c: AdminContext): Promise<Fragment | ""> {
  const n = await c.get("failedGrants")();
  if (n === 0) return "";
  return Notice({
    tone: "bad",
    alert: true,
    testid: "failed-grants",
    children: html`<strong>${n} grant${n === 1 ? " needs" : "s need"} attention</strong> — a provider call gave up. <a href="/admin/requests?state=grant_failed">Show ${n === 1 ? "it" : "them"}</a>`,
  });
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
    html`${failedGrantsBanner(c)}${done ? Notice({ tone: "ok", testid: "done", children: html`${done}${stranded > 0 ? html` ${stranded} pending request${stranded === 1 ? "" : "s"} could no longer be approved and moved to error.` : ""}` }) : ""}
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
