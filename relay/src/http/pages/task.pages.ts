import { type Context, Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../context.ts";
import { type TaskFacts, type TaskLinkState, taskAsk, taskFactRows, taskHeadline, utc } from "../../core/manual-task.ts";
import { answerTask, inspectTask, type TaskProblem, type TaskReply } from "../../grants/task-answers.ts";
import { requestMeta } from "../auth.ts";
import { checkCsrfToken, issueCsrfToken } from "../csrf.ts";
import { CsrfField, type Fragment, LinkProblem, Notice } from "./components.ts";
import { Actions } from "./fields.ts";
import { page } from "./layout.ts";

const PROBLEMS: Record<TaskProblem | "csrf", { status: 400 | 403 | 410; title: string; text: string }> = {
  invalid: {
    status: 400,
    title: "Link not valid",
    text: "This link is not valid: it was changed or was not issued by this Gatehouse. Nothing was recorded.",
  },
  expired: { status: 410, title: "Link expired", text: "This task link has expired. Nothing was recorded." },
  handled: { status: 410, title: "Already handled", text: "A task is answered once. Nothing was recorded." },
  closed: { status: 410, title: "Task closed", text: "Nothing was recorded." },
  superseded: {
    status: 410,
    title: "Task sent again",
    text: "This task was sent again with a new link: use the newest mail. Nothing was recorded.",
  },
  not_operator: { status: 403, title: "Not your task", text: "You are not (or no longer) an operator of this task. Nothing was recorded." },
  note_required: {
    status: 400,
    title: "Something is missing",
    text: "Say why it cannot be done, so the admins know what to fix. Nothing was recorded.",
  },
  csrf: {
    status: 403,
    title: "Form expired",
    text: "The form expired or did not come from this page. Open the link from the mail again. Nothing was recorded.",
  },
};

/** Why a link no longer answers, in words: who answered and when, or what closed the task. */
function stateDetail(state: TaskLinkState | undefined): Fragment | string {
  if (state?.kind === "handled") {
    const { answer } = state;
    const what = answer.outcome === "done" ? "done" : html`cannot do it: <q>${answer.note ?? ""}</q>`;
    return html`Already handled by <strong data-testid="handled-by">${answer.by}</strong> at ${utc(new Date(answer.at))} (${what}).`;
  }
  if (state?.kind === "closed")
    return state.reason === "cancelled"
      ? "The grant ended before this task was answered, so it no longer needs doing (if you made the change already, the removal task that follows undoes it)."
      : html`Gatehouse gave up on this task${state.detail ? html`: ${state.detail}` : ""}. The admins were told.`;
  return "";
}

function TaskDetails({ facts }: { facts: TaskFacts }): Fragment {
  const steps = Object.entries(facts.target);
  return html`${
    steps.length
      ? html`<h2>What to do</h2><dl data-testid="instructions">${steps.map(([k, v]) => html`<dt>${k}</dt><dd><strong>${v}</strong></dd>`)}</dl>`
      : ""
  }
<dl data-testid="task-facts">${taskFactRows(facts).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function AnswerForms({ csrf }: { csrf: string }): Fragment {
  return html`<form method="post">${CsrfField({ token: csrf })}
${Actions({ children: html`<button class="approve" type="submit" name="answer" value="done" data-testid="task-done">Done</button>` })}</form>
<form method="post">${CsrfField({ token: csrf })}
<fieldset><legend>Cannot do it</legend>
<label for="note">Why not (the admins read this)</label>
<textarea id="note" name="note" maxlength="1000" required></textarea>
${Actions({ children: html`<button class="reject" type="submit" name="answer" value="cannot_do" data-testid="task-cannot">Cannot do</button>` })}
</fieldset></form>`;
}

function resultText(reply: TaskReply, facts: TaskFacts): string {
  const who = facts.requester.name;
  if (reply.outcome === "cannot_do")
    return facts.action === "extend"
      ? "Recorded: you cannot do it. The extension stands; the audit keeps your note."
      : "Recorded: you cannot do it. The grant is marked failed and the admins were told.";
  if (facts.action === "grant") return `Recorded: done. ${who} is told the access is in place.`;
  if (facts.action === "revoke") return `Recorded: done. ${who}'s grant has ended.`;
  return "Recorded: done.";
}

/**
 * The operator's task page, consistent with `/decide/`: GET renders and
 * changes nothing (link scanners follow links); the answer is a POST from
 * the page, with the CSRF token it holds and the operator's explicit choice.
 */
export function taskPages(relay: Relay) {
  const secure = relay.env.publicUrl.startsWith("https:");
  const problemPage = (c: Context, key: keyof typeof PROBLEMS, state?: TaskLinkState) => {
    const p = PROBLEMS[key];
    const back = key === "note_required" ? { href: c.req.path, label: "Back to the task" } : undefined;
    return c.html(page(p.title, LinkProblem({ ...p, testid: "task-problem", problem: key, detail: stateDetail(state), back })), p.status);
  };

  return new Hono()
    .get("/tasks/:token", async (c) => {
      const found = await inspectTask(relay, c.req.param("token"));
      if (!found.ok) return problemPage(c, found.problem, found.state);
      const { claims, round, facts } = found;
      const others = round.operators.filter((o) => o !== claims.operator);
      return c.html(
        page(
          "Provisioning task",
          html`<h1>${taskHeadline(facts)}</h1>
<p class="muted">You are answering as ${claims.operator}${others.length ? html`; ${others.join(", ")} got this task too, and any one of you may answer` : ""}. Answer by ${utc(facts.deadlineAt)}.</p>
${TaskDetails({ facts })}
<p>${taskAsk(facts.action)}</p>
${AnswerForms({ csrf: issueCsrfToken(c, secure, relay.csrfKey) })}`,
        ),
      );
    })
    .post("/tasks/:token", async (c) => {
      const form = await c.req.parseBody();
      if (!checkCsrfToken(c, form.csrf, relay.csrfKey)) return problemPage(c, "csrf");
      const note = typeof form.note === "string" ? form.note.trim().slice(0, 1000) : "";
      let reply: TaskReply;
      if (form.answer === "done") reply = { outcome: "done" };
      else if (form.answer === "cannot_do") reply = { outcome: "cannot_do", note };
      else return problemPage(c, "csrf");
      const via = c.req.query("via") === "slack" ? "slack" : "email";
      const result = await answerTask(relay, c.req.param("token"), reply, requestMeta(c, relay.env.TRUST_PROXY), via);
      if (!result.ok) return problemPage(c, result.problem, result.state);
      const recorded = Notice({
        tone: reply.outcome === "done" ? "ok" : "info",
        testid: "task-result",
        data: { outcome: reply.outcome },
        children: resultText(reply, result.facts),
      });
      return c.html(page("Answer recorded", html`<h1>Answer recorded</h1>${recorded}`));
    });
}
