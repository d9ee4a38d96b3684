import type { CreateRequestBody, Detection, PreviewBody, PreviewResponse, RequestView } from "@gatehouse/shared";
import { useEffect, useState } from "preact/hooks";
import type { Result, SessionState } from "../messaging.ts";
import { appLabel, formatUntil } from "./format.ts";
import {
  ago,
  countdown,
  endedSentence,
  endsSoon,
  failedSentence,
  formatDateTime,
  type GrantStep,
  grantStep,
  type ResourceQuery,
} from "./grant-status.ts";

/** What the panel may ask of its host (the content script); the panel calls no extension API itself. */
export interface PanelApi {
  getSession(): Promise<SessionState>;
  preview(body: PreviewBody): Promise<Result<PreviewResponse>>;
  submit(body: CreateRequestBody): Promise<Result<RequestView>>;
  /** The live (or recently ended) grant for this page's resource, if any. */
  grantStatus(q: ResourceQuery): Promise<RequestView | null>;
  startGrant(grantId: string): Promise<Result<RequestView>>;
  extendGrant(grantId: string, by?: string): Promise<Result<RequestView>>;
  openOptions(): Promise<void>;
  reload(): void;
  onUpdate(fn: (u: { request: RequestView; kind: string }) => void): () => void;
}

type View =
  | { step: "prompt" }
  | { step: "signed-out" }
  | { step: "loading" }
  | { step: "form"; preview: PreviewResponse }
  | { step: "sent"; request: RequestView; approvers: string[]; note?: string }
  | { step: "closed"; request: RequestView; message: string }
  /** Access now. `warned`: the relay said it ends soon; `fromStatus`: found on showing (the page is denied still), not pushed. */
  | { step: "approved"; request: RequestView; warned?: boolean; fromStatus?: boolean }
  | { step: Exclude<GrantStep, "approved">; request: RequestView }
  | { step: "rejected"; request: RequestView }
  | { step: "error"; message: string };

/** The notices about a request's grant; each moves the panel to the step its grant is in now. */
const GRANT_KINDS = new Set([
  "request.approved",
  "grant.started",
  "grant.failed",
  "grant.expiring",
  "grant.extended",
  "grant.ending",
  "grant.ended",
]);

/** The panel step for a request's grant as it is now (null: it has none). */
function grantView(request: RequestView, flags: { warned?: boolean; fromStatus?: boolean } = {}): View | null {
  const step = grantStep(request.grant, Date.now());
  if (!step) return null;
  if (step === "approved") return { step, request, warned: flags.warned ?? false, fromStatus: flags.fromStatus ?? false };
  return { step, request };
}

/**
 * The in-page panel: a compact prompt first; the form (and the relay preview
 * it needs) only when the employee asks for it.
 */
