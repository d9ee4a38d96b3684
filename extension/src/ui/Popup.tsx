import type { RequestView } from "@gatehouse/shared";
import { useEffect, useState } from "preact/hooks";
import type { Result, SessionState } from "../messaging.ts";
import { appLabel } from "./format.ts";
import { countdown, endedLabel, endsSoon, formatDateTime, givesAccess, grantStep } from "./grant-status.ts";

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

/** Grants listed under "Active access": access now, and access on its way in or out (or stuck). */
const UNDER_WAY = ["provisioning", "awaiting_start", "scheduled", "failed", "revoking"];
function listedAsActive(r: RequestView, now: number): boolean {
  return givesAccess(r.grant, now) || UNDER_WAY.includes(r.grant?.state ?? "");
}

/** An approved request's pill in the history: what became of its grant. */
function grantLabel(r: RequestView, now: number): string | null {
  const g = r.grant;
  switch (grantStep(g, now)) {
    case "approved":
      return "Active";
    case "provisioning":
      return "Setting up";
    case "awaiting_start":
      return "Ready to start";
    case "scheduled":
      return "Scheduled";
    case "ending":
      return "Being removed";
    case "failed":
      return g?.failedAction === "revoke" ? "Removal failed" : "Setup failed";
    case "ended":
      return endedLabel(g?.endReason ?? null);
    default:
      return null;
  }
}

/** The pill's colour class: the request's state, or for an approved one what its grant is doing. */
function pillClass(r: RequestView, now: number): string {
  if (r.state !== "approved" || !r.grant) return r.state;
  const step = grantStep(r.grant, now);
  return step === "approved" ? "approved" : step === "failed" ? "rejected" : step === "ended" ? "ended" : "pending";
}

const OPEN = ["pending", "info_requested", "escalated", "error"];

export interface PopupActions {
  getSession(): Promise<SessionState>;
  listRequests(): Promise<Result<RequestView[]>>;
  answerQuestion(requestId: string, answer: string): Promise<Result<RequestView>>;
  cancelRequest(requestId: string): Promise<Result<RequestView>>;
  startGrant(grantId: string): Promise<Result<RequestView>>;
  extendGrant(grantId: string, by?: string): Promise<Result<RequestView>>;
  releaseGrant(grantId: string): Promise<Result<RequestView>>;
  /** The cached requests changed (a notice came in while the popup is open). */
  onRequestsChanged?(fn: (requests: RequestView[]) => void): () => void;
  openOptions(): void;
}

/** One grant under "Active access": its state, time left, and what the requester can do with it. */
function GrantItem(props: {
  request: RequestView;
  now: number;
  label: string;
  act(call: () => Promise<Result<RequestView>>): Promise<boolean>;
  actions: PopupActions;
}) {
  const { request: r, now, actions } = props;
  const g = r.grant;
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  if (!g) return null;
  const run = async (call: () => Promise<Result<RequestView>>) => {
    setBusy(true);
    await props.act(call);
    setBusy(false);
    setConfirming(false);
  };
  const active = givesAccess(g, now);
  return (
    <li data-request={r.id} data-grant-state={g.state}>
      <strong>{props.label}</strong> <span class="muted">{appLabel(r.app)}</span>
      {r.grant?.scope === "app" && <span class="muted"> · whole app</span>}
      {active && (
        <span class={`pill ${endsSoon(g.endsAt, now) ? "soon" : "ok"}`} data-testid="grant-countdown">
          {g.endsAt ? countdown(g.endsAt, now) : "until revoked"}
        </span>
      )}
      {g.state === "provisioning" && <span class="pill pending">Setting up…</span>}
      {g.state === "scheduled" && <span class="pill pending">Starts {formatDateTime(g.startsAt, now)}</span>}
      {g.state === "revoking" && <span class="pill">Being removed…</span>}
      {g.state === "failed" && (
        <>
          <span class="pill rejected">{g.failedAction === "revoke" ? "Removal failed" : "Setup failed"}</span>
          <p class="muted note">The admins were told.</p>
        </>
      )}
      {g.state === "awaiting_start" && (
        <>
          <span class="pill pending">Ready to start</span>
          <p class="muted note">
            Lasts {g.duration === "indefinite" ? "until revoked" : g.duration} once started
            {g.startBy ? `; start by ${formatDateTime(g.startBy, now)}` : ""}.
          </p>
          <p class="actions">
            <button
              type="button"
              class="primary"
              data-testid="start-grant"
              disabled={busy}
              onClick={() => run(() => actions.startGrant(g.id))}
            >
              {busy ? "Starting…" : "Start now"}
            </button>
          </p>
        </>
      )}
      {active && (
        <p class="actions">
          {g.extend && (
            <button
              type="button"
              class="secondary"
              data-testid="extend-grant"
              disabled={busy}
              onClick={() => run(() => actions.extendGrant(g.id, g.extend?.by))}
            >
              {g.extend.approval ? `Ask to extend by ${g.extend.by}` : `Extend by ${g.extend.by}`}
            </button>
          )}
          {g.extensionRequest && (
            <span class="muted" data-testid="extension-pending">
              Extension asked for: waiting for approval
            </span>
          )}
          {confirming ? (
            <>
              <span class="muted">Give this access back now?</span>
              <button
                type="button"
                class="danger"
                data-testid="release-confirm"
                disabled={busy}
                onClick={() => run(() => actions.releaseGrant(g.id))}
              >
                {busy ? "Releasing…" : "Yes, release"}
              </button>
              <button type="button" class="link" data-testid="release-cancel" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" class="link" data-testid="release-grant" disabled={busy} onClick={() => setConfirming(true)}>
              Release access…
            </button>
          )}
        </p>
      )}
    </li>
  );
}

