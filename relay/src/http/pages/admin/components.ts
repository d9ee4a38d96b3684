import { html } from "hono/html";
import { NOTIFY_CHANNELS } from "../../../admin/flow-form.ts";
import type { GrantRow } from "../../../grants/lifecycle.ts";
import { type Fragment, StateBadge } from "../components.ts";
import { Checkbox, Options } from "../fields.ts";

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

const CHANNEL_NAMES = { email: "Email", slack: "Slack", teams: "Microsoft Teams" } as const;

/** A checkbox per channel approvers can be told through (`notify.<channel>`). */
export function NotifyChannels(p: { checked: (channel: (typeof NOTIFY_CHANNELS)[number]) => boolean }): Fragment[] {
  return NOTIFY_CHANNELS.map((ch) => Checkbox({ label: CHANNEL_NAMES[ch], name: `notify.${ch}`, checked: p.checked(ch) }));
}