export function Panel(props: { detection: Detection; api: PanelApi; onClose(): void }) {
  const { detection, api } = props;
  const [view, setView] = useState<View>({ step: "prompt" });
  const [duration, setDuration] = useState("");
  const [reason, setReason] = useState("");
  const [ticket, setTicket] = useState("");
  /** A later start, as the datetime-local input has it (local time); empty: at approval. */
  const [startAt, setStartAt] = useState("");
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const resourceLabel = detection.resource.name ?? detection.resource.id ?? new URL(detection.resource.url).hostname;
  const body: PreviewBody = {
    app: detection.app,
    resource: { id: detection.resource.id, name: detection.resource.name, url: detection.resource.url },
  };

  useEffect(
    () =>
      api.onUpdate(({ request, kind }) => {
        setView((current) => {
          if (!("request" in current) || current.request.id !== request.id) return current;
          if (kind === "request.rejected") return { step: "rejected", request };
          if (current.step === "rejected") return current;
          if (GRANT_KINDS.has(kind)) {
            if (kind === "grant.ended") return { step: "ended", request };
            const was = current.step === "approved" ? current : null;
            // The app confirmed the access: reload to continue (whatever the local clock says).
            if (kind === "grant.started" && request.grant?.state === "active")
              return { step: "approved", request, warned: false, fromStatus: false };
            return (
              grantView(request, {
                warned: kind === "grant.expiring" || (kind !== "grant.extended" && !!was?.warned),
                fromStatus: !!was?.fromStatus,
              }) ?? current
            );
          }
          if (current.step !== "sent") return current;
          // Progress on the way: the panel says what happened; answering a question happens in the popup.
          if (kind === "request.advanced")
            return { ...current, request, note: `Step ${request.step} of ${request.stepCount} approved; the next approvers have it now.` };
          if (kind === "request.escalated") return { ...current, request, note: "An approver passed your request to someone else." };
          if (kind === "request.info_requested")
            return {
              ...current,
              request,
              note: `${request.question?.by.name ?? "An approver"} asks: “${request.question?.text ?? ""}” Answer it from the Gatehouse button in the toolbar.`,
            };
          if (kind === "request.expired") return { step: "closed", request, message: "Nobody decided your request in time." };
          if (kind === "request.cancelled") return { step: "closed", request, message: "Your request was cancelled." };
          if (kind === "request.error")
            return { step: "closed", request, message: "Your request can no longer be approved as it was; an admin will handle it." };
          return current;
        });
      }),
    [api],
  );

  // On showing: access that is live (or ended today) for this resource is shown instead of the bare prompt.
  useEffect(() => {
    let gone = false;
    api
      .grantStatus({ app: detection.app, resourceId: detection.resource.id, url: detection.resource.url })
      .then((request) => {
        if (gone || !request) return;
        setView((current) => (current.step === "prompt" ? (grantView(request, { fromStatus: true }) ?? current) : current));
      })
      .catch(() => {});
    return () => {
      gone = true;
    };
  }, [api]);

  // A live countdown while access runs.
  const ticking = view.step === "approved" && !!view.request.grant?.endsAt;
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);

  async function grantCall(call: () => Promise<Result<RequestView>>) {
    setBusy(true);
    setActionError(null);
    const res = await call();
    setBusy(false);
    if (!res.ok) return setActionError(res.problem.detail ?? res.problem.title);
    setView((current) => grantView(res.value, { fromStatus: current.step === "approved" && !!current.fromStatus }) ?? current);
  }

  async function open() {
    setActionError(null);
    setView({ step: "loading" });
    const session = await api.getSession();
    if (!session.user) return setView({ step: "signed-out" });
    const res = await api.preview(body);
    if (!res.ok) return setView({ step: "error", message: res.problem.detail ?? res.problem.title });
    setDuration(res.value.defaultDuration);
    setView({ step: "form", preview: res.value });
  }

  async function submit(preview: PreviewResponse) {
    if (preview.requireReason && !reason.trim()) return setFieldError("Please say why you need access.");
    if (preview.ticketPattern && !new RegExp(preview.ticketPattern).test(ticket.trim()))
      return setFieldError("Please give the ticket this access is for.");
    const start = startAt ? new Date(startAt) : null;
    if (start && !(start.getTime() > Date.now())) return setFieldError("Please choose a start in the future, or leave it empty.");
    setBusy(true);
    setFieldError(null);
    const res = await api.submit({
      ...body,
      message: detection.message,
      duration,
      reason: reason.trim(),
      ticket: ticket.trim(),
      ...(start ? { startAt: start.toISOString() } : {}),
    });
    setBusy(false);
    if (!res.ok) return setFieldError(res.problem.detail ?? res.problem.title);
    // Approved at once (by policy): the grant may still be set up, scheduled or wait to be started.
    if (res.value.state === "approved") return setView(grantView(res.value) ?? { step: "approved", request: res.value });
    setView({ step: "sent", request: res.value, approvers: preview.approvers.map((a) => a.name) });
  }

  // Detections from an older content script carry no kind.
  const kind = detection.kind ?? "access";
  return (
    <section class="gh-panel" aria-label="Gatehouse: request access" data-testid="gatehouse-panel" data-step={view.step}>
      <header class="gh-head">
        <span class="gh-brand">Gatehouse</span>
        <button type="button" class="gh-close" aria-label="Dismiss" onClick={props.onClose}>
          ×
        </button>
      </header>
      <p class="gh-what" data-testid="gh-what" data-kind={kind}>
        {kind === "pending" ? "Your request for " : kind === "org-restricted" ? "Your organisation restricts " : "No access to "}
        <strong data-testid="gh-resource">{resourceLabel}</strong>
        {detection.resource.name && detection.resource.id && detection.resource.name !== detection.resource.id && (
          <span class="gh-muted" data-testid="gh-resource-id">
            {" "}
            ({detection.resource.id})
          </span>
        )}
        {detection.app === "generic" && !detection.appName ? (
          ""
        ) : (
          <>
            {" "}
            in <span data-testid="gh-app">{detection.appName ?? appLabel(detection.app)}</span>
          </>
        )}
        {kind === "pending" ? " is still pending in the app." : "."}
      </p>
      {kind !== "access" && view.step === "prompt" && (
        <p class="gh-muted" data-testid="gh-kind-hint">
          {kind === "pending"
            ? "Ask through Gatehouse to reach an approver now, with a time limit."
            : "Ask through Gatehouse for an approved exception, with a time limit."}
        </p>
      )}
      {detection.message && (
        <blockquote class="gh-message" data-testid="gh-message">
          {detection.message}
        </blockquote>
      )}

      {view.step === "prompt" && (
        <button type="button" class="gh-primary" data-testid="gh-open" onClick={(e) => e.isTrusted && open()}>
          Request access
        </button>
      )}
      {view.step === "loading" && <p class="gh-muted">Checking the access flow…</p>}
      {view.step === "signed-out" && (
        <div>
          <p>Sign in to Gatehouse to request access.</p>
          <button type="button" class="gh-primary" onClick={() => api.openOptions()}>
            Open Gatehouse settings
          </button>
        </div>
      )}
      {view.step === "error" && (
        <p class="gh-error" role="alert">
          {view.message}
        </p>
      )}
      {view.step === "form" && (
        <form class="gh-form" onSubmit={(e) => e.preventDefault()}>
          <p class="gh-muted" data-testid="gh-approvers">
            {view.preview.approval === "auto"
              ? "Granted automatically by policy."
              : `Approver: ${view.preview.approvers.map((a) => a.name).join(", ") || "admins"}`}{" "}
            · {view.preview.flow.name}
          </p>
          <label>
            Duration
            <select value={duration} data-testid="gh-duration" onChange={(e) => setDuration((e.target as HTMLSelectElement).value)}>
              {view.preview.durations.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <label>
            Reason{view.preview.requireReason ? " (required)" : " (optional)"}
            <textarea
              value={reason}
              maxLength={2000}
              data-testid="gh-reason"
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          {view.preview.activation !== "on_start" && (
            <label>
              Start (optional; empty: as soon as it is approved)
              <input
                type="datetime-local"
                value={startAt}
                data-testid="gh-start-at"
                onInput={(e) => setStartAt((e.target as HTMLInputElement).value)}
              />
            </label>
          )}
          {view.preview.ticketPattern && (
            <label>
              Ticket (required)
              <input
                type="text"
                value={ticket}
                maxLength={100}
                data-testid="gh-ticket"
                placeholder="OPS-1234"
                onInput={(e) => setTicket((e.target as HTMLInputElement).value)}
              />
            </label>
          )}
          {fieldError && (
            <p class="gh-error" role="alert">
              {fieldError}
            </p>
          )}
          {/* Only a person sends a request: clicks made by scripts are not trusted and do nothing. */}
          <button
            type="button"
            class="gh-primary"
            data-testid="gh-submit"
            disabled={busy}
            onClick={(e) => e.isTrusted && submit(view.preview)}
          >
            {busy ? "Sending…" : "Send request"}
          </button>
        </form>
      )}
      {view.step === "sent" && (
        <div class="gh-status" data-testid="gh-status">
          <p>Request sent{view.approvers.length ? ` to ${view.approvers.join(", ")}` : ""}. You will be told here when it is decided.</p>
          {view.note && <p data-testid="gh-progress">{view.note}</p>}
        </div>
      )}
      {view.step === "closed" && (
        <p class="gh-status gh-bad" data-testid="gh-status">
          {view.message}
        </p>
      )}
      {view.step === "approved" && (
        <Approved
          view={view}
          now={now}
          busy={busy}
          error={actionError}
          reload={() => api.reload()}
          extend={(grantId, by) => grantCall(() => api.extendGrant(grantId, by))}
        />
      )}
      {view.step === "provisioning" && (
        <p class="gh-status" data-testid="gh-status">
          Approved. Setting up your access{view.request.grant?.target ? ` (${view.request.grant.target})` : ""}…
        </p>
      )}
      {view.step === "awaiting_start" && (
        <div class="gh-status" data-testid="gh-status">
          <p>
            Approved. Start it when you need it; it lasts{" "}
            {view.request.grant?.duration === "indefinite" ? "until revoked" : (view.request.grant?.duration ?? view.request.duration)} from
            then.
            {view.request.grant?.startBy && ` Start by ${formatDateTime(view.request.grant.startBy, now)}.`}
          </p>
          {actionError && (
            <p class="gh-error" role="alert">
              {actionError}
            </p>
          )}
          <button
            type="button"
            class="gh-primary"
            data-testid="gh-start"
            disabled={busy}
            onClick={(e) => {
              const grantId = view.request.grant?.id;
              if (e.isTrusted && grantId) void grantCall(() => api.startGrant(grantId));
            }}
          >
            {busy ? "Starting…" : "Start access now"}
          </button>
        </div>
      )}
      {view.step === "scheduled" && (
        <p class="gh-status" data-testid="gh-status">
          Approved; starts at {view.request.grant ? formatDateTime(view.request.grant.startsAt, now) : "a set time"}.
        </p>
      )}
      {view.step === "ending" && (
        <p class="gh-status" data-testid="gh-status">
          Your access is being removed.
        </p>
      )}
      {view.step === "failed" && (
        <p class="gh-status gh-bad" data-testid="gh-status">
          {failedSentence(view.request.grant?.failedAction ?? null)}
        </p>
      )}
      {view.step === "rejected" && (
        <p class="gh-status gh-bad" data-testid="gh-status">
          Your request was rejected.{view.request.decisionNote ? ` “${view.request.decisionNote}”` : ""}
        </p>
      )}
      {view.step === "ended" && (
        <div class="gh-status" data-testid="gh-status">
          <p>{endedSentence(view.request.grant?.endReason ?? null)}</p>
          <button type="button" class="gh-secondary" data-testid="gh-request-again" onClick={(e) => e.isTrusted && open()}>
            Request access again
          </button>
        </div>
      )}
    </section>
  );
}

