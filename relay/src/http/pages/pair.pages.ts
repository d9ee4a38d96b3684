import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { confirmPairing, findPairing } from "../../devices/service.ts";
import { requestMeta } from "../auth.ts";
import { checkCsrfToken, issueCsrfToken } from "../csrf.ts";
import { page } from "./layout.ts";

const PROBLEM_TEXT = {
  invalid: "This sign-in link is not valid. Start the sign-in again from the extension's options.",
  used: "This sign-in link was already used. If that was not you, tell your admin.",
  expired: "This sign-in link has expired. Start the sign-in again from the extension's options.",
} as const;

/**
 * The page behind the emailed sign-in link. GET shows the code the extension
 * shows and changes nothing (mail scanners follow links); the POST pairs.
 */
export function pairPages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  return new Hono()
    .get("/pair/:token", async (c) => {
      const found = await findPairing(relay, c.req.param("token"));
      if (found.status !== "ok") {
        return c.html(page("Sign-in link", html`<h1>Sign-in link</h1><p class="notice bad">${PROBLEM_TEXT[found.status]}</p>`), 410);
      }
      const csrf = issueCsrfToken(c, secure, relay.csrfKey);
      return c.html(
        page(
          "Pair this browser",
          html`<h1>Sign in the Gatehouse extension</h1>
<p>Signing in as <strong>${found.user.name}</strong> (${found.user.email}).</p>
<p>Check that the extension shows this code:</p>
<div class="code" data-testid="user-code">${found.auth.userCode}</div>
<form method="post">
<input type="hidden" name="csrf" value="${csrf}">
<div class="actions"><button class="primary" type="submit" name="confirm" value="yes">Pair this browser</button></div>
</form>
<p class="muted">Only continue if you started this sign-in yourself, just now.</p>`,
        ),
      );
    })
    .post("/pair/:token", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey) || form.confirm !== "yes") {
        return c.html(
          page("Sign-in link", html`<h1>Sign-in link</h1><p class="notice bad">The form expired. Open the link from the mail again.</p>`),
          403,
        );
      }
      const ok = await confirmPairing(relay, c.req.param("token"), requestMeta(c, relay.env.TRUST_PROXY));
      if (!ok) {
        return c.html(page("Sign-in link", html`<h1>Sign-in link</h1><p class="notice bad">${PROBLEM_TEXT.expired}</p>`), 410);
      }
      return c.html(
        page(
          "Paired",
          html`<h1>Browser paired</h1><p class="notice ok" data-testid="paired">Done. The extension is signed in; you can close this tab.</p>`,
        ),
      );
    });
}
