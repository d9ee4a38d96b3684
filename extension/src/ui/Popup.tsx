import type { RequestView } from "@gatehouse/shared";
import { useEffect, useState } from "preact/hooks";
import type { Result, SessionState } from "../messaging.ts";
import { appLabel, remaining } from "./format.ts";

const STATE_LABEL: Record<string, string> = {
  pending: "Waiting for approval",
  approved: "Approved",
  rejected: "Rejected",
  cancelled: "Cancelled",
  expired: "Expired undecided",
  info_requested: "More information asked",
  escalated: "Escalated",
  error: "Needs an admin",
};

function activeGrant(r: RequestView, now: number): boolean {
  return r.grant?.state === "active" && (!r.grant.endsAt || new Date(r.grant.endsAt).getTime() > now);
}

/** My active grants (with time left) and my recent requests (with status). */
export function Popup(props: { getSession(): Promise<SessionState>; listRequests(): Promise<Result<RequestView[]>>; openOptions(): void }) {
  const [session, setSession] = useState<SessionState | null>(null);
  const [requests, setRequests] = useState<RequestView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    void (async () => {
      const s = await props.getSession();
      setSession(s);
      if (!s.user) return;
      const res = await props.listRequests();
      if (res.ok) setRequests(res.value);
      else setError(res.problem.detail ?? res.problem.title);
    })();
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  if (!session) return <main class="popup" />;
  if (!session.user)
    return (
      <main class="popup">
        <h1>Gatehouse</h1>
        <p>Sign in to request access from the pages that deny it.</p>
        <button type="button" class="primary" onClick={props.openOptions}>
          Sign in
        </button>
      </main>
    );

  const grants = (requests ?? []).filter((r) => activeGrant(r, now));
  const label = (r: RequestView) => r.resource.name ?? r.resource.id ?? r.app;
  return (
    <main class="popup" data-testid="popup">
      <h1>Gatehouse</h1>
      <p class="muted">{session.user.email}</p>
      {error && <p class="error">{error}</p>}
      <h2>Active access</h2>
      {grants.length === 0 ? (
        <p class="muted">None right now.</p>
      ) : (
        <ul class="list" data-testid="grants">
          {grants.map((r) => (
            <li key={r.id}>
              <strong>{label(r)}</strong> <span class="muted">{appLabel(r.app)}</span>
              <span class="pill ok">{remaining(r.grant?.endsAt ?? null, now)}</span>
            </li>
          ))}
        </ul>
      )}
      <h2>My requests</h2>
      {requests === null ? (
        <p class="muted">Loading…</p>
      ) : requests.length === 0 ? (
        <p class="muted">No requests yet.</p>
      ) : (
        <ul class="list" data-testid="requests">
          {requests.map((r) => (
            <li key={r.id} data-state={r.state}>
              <strong>{label(r)}</strong>{" "}
              <span class="muted">
                {appLabel(r.app)} · {r.duration}
              </span>
              <span class={`pill ${r.state}`}>
                {r.grant && !activeGrant(r, now) && r.state === "approved" ? "Ended" : (STATE_LABEL[r.state] ?? r.state)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <button type="button" class="link" onClick={props.openOptions}>
          Settings
        </button>
      </p>
    </main>
  );
}