/** Access now: until when, a live countdown, extend, and reload. */
function Approved(props: {
  view: Extract<View, { step: "approved" }>;
  now: number;
  busy: boolean;
  error: string | null;
  reload(): void;
  extend(grantId: string, by: string): void;
}) {
  const { view, now } = props;
  const grant = view.request.grant;
  const endsAt = grant?.endsAt ?? null;
  const soon = !!endsAt && (endsSoon(endsAt, now) || !!view.warned);
  return (
    <div class={`gh-status gh-ok${soon ? " gh-soon" : ""}`} data-testid="gh-status" data-soon={soon ? "true" : "false"}>
      <p>
        Access granted {formatUntil(endsAt)}.
        {endsAt && (
          <>
            {" "}
            <span class="gh-countdown" data-testid="gh-countdown">
              {countdown(endsAt, now)}
            </span>
          </>
        )}
      </p>
      {view.fromStatus && grant && (
        <p class="gh-muted" data-testid="gh-still-denied">
          Access was granted {ago(grant.startsAt, now)}; the app may need a minute. Reload to check.
        </p>
      )}
      {props.error && (
        <p class="gh-error" role="alert">
          {props.error}
        </p>
      )}
      <div class="gh-actions">
        <button type="button" class="gh-primary" data-testid="gh-reload" onClick={() => props.reload()}>
          Reload to continue
        </button>
        {grant?.extend && (
          <button
            type="button"
            class="gh-secondary"
            data-testid="gh-extend"
            disabled={props.busy}
            onClick={(e) => {
              if (e.isTrusted && grant.extend) props.extend(grant.id, grant.extend.by);
            }}
          >
            {props.busy ? "Extending…" : grant.extend.approval ? `Ask to extend by ${grant.extend.by}` : `Extend by ${grant.extend.by}`}
          </button>
        )}
      </div>
      {grant?.extensionRequest && (
        <p class="gh-muted" data-testid="gh-extension-pending">
          You asked to extend this access; the approvers have been asked.
        </p>
      )}
    </div>
  );
}
