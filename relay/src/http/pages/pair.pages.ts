import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { confirmPairing, findPairing } from "../../devices/service.ts";
import { requestMeta } from "../auth.ts";
import { checkCsrfToken, issueCsrfToken } from "../csrf.ts";
import { CsrfField, type Fragment, Notice } from "./components.ts";
import { Actions } from "./fields.ts";
import { page } from "./layout.ts";

const PROBLEM_TEXT = {
  invalid: "This sign-in link is not valid. Start the sign-in again from the extension's options.",
  used: "This sign-in link was already used. If that was not you, tell your admin.",
  expired: "This sign-in link has expired. Start the sign-in again from the extension's options.",
} as const;

const linkProblem = (text: string) => page("Sign-in link", html`<h1>Sign-in link</h1>${Notice({ tone: "bad", children: text })}`);

function PairPage(p: { name: string; email: string; userCode: string; csrf: string }): Fragment {
  return page(
    "Pair this browser",
    html`<h1>Sign in the Gatehouse extension</h1>
<p>Signing in as <strong>${p.name}</strong> (${p.email}).</p>
<p>Check that the extension shows this code:</p>
<div class="code" data-testid="user-code">${p.userCode}</div>
<form method="post">
${CsrfField({ token: p.csrf })}
${Actions({ children: html`<button class="primary" type="submit" name="confirm" value="yes">Pair this browser</button>` })}
</form>
<p class="muted">Only continue if you started this sign-in yourself, just now.</p>`,
  );
}

/**
 * The page behind the emailed sign-in link. GET shows the code the extension
 * shows and changes nothing (mail scanners follow links); the POST pairs.
 */
export function pairPages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  return new Hono()
    .get("/pair/:token", async (c) => {
      const found = await findPairing(relay, c.req.param("token"));
      if (found.status !== "ok") return c.html(linkProblem(PROBLEM_TEXT[found.status]), 410);
      const csrf = issueCsrfToken(c, secure, relay.csrfKey);
      return c.html(PairPage({ name: found.user.name, email: found.user.email, userCode: found.auth.userCode, csrf }));
    })
    .post("/pair/:token", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey) || form.confirm !== "yes")
        return c.html(linkProblem("The form expired. Open the link from the mail again."), 403);
      const ok = await confirmPairing(relay, c.req.param("token"), requestMeta(c, relay.env.TRUST_PROXY));
      if (!ok) return c.html(linkProblem(PROBLEM_TEXT.expired), 410);
      return c.html(
        page(
          "Paired",
          html`<h1>Browser paired</h1>${Notice({ tone: "ok", testid: "paired", children: "Done. The extension is signed in; you can close this tab." })}`,
        ),
      );
    });
}
