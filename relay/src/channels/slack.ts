import { type TaskFacts, taskAsk, taskFactRows, taskHeadline, utc } from "../core/manual-task.ts";
import { type RequestContext, resourceLabel } from "../requests/context.ts";
import { DeliveryError, httpFailure } from "./http.ts";
import { type ApproverReason, approverHeadline, type Outcome, outcomeLine, stepLabel } from "./message.ts";

/**
 * Slack Block Kit messages. Untrusted text goes into `mrkdwn` only after
 * `slackEscape`: Slack reads `<…>` as links and mentions (`<!channel>`,
 * `<https://evil|Approve>`), and `&`, `<`, `>` are the characters it asks
 * apps to escape. Names and headings use `plain_text`, which Slack never parses.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

type Block = Record<string, unknown>;

const plain = (text: string) => ({ type: "plain_text", text: text.slice(0, 150), emoji: false });
const field = (label: string, value: string) => ({ type: "mrkdwn", text: `*${label}*\n${slackEscape(value).slice(0, 1900)}` });

function contextBlocks(ctx: RequestContext): Block[] {
  const fields = [
    field("Requester", `${ctx.requester.name} <${ctx.requester.email}>`),
    field("App", ctx.app),
    field("Resource", resourceLabel(ctx.resource)),
    field("Duration", ctx.duration),
    field("Reason", ctx.reason || "(none given)"),
    field("Flow", `${ctx.flowName}${stepLabel(ctx) ? ` (${stepLabel(ctx)})` : ""}`),
  ];
  if (ctx.ticket) fields.push(field("Ticket", ctx.ticket));
  const blocks: Block[] = [{ type: "section", fields: fields.slice(0, 10) }];
  if (ctx.message)
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `The page said: ${slackEscape(ctx.message).slice(0, 2000)}` }] });
  for (const line of ctx.conversation.slice(-4)) {
    const label = line.kind === "question" ? "asked" : line.kind === "answer" ? "answered" : "escalated";
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `${slackEscape(line.by.name)} ${label}: ${slackEscape(line.text).slice(0, 2000)}` }],
    });
  }
  return blocks;
}

/**
 * The message an approver gets: the context and link buttons. A DM carries
 * the approver's own decision link; a channel message carries the review
 * page, where each approver asks for a link of their own (links are personal).
 */
export function slackApproverMessage(
  ctx: RequestContext,
  reason: ApproverReason,
  link: { personal: string } | { review: string },
): { text: string; blocks: Block[] } {
  const headline = approverHeadline(ctx, reason);
  const actions =
    "personal" in link
      ? [
          { type: "button", text: plain("Approve…"), style: "primary", url: link.personal, action_id: "approve" },
          { type: "button", text: plain("Review"), url: link.personal, action_id: "review" },
        ]
      : [{ type: "button", text: plain("Review in Gatehouse"), style: "primary", url: link.review, action_id: "review" }];
  return {
    text: slackEscape(headline),
    blocks: [
      { type: "header", text: plain(headline) },
      ...contextBlocks(ctx),
      { type: "actions", elements: actions },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text:
              "personal" in link
                ? "The buttons open a confirmation page; the link is yours alone and works once."
                : "Decision links are personal: the review page sends each approver their own.",
          },
        ],
      },
    ],
  };
}

/** What replaces an approver's DM once the request is decided: the context, no buttons. */
export function slackDecidedMessage(ctx: RequestContext, outcome: Outcome): { text: string; blocks: Block[] } {
  const line = outcomeLine(outcome);
  return {
    text: slackEscape(`${ctx.requester.name} → ${ctx.app}: ${line}`),
    blocks: [
      { type: "header", text: plain(`${ctx.requester.name} asked for access to ${ctx.app}`) },
      ...contextBlocks(ctx),
      { type: "section", text: { type: "mrkdwn", text: `*${slackEscape(line)}*` } },
    ],
  };
}

/** An operator's manual task, as a DM: the instructions, the facts, and a button to their own task page. */
export function slackTaskMessage(facts: TaskFacts, link: string): { text: string; blocks: Block[] } {
  const headline = taskHeadline(facts);
  const steps = Object.entries(facts.target).map(([k, v]) => field(k, v));
  return {
    text: slackEscape(`Task: ${headline} (${facts.app})`),
    blocks: [
      { type: "header", text: plain(`Task: ${headline}`) },
      ...(steps.length ? [{ type: "section", fields: steps.slice(0, 10) }] : []),
      { type: "section", fields: taskFactRows(facts).map(([k, v]) => field(k, v)) },
      { type: "section", text: { type: "mrkdwn", text: slackEscape(taskAsk(facts.action)) } },
      { type: "actions", elements: [{ type: "button", text: plain("Open the task"), style: "primary", url: link, action_id: "task" }] },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `Answer by ${utc(facts.deadlineAt)}. The link is yours alone and works once.` }],
      },
    ],
  };
}

/** Slack's Web API answers 200 with `ok: false`; these errors will not go away by retrying. */
const PERMANENT = new Set([
  "users_not_found",
  "channel_not_found",
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "message_not_found",
  "no_permission",
  "missing_scope",
  "invalid_blocks",
]);

/** Calls one Slack Web API method with the bot token; throws a DeliveryError when Slack says no. */
export async function slackApi(
  apiUrl: string,
  token: string,
  method: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${apiUrl.replace(/\/$/, "")}/${method}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw await httpFailure(res, `slack ${method}`);
  const json = (await res.json()) as Record<string, unknown>;
  if (json.ok !== true) {
    const error = String(json.error ?? "unknown_error");
    throw new DeliveryError(`slack ${method}: ${error}`, PERMANENT.has(error));
  }
  return json;
}
