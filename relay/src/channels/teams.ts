import { type RequestContext, resourceLabel } from "../requests/context.ts";
import { type ApproverReason, approverHeadline, type Outcome, outcomeLine, stepLabel } from "./message.ts";

/**
 * Microsoft Teams: an Adaptive Card posted to a Workflows (or legacy
 * incoming) webhook, which lands in a channel. A channel is shared, so the
 * card never carries a personal decision link: its button opens the review
 * page, which sends each approver a link of their own.
 *
 * TextBlocks and FactSet values render a Markdown subset, so untrusted text
 * is escaped: `[x](url)` must not become a link, `**` must not shout.
 */
export function teamsEscape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|~<>]/g, (c) => `\\${c}`);
}

type Element = Record<string, unknown>;

function facts(ctx: RequestContext): Element {
  const list = [
    ["Requester", `${ctx.requester.name} <${ctx.requester.email}>`],
    ["App", ctx.app],
    ["Resource", resourceLabel(ctx.resource)],
    ["Duration", ctx.duration],
    ["Reason", ctx.reason || "(none given)"],
    ["Flow", `${ctx.flowName}${stepLabel(ctx) ? ` (${stepLabel(ctx)})` : ""}`],
    ...(ctx.ticket ? [["Ticket", ctx.ticket]] : []),
  ];
  return { type: "FactSet", facts: list.map(([title, value]) => ({ title, value: teamsEscape(String(value).slice(0, 1000)) })) };
}

function card(body: Element[], actions: Element[]): Record<string, unknown> {
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
          ...(actions.length ? { actions } : {}),
        },
      },
    ],
  };
}

function conversation(ctx: RequestContext): Element[] {
  const out: Element[] = [];
  if (ctx.message)
    out.push({ type: "TextBlock", text: `The page said: ${teamsEscape(ctx.message.slice(0, 1000))}`, wrap: true, isSubtle: true });
  for (const line of ctx.conversation.slice(-4)) {
    const label = line.kind === "question" ? "asked" : line.kind === "answer" ? "answered" : "escalated";
    out.push({
      type: "TextBlock",
      text: `${teamsEscape(line.by.name)} ${label}: ${teamsEscape(line.text.slice(0, 1000))}`,
      wrap: true,
      isSubtle: true,
    });
  }
  return out;
}

/** The card approvers see in the channel: context and a button to the review page. */
export function teamsApproverCard(ctx: RequestContext, reason: ApproverReason, reviewUrl: string): Record<string, unknown> {
  return card(
    [
      { type: "TextBlock", text: teamsEscape(approverHeadline(ctx, reason)), weight: "Bolder", size: "Medium", wrap: true },
      facts(ctx),
      ...conversation(ctx),
      {
        type: "TextBlock",
        text: "Decision links are personal: the review page sends each approver their own.",
        wrap: true,
        isSubtle: true,
      },
    ],
    [{ type: "Action.OpenUrl", title: "Review in Gatehouse", url: reviewUrl }],
  );
}

/** The card that tells the channel how the request ended. */
export function teamsOutcomeCard(ctx: RequestContext, outcome: Outcome): Record<string, unknown> {
  return card(
    [
      { type: "TextBlock", text: teamsEscape(`${ctx.requester.name} → ${ctx.app}: ${outcomeLine(outcome)}`), weight: "Bolder", wrap: true },
      facts(ctx),
    ],
    [],
  );
}
