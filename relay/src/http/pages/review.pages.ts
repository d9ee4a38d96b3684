import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { findReviewable, sendPersonalLink } from "../../requests/review.ts";
import { requestMeta } from "../auth.ts";
import { checkCsrfToken, issueCsrfToken } from "../csrf.ts";
import { CsrfField, type Fragment, Notice } from "./components.ts";
import { Actions } from "./fields.ts";
import { page } from "./layout.ts";
import { isUuid } from "./params.ts";

const gone = () =>
  page(
    "Request",
    html`<h1>Nothing to review</h1>${Notice({ tone: "info", testid: "review-closed", children: "This request is not waiting for a decision." })}`,
  );

function reviewPage(p: { requesterName: string; app: string; csrf: string }): Fragment {
  return page(
    "Review a request",
    html`<h1>${p.requesterName} asks for access to ${p.app}</h1>
<p>Decision links are personal. If you are an approver of this request, Gatehouse mails you a link of your own.</p>
<form method="post">${CsrfField({ token: p.csrf })}
<label for="email">Your work email</label><input id="email" name="email" type="email" required autocomplete="email" data-testid="review-email">
${Actions({ children: html`<button class="primary" type="submit" data-testid="review-send">Email me my decision link</button>` })}</form>`,
  );
}

/**
 * The review page that shared channels (a Slack channel, a Teams channel)
 * link to. A channel message is seen by many, so it never carries a
 * decision link; here an approver asks for their own, which goes to their
 * mailbox. The page says the same whoever asks, so it reveals nobody.
 */
export function reviewPages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  return new Hono()
    .get("/review/:id", async (c) => {
      const id = c.req.param("id");
      const request = isUuid(id) ? await findReviewable(relay, id) : null;
      if (!request) return c.html(gone(), 404);
      return c.html(reviewPage({ ...request, csrf: issueCsrfToken(c, secure, relay.csrfKey) }));
    })
    .post("/review/:id", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey))
        return c.html(
          page("Form expired", html`<h1>Form expired</h1>${Notice({ tone: "bad", children: "Open the review page again." })}`),
          403,
        );
      const id = c.req.param("id");
      const email = typeof form.email === "string" ? form.email.trim().toLowerCase().slice(0, 320) : "";
      if (isUuid(id) && email) await sendPersonalLink(relay, id, email, requestMeta(c, relay.env.TRUST_PROXY));
      return c.html(
        page(
          "Check your mail",
          html`<h1>Check your mail</h1>${Notice({
            tone: "info",
            testid: "review-sent",
            children: html`If ${email} belongs to an approver of this request, their decision link is on its way.`,
          })}`,
        ),
      );
    });
}
