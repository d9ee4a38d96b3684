import { useState } from "preact/hooks";
import type { PageExplanation } from "../messaging.ts";

/**
 * "Why did (or didn't) Gatehouse appear here?": for admins tuning detection
 * rules and for anyone reporting a miss. Asks every open tab's content script
 * for the detector's account of its page — the app it recognised, the score
 * against the threshold and each signal with what it added or took away —
 * and shows it. Nothing leaves the browser.
 */
export function DetectionDebug(props: { explainTabs(): Promise<PageExplanation[]> }) {
  const [pages, setPages] = useState<PageExplanation[] | null>(null);
  const [busy, setBusy] = useState(false);
  const look = async () => {
    setBusy(true);
    setPages(await props.explainTabs());
    setBusy(false);
  };
  return (
    <details class="debug" data-testid="detection-debug" onToggle={(e) => (e.target as HTMLDetailsElement).open && !pages && void look()}>
      <summary>Why did (or didn't) Gatehouse appear on a page?</summary>
      <p class="muted">
        The detector's account of each open tab: what it recognised, its score against the threshold, and each signal with what it added or
        took away.{" "}
        <button type="button" onClick={look} disabled={busy} data-testid="debug-refresh">
          {busy ? "Looking…" : "Look again"}
        </button>
      </p>
      {pages?.length === 0 && <p class="muted">No open tab with a web page (reload tabs opened before Gatehouse was installed).</p>}
      <ul class="list debug-pages">
        {pages?.map((p) => {
          const x = p.explanation;
          const shown = x.score >= x.threshold;
          return (
            <li key={p.url} data-testid="debug-page" data-shown={String(shown)}>
              <div class="debug-head">
                <strong>{p.title || p.url}</strong>
                <span class={`pill ${shown ? "approved" : ""}`}>{shown ? `appears (${x.kind})` : "does not appear"}</span>
              </div>
              <div class="muted debug-url">{p.url}</div>
              <div>
                App: {x.app ?? "not in the catalog (generic)"} · resource: {x.resourceId ?? "none"} · score{" "}
                <strong data-testid="debug-score">{x.score.toFixed(2)}</strong> of {x.threshold}
              </div>
              {x.evidence && (
                <div>
                  Strongest evidence ({x.evidence.place}): <q>{x.evidence.text}</q>
                </div>
              )}
              <ul class="debug-reasons" data-testid="debug-reasons">
                {x.reasons.length ? x.reasons.map((r) => <li key={r}>{r}</li>) : <li>no signal of a denial</li>}
              </ul>
            </li>
          );
        })}
      </ul>
    </details>
  );
}
