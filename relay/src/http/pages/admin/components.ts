import { html } from "hono/html";
import type { GrantRow } from "../../../grants/lifecycle.ts";
import { type Fragment, StateBadge } from "../components.ts";
import { Options } from "../fields.ts";

/** A grant's state in a list; a failed one says which call gave up and why. */
export function GrantState({ grant: g }: { grant: Pick<GrantRow, "state" | "failedAction" | "failure"> }): Fragment {
  return html`${StateBadge({ state: g.state, data: { "grant-state": g.state } })}${
    g.state === "failed"
      ? html`<br><span class="muted">${g.failedAction === "revoke" ? "revoke" : "grant"} gave up: ${g.failure ?? ""}</span>`
      : ""
  }`;
}

/** A delivery's state as admins read it: a pending row that has failed before is retrying. */
export function deliveryState(d: { state: string; attempts: number }): string {
  if (d.state === "pending" && d.attempts > 0) return "retrying";
  if (d.state === "held") return "held (no SMTP)";
  return d.state;
}

/** A list page's filter by state: a GET, so the filtered list can be linked to. */
export function StateFilter(p: { options: readonly (readonly [string, string])[]; selected: string }): Fragment {
  return html`<form method="get" class="search"><select name="state" aria-label="State">${Options(p)}</select> <button type="submit" class="small">Show</button></form>`;
}
