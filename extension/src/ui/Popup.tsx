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

const OPEN = ["pending", "info_requested", "escalated", "error"];

export interface PopupActions {
  getSession(): Promise<SessionState>;
  listRequests(): Promise<Result<RequestView[]>>;
  answerQuestion(requestId: string, answer: string): Promise<Result<RequestView>>;
  cancelRequest(requestId: string): Promise<Result<RequestView>>;
  openOptions(): void;
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
      {error && <p class="error">{error}</p>}
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
            <li key={r.id} data-state={r.state} data-request={r.id}>
              <strong>{label(r)}</strong>{" "}
              <span class="muted">
                {appLabel(r.app)} · {r.duration}
                {r.stepCount > 1 && OPEN.includes(r.state) ? ` · step ${r.step + 1} of ${r.stepCount}` : ""}
              </span>
              <span class={`pill ${r.state}`}>
                {r.grant && !activeGrant(r, now) && r.state === "approved" ? "Ended" : (STATE_LABEL[r.state] ?? r.state)}
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
