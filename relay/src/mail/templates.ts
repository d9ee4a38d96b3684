import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { type ApproverReason, approverHeadline, stepLabel } from "../channels/message.ts";
import type { Mail } from "../channels/outbox.ts";
import { type TaskFacts, taskAsk, taskFactRows, taskHeadline, utc } from "../core/manual-task.ts";
import { type ConversationLine, type RequestContext, resourceLabel } from "../requests/context.ts";

/**
 * Mail bodies. Every interpolated value goes through hono's `html` template,
 * which escapes it: requester text (reason, page message, resource name) is
 * untrusted and must never become markup.
 */
function render(fragment: HtmlEscapedString | Promise<HtmlEscapedString>): string {
  if (fragment instanceof Promise) throw new Error("mail templates must be synchronous");
  return fragment.toString();
}

function layout(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>): string {
  return render(html`<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1f2328;max-width:560px;margin:0 auto;padding:24px">
${body}
<p style="color:#656d76;font-size:12px;margin-top:32px">Sent by Gatehouse. If you did not expect this mail, ignore it.</p>
</body></html>`);
}

const button = (href: string, label: string, secondary = false) =>
  html`<a href="${href}" style="display:inline-block;background:${secondary ? "#f6f8fa" : "#1f6feb"};color:${secondary ? "#1f2328" : "#fff"};border:1px solid ${secondary ? "#d0d7de" : "#1f6feb"};padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">${label}</a>`;

export function signInMail(p: { to: string; name: string; code: string; link: string }): Mail {
  return {
    to: p.to,
    subject: `Sign in to Gatehouse (code ${p.code})`,
    text: `Hello ${p.name},\n\nTo sign in the Gatehouse browser extension, open this link and check that it shows the code ${p.code}:\n\n${p.link}\n\nThe link works once, for 15 minutes. If you did not try to sign in, ignore this mail.\n`,
    html: layout(
      "Sign in to Gatehouse",
      html`<p>Hello ${p.name},</p>
<p>To sign in the Gatehouse browser extension, open this link and check that it shows the code <strong style="font-family:monospace">${p.code}</strong>.</p>
<p>${button(p.link, "Pair this browser")}</p>
<p style="color:#656d76">The link works once, for 15 minutes. If you did not try to sign in, ignore this mail.</p>`,
    ),
  };
}

export function adminSignInMail(p: { to: string; name: string; link: string }): Mail {
  return {
    to: p.to,
    subject: "Sign in to the Gatehouse admin",
    text: `Hello ${p.name},\n\nTo sign in to the Gatehouse admin, open this link and press "Sign in":\n\n${p.link}\n\nThe link works once, for 15 minutes. If you did not ask to sign in, ignore this mail.\n`,
    html: layout(
      "Sign in to the Gatehouse admin",
      html`<p>Hello ${p.name},</p>
<p>To sign in to the Gatehouse admin, open this link and press <strong>Sign in</strong>.</p>
<p>${button(p.link, "Sign in to the admin")}</p>
<p style="color:#656d76">The link works once, for 15 minutes. If you did not ask to sign in, ignore this mail.</p>`,
    ),
  };
}

const cell = "color:#656d76;padding:2px 12px 2px 0;vertical-align:top";
const quote = "border-left:3px solid #d0d7de;margin:8px 0;padding:4px 12px;color:#656d76";

/** The request's facts as text lines and as an HTML table; every value escaped by `html`. */
function requestFacts(ctx: RequestContext): { text: string[]; html: HtmlEscapedString | Promise<HtmlEscapedString> } {
  const rows: [string, string][] = [
    ["App", ctx.app],
    ["Resource", resourceLabel(ctx.resource)],
    ["URL", ctx.resource.url],
    ["Duration", ctx.duration],
    ...(ctx.startAt ? ([["Starts", `${ctx.startAt.slice(0, 16).replace("T", " ")} UTC`]] as [string, string][]) : []),
    ["Reason", ctx.reason || "(none given)"],
    ...(ctx.ticket ? ([["Ticket", ctx.ticket]] as [string, string][]) : []),
    ["Flow", `${ctx.flowName}${stepLabel(ctx) ? ` (${stepLabel(ctx)})` : ""}`],
  ];
  const said = (kind: ConversationLine["kind"]) => (kind === "question" ? "asked" : kind === "answer" ? "answered" : "noted");
  return {
    text: [
      ...rows.map(([k, v]) => `${`${k}:`.padEnd(10)} ${v}`),
      ...(ctx.message ? [`The page said: "${ctx.message}"`] : []),
      ...ctx.conversation.map((l) => `${l.by.name} ${said(l.kind)}: "${l.text}"`),
    ],
    html: html`<table style="border-collapse:collapse;margin:12px 0">
${rows.filter(([k]) => k !== "URL").map(([k, v]) => html`<tr><td style="${cell}">${k}</td><td>${v}</td></tr>`)}
</table>
${ctx.message ? html`<p style="color:#656d76;margin:0">The page said:</p><blockquote style="${quote}">${ctx.message}</blockquote>` : ""}
${ctx.conversation.map((l) => html`<p style="margin:12px 0 0"><strong>${l.by.name}</strong> ${said(l.kind)}:</p><blockquote style="${quote}">${l.text}</blockquote>`)}`,
  };
}

