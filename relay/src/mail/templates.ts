import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Mail } from "./outbox.ts";

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

const button = (href: string, label: string) =>
  html`<a href="${href}" style="display:inline-block;background:#1f6feb;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">${label}</a>`;

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

export interface ApprovalMailInput {
  to: string;
  approverName: string;
  requester: { name: string; email: string };
  app: string;
  resource: { id: string | null; name: string | null; url: string };
  duration: string;
  reason: string;
  ticket: string | null;
  message: string;
  flowName: string;
  link: string;
}

export function approvalMail(p: ApprovalMailInput): Mail {
  const what = p.resource.name ?? p.resource.id ?? p.resource.url;
  const lines = [
    `${p.requester.name} <${p.requester.email}> asks for access.`,
    "",
    `App:       ${p.app}`,
    `Resource:  ${what}`,
    `URL:       ${p.resource.url}`,
    `Duration:  ${p.duration}`,
    `Reason:    ${p.reason || "(none given)"}`,
    p.ticket ? `Ticket:    ${p.ticket}` : "",
    `Flow:      ${p.flowName}`,
    p.message ? `The page said: "${p.message}"` : "",
    "",
    `Review and decide: ${p.link}`,
    "",
    "The link is yours alone and works once.",
  ];
  return {
    to: p.to,
    subject: `Access request: ${p.requester.name} → ${p.app} ${what}`,
    text: `${lines.join("\n")}\n`,
    html: layout(
      "Access request",
      html`<p>Hello ${p.approverName},</p>
<p><strong>${p.requester.name}</strong> &lt;${p.requester.email}&gt; asks for access.</p>
<table style="border-collapse:collapse;margin:12px 0">
<tr><td style="color:#656d76;padding:2px 12px 2px 0">App</td><td>${p.app}</td></tr>
<tr><td style="color:#656d76;padding:2px 12px 2px 0">Resource</td><td>${what}</td></tr>
<tr><td style="color:#656d76;padding:2px 12px 2px 0">Duration</td><td>${p.duration}</td></tr>
<tr><td style="color:#656d76;padding:2px 12px 2px 0">Reason</td><td>${p.reason || "(none given)"}</td></tr>
${p.ticket ? html`<tr><td style="color:#656d76;padding:2px 12px 2px 0">Ticket</td><td>${p.ticket}</td></tr>` : ""}
<tr><td style="color:#656d76;padding:2px 12px 2px 0">Flow</td><td>${p.flowName}</td></tr>
</table>
${p.message ? html`<blockquote style="border-left:3px solid #d0d7de;margin:0;padding:4px 12px;color:#656d76">${p.message}</blockquote>` : ""}
<p style="margin-top:20px">${button(p.link, "Review and decide")}</p>
<p style="color:#656d76">The link is yours alone and works once.</p>`,
    ),
  };
}
