import { html } from "hono/html";
import type { RequestContext } from "../../requests/context.ts";
import type { Fragment } from "./components.ts";

const safeHref = (url: string) => (/^https?:\/\//i.test(url) ? url : null);

/** The request as the approver reads it (the decision page, and the admin's request page); every value is escaped by `html`. */
export function RequestDetails({ ctx }: { ctx: RequestContext }): Fragment {
  const href = safeHref(ctx.resource.url);
  const r = ctx.resource;
  const said = { question: "asked", answer: "answered", escalation: "passed it on" } as const;
  return html`<dl>
<dt>Requester</dt><dd data-testid="requester">${ctx.requester.name} &lt;${ctx.requester.email}&gt;</dd>
<dt>App</dt><dd data-testid="app">${ctx.app}</dd>
<dt>Resource</dt><dd data-testid="resource">${r.name ?? r.id ?? "(whole app)"}${r.id && r.name ? html` <span class="muted">(${r.id})</span>` : ""}</dd>
<dt>Page</dt><dd>${href ? html`<a href="${href}" rel="noreferrer noopener">${href}</a>` : r.url}</dd>
<dt>Duration asked</dt><dd>${ctx.duration}</dd>
${ctx.startAt ? html`<dt>Starts</dt><dd data-testid="starts">${ctx.startAt.slice(0, 16).replace("T", " ")} UTC</dd>` : ""}
<dt>Reason</dt><dd data-testid="reason">${ctx.reason || "(none given)"}</dd>
${ctx.ticket ? html`<dt>Ticket</dt><dd data-testid="ticket">${ctx.ticket}</dd>` : ""}
<dt>Flow</dt><dd>${ctx.flowName}${ctx.stepCount > 1 ? html` <span class="muted" data-testid="step">(step ${ctx.step} of ${ctx.stepCount})</span>` : ""}</dd>
</dl>
${ctx.message ? html`<p class="muted">The page said:</p><blockquote data-testid="page-message">${ctx.message}</blockquote>` : ""}
${
  ctx.conversation.length
    ? html`<h2>Conversation</h2><div data-testid="conversation">${ctx.conversation.map(
        (l) => html`<p class="muted"><strong>${l.by.name}</strong> ${said[l.kind]}:</p><blockquote>${l.text}</blockquote>`,
      )}</div>`
    : ""
}`;
}