/** An approver's mail: why they are asked, the request, and their personal link. */
export function approvalMail(p: { to: string; approverName: string; ctx: RequestContext; reason: ApproverReason; link: string }): Mail {
  const { ctx } = p;
  const headline = approverHeadline(ctx, p.reason);
  const facts = requestFacts(ctx);
  const lines = [
    `${headline}.`,
    "",
    `Requester: ${ctx.requester.name} <${ctx.requester.email}>`,
    ...facts.text,
    "",
    `Review and decide: ${p.link}`,
    "",
    "The link is yours alone and works once.",
  ];
  const prefix = p.reason.kind === "reminder" ? "Reminder: " : p.reason.kind === "answered" ? "Answered: " : "";
  return {
    to: p.to,
    subject: `${prefix}Access request: ${ctx.requester.name} → ${ctx.app} ${resourceLabel(ctx.resource)}`,
    text: `${lines.join("\n")}\n`,
    html: layout(
      "Access request",
      html`<p>Hello ${p.approverName},</p>
<p><strong>${headline}</strong>.</p>
<p>${ctx.requester.name} &lt;${ctx.requester.email}&gt;</p>
${facts.html}
<p style="margin-top:20px">${button(p.link, "Approve…")} &nbsp; ${button(p.link, "Review and decide", true)}</p>
<p style="color:#656d76">Both buttons open the confirmation page; nothing is decided until you choose there. The link is yours alone and works once.</p>`,
    ),
  };
}

/** What the requester is told by mail when their extension is offline. */
export function requesterUpdateMail(p: { to: string; ctx: RequestContext; title: string; line: string }): Mail {
  const what = resourceLabel(p.ctx.resource);
  return {
    to: p.to,
    subject: `${p.title}: ${p.ctx.app} ${what}`,
    text: `${p.line}\n\nApp:       ${p.ctx.app}\nResource:  ${what}\n\nOpen the Gatehouse extension to see your requests.\n`,
    html: layout(
      p.title,
      html`<p><strong>${p.title}</strong></p><p>${p.line}</p>
<table style="border-collapse:collapse;margin:12px 0"><tr><td style="${cell}">App</td><td>${p.ctx.app}</td></tr><tr><td style="${cell}">Resource</td><td>${what}</td></tr></table>
<p style="color:#656d76">Open the Gatehouse extension to see your requests.</p>`,
    ),
  };
}

/** To every admin when a provider call gave up: what failed, for whom, and where to act. */
export function grantFailedMail(p: {
  to: string;
  action: "grant" | "revoke";
  requester: string;
  app: string;
  resource: string;
  target: string;
  error: string;
  link: string;
}): Mail {
  const what = p.action === "grant" ? "Provisioning failed" : "Revoking access failed";
  const consequence =
    p.action === "grant"
      ? "The request was approved, but the access was not set up. The requester was told."
      : "The access may still be in place at the app: remove it by hand, or retry once the cause is fixed.";
  return {
    to: p.to,
    subject: `Gatehouse: ${what.toLowerCase()} for ${p.requester} (${p.app})`,
    text: `${what}.\n\n${consequence}\n\nRequester: ${p.requester}\nApp:       ${p.app}\nResource:  ${p.resource}\nTarget:    ${p.target}\nError:     ${p.error}\n\nRetry or revoke: ${p.link}\n`,
    html: layout(
      what,
      html`<p><strong>${what}.</strong></p><p>${consequence}</p>
<table style="border-collapse:collapse;margin:12px 0"><tr><td style="${cell}">Requester</td><td>${p.requester}</td></tr><tr><td style="${cell}">App</td><td>${p.app}</td></tr><tr><td style="${cell}">Resource</td><td>${p.resource}</td></tr><tr><td style="${cell}">Target</td><td>${p.target}</td></tr><tr><td style="${cell}">Error</td><td>${p.error}</td></tr></table>
<p>${button(p.link, "Retry or revoke")}</p>`,
    ),
  };
}

/** An operator's manual provisioning task: what to change by hand, for whom, and their personal link to answer. */
export function taskMail(p: { to: string; facts: TaskFacts; link: string }): Mail {
  const { facts } = p;
  const headline = taskHeadline(facts);
  const rows = taskFactRows(facts);
  const steps = Object.entries(facts.target);
  const what = `${facts.app} ${facts.resource ?? "(whole app)"}`;
  const text = [
    `${headline} (${what}).`,
    "",
    ...(steps.length ? ["What to do:", ...steps.map(([k, v]) => `  ${k}: ${v}`), ""] : []),
    ...rows.map(([k, v]) => `${`${k}:`.padEnd(14)} ${v}`),
    "",
    taskAsk(facts.action),
    `Open the task: ${p.link}`,
    "",
    `Answer by ${utc(facts.deadlineAt)}. Any one of the operators may answer; the link is yours alone and works once.`,
  ];
  return {
    to: p.to,
    subject: `Task: ${headline} (${what})`,
    text: `${text.join("\n")}\n`,
    html: layout(
      "Provisioning task",
      html`<p><strong>${headline}</strong> (${what}).</p>
${steps.length ? html`<p style="margin:12px 0 4px">What to do:</p><table style="border-collapse:collapse;margin:0 0 12px">${steps.map(([k, v]) => html`<tr><td style="${cell}">${k}</td><td><strong>${v}</strong></td></tr>`)}</table>` : ""}
<table style="border-collapse:collapse;margin:12px 0">${rows.map(([k, v]) => html`<tr><td style="${cell}">${k}</td><td>${v}</td></tr>`)}</table>
<p>${taskAsk(facts.action)}</p>
<p>${button(p.link, "Open the task")}</p>
<p style="color:#656d76">Answer by ${utc(facts.deadlineAt)}. Any one of the operators may answer; the link is yours alone and works once.</p>`,
    ),
  };
}
