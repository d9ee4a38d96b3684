import { type Context, Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { type Decision, type DecisionProblem, type DecisionResult, decide, inspectLink, type LinkContext } from "../../requests/decide.ts";
import { requestMeta } from "../auth.ts";
import { checkCsrfToken, issueCsrfToken } from "../csrf.ts";
import { CsrfField, type Fragment, LinkProblem, Notice } from "./components.ts";
import { Actions } from "./fields.ts";
import { page } from "./layout.ts";
import { RequestDetails } from "./request.views.ts";

const PROBLEMS: Record<DecisionProblem | "csrf", { status: 400 | 403 | 409 | 410; title: string; text: string }> = {
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
  waiting: {
    status: 409,
    title: "Waiting for the requester",
    text: "An approver asked the requester a question. When it is answered, every approver of this step gets a new link. Nothing was decided.",
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
  whole_app_not_allowed: {
    status: 400,
    title: "Whole app not allowed",
    text: "This access flow does not let approvers grant the whole app. Nothing was decided.",
  },
  escalation_target: { status: 400, title: "Cannot pass it on", text: "Nothing was decided." },
  text_required: { status: 400, title: "Something is missing", text: "Nothing was decided." },
  csrf: {
    status: 403,
    title: "Form expired",
    text: "The form expired or did not come from this page. Open the link from the mail again. Nothing was decided.",
  },
};

function DecisionForm({ link, csrf }: { link: LinkContext; csrf: string }): Fragment {
  const { request, ctx, durations, suggestions } = link;
  return html`<form method="post">
${CsrfField({ token: csrf })}
<fieldset><legend>Approve</legend>
<label for="duration">Grant for</label>
<select id="duration" name="duration">${durations.map((d) => html`<option value="${d}" ${d === request.duration ? "selected" : ""}>${d}</option>`)}</select>
${
  request.wholeAppAllowed
    ? html`<div class="field check"><input id="whole-app" type="checkbox" name="wholeApp" value="yes"><label for="whole-app">Grant the whole app (${ctx.app}), not only this resource</label></div>`
    : ""
}
${Actions({ children: html`<button class="approve" type="submit" name="decision" value="approve" data-testid="approve">Approve</button>` })}
</fieldset>
<fieldset><legend>Reject</legend>
<label for="note">Note to ${ctx.requester.name} (optional)</label>
<textarea id="note" name="note" maxlength="1000"></textarea>
${Actions({ children: html`<button class="reject" type="submit" name="decision" value="reject" data-testid="reject">Reject</button>` })}
</fieldset>
<details><summary data-testid="ask-open">Ask ${ctx.requester.name} for more information</summary>
<label for="question">Your question</label>
<textarea id="question" name="question" maxlength="2000"></textarea>
<p class="hint">The request waits for the answer; you and the other approvers of this step then get a new link.</p>
${Actions({ children: html`<button type="submit" name="decision" value="ask" data-testid="ask">Ask</button>` })}
</details>
<details><summary data-testid="escalate-open">Pass the decision to someone else</summary>
<label for="escalate-to">Their work email</label>
<input id="escalate-to" name="to" type="email" list="people" autocomplete="off" data-testid="escalate-to">
<datalist id="people">${suggestions.map((s) => html`<option value="${s.email}">${s.name}</option>`)}</datalist>
<label for="escalate-note">Note for them (optional)</label>
<textarea id="escalate-note" name="escalateNote" maxlength="1000"></textarea>
<p class="hint">They get a link of their own; yours stops working.</p>
${Actions({ children: html`<button type="submit" name="decision" value="escalate" data-testid="escalate">Pass it on</button>` })}
</details>
</form>`;
}

function resultText(result: Extract<DecisionResult, { ok: true }>): Fragment {
  switch (result.outcome) {
    case "approved": {
      const scope = result.grant?.scope === "app" ? html` to the whole app` : "";
      return result.grant?.endsAt
        ? html`Approved${scope}. Access lasts until ${result.grant.endsAt.toISOString().replace("T", " ").slice(0, 19)} UTC.`
        : html`Approved${scope}, until revoked.`;
    }
    case "rejected":
      return html`Rejected. The requester has been told.`;
    case "advanced":
      return result.request.state === "error"
        ? html`Approved. The next step has nobody left to ask, so an admin will handle the request.`
        : html`Approved. The request moves on to the next step's approvers.`;
    case "recorded":
      return html`Your approval is recorded. The request now waits for the other approvers.`;
    case "asked":
      return html`Your question was sent. When it is answered you get a new link.`;
    case "escalated":
      return html`Passed on to ${result.target?.name ?? "them"}. They have their own link now; this one no longer works.`;
  }
}

/** The approver's choice from the form, or null when it names none (a forged or broken form). */
function decisionOf(form: Record<string, unknown>): Decision | null {
  const text = (name: string, max: number) => (typeof form[name] === "string" ? (form[name] as string).trim().slice(0, max) : "");
  switch (form.decision) {
    case "approve":
      return { action: "approve", duration: text("duration", 20), wholeApp: form.wholeApp === "yes" };
    case "reject":
      return { action: "reject", note: text("note", 1000) };
    case "ask":
      return { action: "ask", question: text("question", 2000) };
    case "escalate":
      return { action: "escalate", to: text("to", 320), note: text("escalateNote", 1000) };
    default:
      return null;
  }
}

function DecisionPage({ link, csrf }: { link: LinkContext; csrf: string }): Fragment {
  return page(
    "Access request",
    html`<h1>${link.ctx.requester.name} asks for access</h1>
<p class="muted">You are deciding as ${link.approver.name} (${link.approver.email}).</p>
${RequestDetails({ ctx: link.ctx })}
${DecisionForm({ link, csrf })}`,
  );
}

/**
 * The approver's confirmation page. GET renders and changes nothing (link
 * scanners and chat unfurlers follow links); a decision is a POST from the
 * page, with the CSRF token it holds and the approver's explicit choice.
 */
export function decidePages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  const problemPage = (c: Context, key: keyof typeof PROBLEMS, detail?: string) => {
    const p = PROBLEMS[key];
    const back = key === "escalation_target" || key === "text_required" ? { href: c.req.path, label: "Back to the request" } : undefined;
    return c.html(page(p.title, LinkProblem({ ...p, testid: "link-problem", problem: key, detail, back })), p.status);
  };

  return new Hono()
    .get("/decide/:token", async (c) => {
      const result = await inspectLink(relay, c.req.param("token"));
      if (!result.ok) return problemPage(c, result.problem);
      return c.html(DecisionPage({ link: result.link, csrf: issueCsrfToken(c, secure, relay.csrfKey) }));
    })
    .post("/decide/:token", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey)) return problemPage(c, "csrf");
      const decision = decisionOf(form);
      if (!decision) return problemPage(c, "csrf");
      // Which channel's button was used (only as information for the audit trail and the approval path).
      const via = c.req.query("via") === "slack" ? "slack" : "email";
      const result = await decide(relay, c.req.param("token"), decision, requestMeta(c, relay.env.TRUST_PROXY), via);
      if (!result.ok) return problemPage(c, result.problem, result.detail);
      const recorded = Notice({
        tone: result.outcome === "rejected" ? "info" : "ok",
        testid: "decision-result",
        data: { outcome: result.outcome },
        children: resultText(result),
      });
      return c.html(page("Decision recorded", html`<h1>Decision recorded</h1>${recorded}`));
    });
}
