import { type Context, Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { type DecisionResult, decide, inspectLink, type LinkProblem } from "../../requests/service.ts";
import { requestMeta } from "../auth.ts";
import { checkCsrfToken, issueCsrfToken } from "../csrf.ts";
import { page } from "./layout.ts";

const PROBLEMS: Record<LinkProblem | "duration_not_allowed" | "csrf", { status: 400 | 403 | 410; title: string; text: string }> = {
  invalid: {
    status: 400,
    title: "Link not valid",
    text: "This link is not valid: it was changed or was not issued by this Gatehouse. Nothing was decided.",
  },
  expired: { status: 410, title: "Link expired", text: "This link has expired. Nothing was decided." },
  used: { status: 410, title: "Link already used", text: "This link was already used to decide this request. A link works once." },
  decided: {
    status: 410,
    title: "Already decided",
    text: "This request was already decided, or moved on, so this link no longer decides anything.",
  },
  not_approver: {
    status: 403,
    title: "Not your decision",
    text: "You are not (or no longer) an approver of this request at this step. Nothing was decided.",
  },
  duration_not_allowed: {
    status: 400,
    title: "Duration not allowed",
    text: "That duration is not allowed by the access flow. Nothing was decided.",
  },
  csrf: {
    status: 403,
    title: "Form expired",
    text: "The form expired or did not come from this page. Open the link from the mail again. Nothing was decided.",
  },
};

const safeHref = (url: string) => (/^https?:\/\//i.test(url) ? url : null);

/**
 * The approver's confirmation page. GET renders and changes nothing (link
 * scanners and chat unfurlers follow links); a decision is a POST from the
 * page, with the CSRF token it holds and the approver's explicit choice.
 */
export function decidePages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  const problemPage = (c: Context, key: keyof typeof PROBLEMS) => {
    const p = PROBLEMS[key];
    return c.html(
      page(p.title, html`<h1>${p.title}</h1><p class="notice bad" data-testid="link-problem" data-problem="${key}">${p.text}</p>`),
      p.status,
    );
  };

  return new Hono()
    .get("/decide/:token", async (c) => {
      const result = await inspectLink(relay, c.req.param("token"));
      if (!result.ok) return problemPage(c, result.problem);
      const { request, requester, approver, durations: choices } = result.ctx;
      const csrf = issueCsrfToken(c, secure);
      const href = safeHref(request.resourceUrl);
      return c.html(
        page(
          "Access request",
          html`<h1>${requester.name} asks for access</h1>
<p class="muted">You are deciding as ${approver.name} (${approver.email}).</p>
<dl>
<dt>Requester</dt><dd>${requester.name} &lt;${requester.email}&gt;</dd>
<dt>App</dt><dd data-testid="app">${request.app}</dd>
<dt>Resource</dt><dd data-testid="resource">${request.resourceName ?? request.resourceId ?? "(whole app)"}${request.resourceId && request.resourceName ? html` <span class="muted">(${request.resourceId})</span>` : ""}</dd>
<dt>Page</dt><dd>${href ? html`<a href="${href}" rel="noreferrer noopener">${href}</a>` : request.resourceUrl}</dd>
<dt>Duration asked</dt><dd>${request.duration}</dd>
<dt>Reason</dt><dd data-testid="reason">${request.reason || "(none given)"}</dd>
${request.ticket ? html`<dt>Ticket</dt><dd data-testid="ticket">${request.ticket}</dd>` : ""}
<dt>Flow</dt><dd>${request.flowName}</dd>
</dl>
${request.message ? html`<p class="muted">The page said:</p><blockquote data-testid="page-message">${request.message}</blockquote>` : ""}
<form method="post">
<input type="hidden" name="csrf" value="${csrf}">
<label for="duration">Grant for</label>
<select id="duration" name="duration">${choices.map((d) => html`<option value="${d}" ${d === request.duration ? "selected" : ""}>${d}</option>`)}</select>
<label for="note">Note to ${requester.name} (optional; shown if you reject)</label>
<textarea id="note" name="note" maxlength="1000"></textarea>
<div class="actions">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</div>
</form>`,
        ),
      );
    })
    .post("/decide/:token", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf)) return problemPage(c, "csrf");
      const choice = form.decision;
      if (choice !== "approve" && choice !== "reject") return problemPage(c, "csrf");
      const note = typeof form.note === "string" ? form.note.trim().slice(0, 1000) : "";
      const duration = typeof form.duration === "string" ? form.duration : "";
      const result: DecisionResult = await decide(
        relay,
        c.req.param("token"),
        choice === "approve" ? { action: "approve", duration } : { action: "reject", note },
        requestMeta(c, relay.env.TRUST_PROXY),
      );
      if (!result.ok) return problemPage(c, result.problem);
      const text =
        result.outcome === "approved"
          ? result.grant?.endsAt
            ? html`Approved. Access lasts until ${result.grant.endsAt.toISOString().replace("T", " ").slice(0, 19)} UTC.`
            : html`Approved, until revoked.`
          : result.outcome === "rejected"
            ? html`Rejected. The requester has been told.`
            : html`Your approval is recorded. The request now waits for the other approvers.`;
      return c.html(
        page(
          "Decision recorded",
          html`<h1>Decision recorded</h1><p class="notice ${result.outcome === "rejected" ? "info" : "ok"}" data-testid="decision-result" data-outcome="${result.outcome}">${text}</p>`,
        ),
      );
    });
}
