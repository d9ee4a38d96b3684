import { parseDuration } from "@gatehouse/shared";
import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../../context.ts";
import type { SimulateResult } from "../../../core/policy/simulate.ts";
import { simulateRequest } from "../../../policy/simulate.ts";
import type { Fragment } from "../components.ts";
import { Actions, type FieldErrors, FormErrors, TextField } from "../fields.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

const FIELDS = ["requester", "app", "resource", "duration", "at", "reason", "ticket", "ip"] as const;
type Question = Record<(typeof FIELDS)[number], string>;
const OUTCOME_TEXT = { auto_approved: "Approved automatically", needs_approval: "Needs approval", denied: "Refused" } as const;

/** The question from the query string, and what is wrong with it (nothing asked: no errors). */
function questionOf(c: AdminContext): { q: Question; asked: boolean; errors: FieldErrors } {
  const q = Object.fromEntries(FIELDS.map((k) => [k, (c.req.query(k) ?? "").trim().slice(0, 2000)])) as Question;
  const asked = q.requester !== "" || q.app !== "";
  const errors: FieldErrors = new Map();
  if (asked) {
    for (const k of ["requester", "app", "duration"] as const) if (!q[k]) errors.set(k, ["required"]);
    if (q.duration && !parseDuration(q.duration)) errors.set("duration", ["expected 15m, 4h, 1d or indefinite"]);
    if (q.at && Number.isNaN(new Date(q.at).getTime())) errors.set("at", ["expected an ISO-8601 time, e.g. 2026-12-02T09:30:00Z"]);
  }
  return { q, asked, errors };
}

function SimulateForm({ q, errors }: { q: Question; errors: FieldErrors }): Fragment {
  return html`<form method="get" class="editor grid" data-testid="simulate-form">
${TextField({ label: "Requester", name: "requester", value: q.requester, errors, type: "email", hint: "Their email in the directory." })}
${TextField({ label: "App", name: "app", value: q.app, errors, hint: "github, google-docs, jira…" })}
${TextField({ label: "Resource id", name: "resource", value: q.resource, errors, hint: "e.g. acme-corp/payments-api" })}
${TextField({ label: "Duration", name: "duration", value: q.duration || "1h", errors, hint: "15m, 4h, 1d or indefinite" })}
${TextField({ label: "At", name: "at", value: q.at, errors, hint: "Optional ISO-8601 time; now when empty." })}
${TextField({ label: "Reason", name: "reason", value: q.reason, errors })}
${TextField({ label: "Ticket", name: "ticket", value: q.ticket, errors })}
${TextField({ label: "Source IP", name: "ip", value: q.ip, errors })}
${Actions({ children: html`<button class="primary" type="submit" data-testid="simulate">Simulate</button>` })}
</form>`;
}

/** Where the grant would go, or that nothing is provisioned. */
function Provisioning({ result }: { result: SimulateResult }): Fragment | "" {
  const p = result.provisioning;
  if (!p) return result.outcome !== "denied" ? html`<p class="muted">Nothing is provisioned: the grant is a record only.</p>` : "";
  const where = p.error
    ? html`<span class="notice bad">${p.error}</span>`
    : html`Through <code>${p.provider}</code> at ${Object.entries(p.target ?? {}).map(([k, v]) => html`<code>${k}: ${v}</code> `)}`;
  return html`<h3>Provisioning</h3><p data-testid="simulate-provisioning">${where}${p.activation === "on_start" ? " — when the requester presses Start." : ""}</p>`;
}

function SimulationResult({ result }: { result: SimulateResult }): Fragment {
  const rule = (s: SimulateResult["steps"][number]) =>
    typeof s.require === "number" ? `${s.require} of` : s.require === "all" ? "all of" : "any one of";
  return html`<section class="result ${result.outcome}" data-testid="simulate-result" data-outcome="${result.outcome}" data-flow="${result.flow ?? ""}">
<h2>${OUTCOME_TEXT[result.outcome]}${result.code ? html` <code>${result.code}</code>` : ""}</h2>
<dl><dt>Flow</dt><dd>${result.flow ?? "none"}</dd>
<dt>Duration</dt><dd>${result.duration ?? "—"}</dd>
${result.steps.map((s, i) => html`<dt>Step ${i + 1}</dt><dd>${rule(s)}: ${s.approvers.join(", ") || "nobody"}</dd>`)}
</dl>
${Provisioning({ result })}
${result.explain.length ? html`<h3>Why</h3><ol class="explain" data-testid="simulate-explain">${[...result.explain].map((line) => html`<li>${line}</li>`)}</ol>` : ""}
<details><summary>As JSON</summary><pre class="yaml">${JSON.stringify({ ...result, explain: [...result.explain] }, null, 2)}</pre></details>
</section>`;
}

/**
 * The question `gatehouse simulate` answers, on a page: what would happen to
 * this request now, under the policy in the database? A GET (it changes
 * nothing), so an answer can be linked to.
 */
export function simulatePages(relay: Relay) {
  return new Hono<AdminEnv>().get("/admin/simulate", async (c: AdminContext) => {
    const { q, asked, errors } = questionOf(c);
    const result =
      asked && errors.size === 0
        ? await simulateRequest(relay, {
            requester: q.requester,
            app: q.app,
            resource: q.resource || null,
            duration: q.duration,
            at: q.at ? new Date(q.at) : relay.clock.now(),
            reason: q.reason || undefined,
            ticket: q.ticket || undefined,
            ip: q.ip || undefined,
          })
        : null;
    const body = html`<h1>Simulate a request</h1>
<p class="muted">What would the relay do with this request, under the policy as it is now? Nothing is stored or sent. The command line asks the same: <code>pnpm gatehouse simulate</code>.</p>
${FormErrors({ errors })}
${SimulateForm({ q, errors })}
${result ? SimulationResult({ result }) : ""}`;
    return c.html(adminPage(c, "simulate", "Simulate", body), errors.size ? 422 : 200);
  });
}