/** An approver's question and the requester's answer box. */
function QuestionBox(props: { request: RequestView; answer(text: string): Promise<string | null> }) {
  const q = props.request.question;
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!q) return null;
  const send = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return setError("Write an answer first.");
    setBusy(true);
    setError(await props.answer(text.trim()));
    setBusy(false);
  };
  return (
    <form class="question" data-testid="question" onSubmit={send}>
      <p>
        <strong>{q.by.name}</strong> asks:
      </p>
      <blockquote data-testid="question-text">{q.text}</blockquote>
      <label>
        Your answer
        <textarea data-testid="answer" maxLength={2000} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </label>
      {error && (
        <p class="error" role="alert" data-testid="popup-error">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy} data-testid="send-answer">
        {busy ? "Sending…" : "Send answer"}
      </button>
    </form>
  );
}

/** My active grants (with time left) and my recent requests (with status, open questions, cancel). */
export function Popup(props: PopupActions) {
  const [session, setSession] = useState<SessionState | null>(null);
  const [requests, setRequests] = useState<RequestView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  const replace = (view: RequestView) => setRequests((list) => (list ?? []).map((r) => (r.id === view.id ? view : r)));
  const problem = (res: Result<unknown>) => (res.ok ? null : (res.problem.detail ?? res.problem.title));

  useEffect(() => {
    void (async () => {
      const s = await props.getSession();
      setSession(s);
      if (!s.user) return;
      const res = await props.listRequests();
      if (res.ok) setRequests(res.value);
      else setError(problem(res));
    })();
    const t = setInterval(() => setNow(Date.now()), 1000);
    const unwatch = props.onRequestsChanged?.((list) => setRequests(list));
    return () => {
      clearInterval(t);
      unwatch?.();
    };
  }, []);

  /** Runs a grant action; the view it returns replaces the request, a problem is shown. */
  const act = async (call: () => Promise<Result<RequestView>>): Promise<boolean> => {
    setError(null);
    const res = await call();
    if (res.ok) replace(res.value);
    else setError(problem(res));
    return res.ok;
  };

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

  const grants = (requests ?? []).filter((r) => listedAsActive(r, now));
  const label = (r: RequestView) => r.resource.name ?? r.resource.id ?? r.app;
  return (
    <main class="popup" data-testid="popup">
      <h1>Gatehouse</h1>
      <p class="muted">{session.user.email}</p>
      {error && (
        <p class="error" role="alert" data-testid="popup-error">
          {error}
        </p>
      )}
      <h2>Active access</h2>
      {grants.length === 0 ? (
        <p class="muted">None right now.</p>
      ) : (
        <ul class="list" data-testid="grants">
          {grants.map((r) => (
            <GrantItem key={r.id} request={r} now={now} label={label(r)} act={act} actions={props} />
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
            <li key={r.id} data-state={r.state} data-request={r.id} data-grant-state={r.grant?.state}>
              <strong>{label(r)}</strong>{" "}
              <span class="muted">
                {appLabel(r.app)} · {r.duration}
                {r.stepCount > 1 && OPEN.includes(r.state) ? ` · step ${r.step + 1} of ${r.stepCount}` : ""}
              </span>
              <span class={`pill ${pillClass(r, now)}`} data-testid="request-state">
                {(r.state === "approved" && grantLabel(r, now)) || (STATE_LABEL[r.state] ?? r.state)}
              </span>
              {r.grant?.scope === "app" && <span class="muted"> · whole app</span>}
              {r.decisionNote && !OPEN.includes(r.state) && <p class="muted note">“{r.decisionNote}”</p>}
              {r.state === "info_requested" && (
                <QuestionBox
                  request={r}
                  answer={async (text) => {
                    const res = await props.answerQuestion(r.id, text);
                    if (res.ok) replace(res.value);
                    return problem(res);
                  }}
                />
              )}
              {OPEN.includes(r.state) && (
                <button
                  type="button"
                  class="link"
                  data-testid="cancel-request"
                  onClick={async () => {
                    const res = await props.cancelRequest(r.id);
                    if (res.ok) replace(res.value);
                    else setError(problem(res));
                  }}
                >
                  Cancel request
                </button>
              )}
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
