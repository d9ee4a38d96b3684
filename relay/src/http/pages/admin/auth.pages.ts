import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { html } from "hono/html";
import {
  ADMIN_SESSION_TTL_MS,
  authenticateAdmin,
  confirmAdminSignIn,
  findAdminSignIn,
  signOutAdmin,
  startAdminSignIn,
} from "../../../admin/sessions.ts";
import type { Relay } from "../../../context.ts";
import { failedGrantCount } from "../../../grants/admin.ts";
import { requestMeta } from "../../auth.ts";
import { ADMIN_COOKIE, checkCsrfToken, issueCsrfToken } from "../../csrf.ts";
import { CsrfField, type Fragment, Notice } from "../components.ts";
import { Actions } from "../fields.ts";
import { page } from "../layout.ts";
import type { AdminEnv } from "./layout.ts";

const LINK_PROBLEMS = {
  invalid: "This sign-in link is not valid. Ask for a new one.",
  used: "This sign-in link was already used. A link works once; ask for a new one.",
  expired: "This sign-in link has expired. Ask for a new one.",
} as const;

const formExpired = () =>
  page(
    "Form expired",
    html`<h1>Form expired</h1>${Notice({ tone: "bad", children: html`The form expired or did not come from this page. <a href="/admin/sign-in">Start again</a>.` })}`,
  );

const linkProblem = (text: Fragment | string) =>
  page("Sign-in link", html`<h1>Sign-in link</h1>${Notice({ tone: "bad", testid: "link-problem", children: text })}`);

function SignInPage({ csrf }: { csrf: string }): Fragment {
  return page(
    "Admin sign-in",
    html`<h1>Sign in to the Gatehouse admin</h1>
<form method="post" action="/admin/sign-in">
${CsrfField({ token: csrf })}
<label for="email">Your work email</label>
<input id="email" name="email" type="email" required autocomplete="email" data-testid="admin-email">
${Actions({ children: html`<button class="primary" type="submit" data-testid="admin-send-link">Email me a sign-in link</button>` })}
</form>
<p class="muted">Only the admins named in the policy can sign in.</p>`,
  );
}

function ConfirmSignInPage(p: { name: string; email: string; csrf: string }): Fragment {
  return page(
    "Admin sign-in",
    html`<h1>Sign in to the Gatehouse admin</h1>
<p>Signing in as <strong>${p.name}</strong> (${p.email}).</p>
<form method="post">${CsrfField({ token: p.csrf })}
${Actions({ children: html`<button class="primary" type="submit" name="confirm" value="yes" data-testid="admin-confirm">Sign in</button>` })}</form>`,
  );
}

/**
 * The admin's sign-in: an email form, the mailed link's page (GET shows a
 * button and changes nothing, since mail scanners follow links), the POST
 * that opens a session, and sign-out.
 */
export function adminAuthPages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  return new Hono()
    .get("/admin/sign-in", (c) => c.html(SignInPage({ csrf: issueCsrfToken(c, secure, relay.csrfKey) })))
    .post("/admin/sign-in", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey)) return c.html(formExpired(), 403);
      const email = typeof form.email === "string" ? form.email.trim().slice(0, 320) : "";
      if (email) await startAdminSignIn(relay, email, requestMeta(c, relay.env.TRUST_PROXY));
      // The same answer whether or not the address is an admin's: the page reveals nobody.
      const sent = html`If ${email} is an admin's address, a sign-in link is on its way. It works once, for 15 minutes.`;
      return c.html(
        page("Check your mail", html`<h1>Check your mail</h1>${Notice({ tone: "info", testid: "admin-link-sent", children: sent })}`),
      );
    })
    .get("/admin/sign-in/:token", async (c) => {
      const found = await findAdminSignIn(relay, c.req.param("token"));
      if (found.status !== "ok") return c.html(linkProblem(html`${LINK_PROBLEMS[found.status]} <a href="/admin/sign-in">Sign in</a>`), 410);
      return c.html(ConfirmSignInPage({ name: found.user.name, email: found.user.email, csrf: issueCsrfToken(c, secure, relay.csrfKey) }));
    })
    .post("/admin/sign-in/:token", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey) || form.confirm !== "yes") return c.html(formExpired(), 403);
      const session = await confirmAdminSignIn(relay, c.req.param("token"), requestMeta(c, relay.env.TRUST_PROXY));
      if (!session) return c.html(linkProblem(LINK_PROBLEMS.used), 410);
      // Lax, not Strict: a link to an admin page from a mail must arrive signed in. Forms carry their own CSRF token.
      setCookie(c, ADMIN_COOKIE, session, { httpOnly: true, sameSite: "Lax", secure, path: "/admin", maxAge: ADMIN_SESSION_TTL_MS / 1000 });
      return c.redirect("/admin/flows", 303);
    });
}

/**
 * Every other /admin page needs a live session of an active admin (checked
 * on each request, so removing someone's admin rights takes effect at once),
 * and every POST the CSRF token the page it came from holds.
 */
export function requireAdmin(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  return createMiddleware<AdminEnv>(async (c, next) => {
    const token = getCookie(c, ADMIN_COOKIE);
    const admin = token ? await authenticateAdmin(relay, token) : null;
    if (!admin) {
      if (c.req.method === "GET") return c.redirect("/admin/sign-in", 303);
      return c.html(
        page(
          "Signed out",
          html`<h1>Signed out</h1><p class="notice bad">Your admin session ended. <a href="/admin/sign-in">Sign in again</a>; nothing was saved.</p>`,
        ),
        401,
      );
    }
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey))
        return c.html(
          page(
            "Form expired",
            html`<h1>Form expired</h1><p class="notice bad" data-testid="csrf-problem">The form expired or did not come from this relay. Go back, reload the page and try again; nothing was saved.</p>`,
          ),
          403,
        );
    }
    c.set("admin", admin);
    c.set("csrf", issueCsrfToken(c, secure, relay.csrfKey));
    // Asked only when a page is rendered (adminPage), so a POST that redirects costs no query.
    c.set("failedGrants", () => failedGrantCount(relay));
    c.header("cache-control", "no-store");
    await next();
  });
}

export function signOutRoute(relay: Relay) {
  return new Hono<AdminEnv>().post("/admin/sign-out", async (c) => {
    await signOutAdmin(relay, c.get("admin"), requestMeta(c, relay.env.TRUST_PROXY));
    deleteCookie(c, ADMIN_COOKIE, { path: "/admin" });
    return c.redirect("/admin/sign-in", 303);
  });
}
