import type { CreateRequestBody, Detection, PreviewBody, PreviewResponse, RequestView } from "@gatehouse/shared";
import { useEffect, useState } from "preact/hooks";
import type { Result, SessionState } from "../messaging.ts";
import { appLabel, formatUntil } from "./format.ts";

/** What the panel may ask of its host (the content script); the panel calls no extension API itself. */
export interface PanelApi {
  getSession(): Promise<SessionState>;
  preview(body: PreviewBody): Promise<Result<PreviewResponse>>;
  submit(body: CreateRequestBody): Promise<Result<RequestView>>;
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
  | { step: "approved"; request: RequestView }
  | { step: "rejected"; request: RequestView }
  | { step: "ended"; request: RequestView }
  | { step: "error"; message: string };

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
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const resourceLabel = detection.resource.name ?? detection.resource.id ?? new URL(detection.resource.url).hostname;
  const body: PreviewBody = {
    app: detection.app,
    resource: { id: detection.resource.id, name: detection.resource.name, url: detection.resource.url },
  };

  useEffect(
    () =>
      api.onUpdate(({ request, kind }) => {
        setView((current) => {
          if (current.step !== "sent" && current.step !== "approved") return current;
          if (current.request.id !== request.id) return current;
          if (kind === "grant.started") return { step: "approved", request };
          if (kind === "request.rejected") return { step: "rejected", request };
          if (kind === "grant.ended") return { step: "ended", request };
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

  async function open() {
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
    setBusy(true);
    setFieldError(null);
    const res = await api.submit({ ...body, message: detection.message, duration, reason: reason.trim(), ticket: ticket.trim() });
    setBusy(false);
    if (!res.ok) return setFieldError(res.problem.detail ?? res.problem.title);
    if (res.value.state === "approved") return setView({ step: "approved", request: res.value });
    setView({ step: "sent", request: res.value, approvers: preview.approvers.map((a) => a.name) });
  }

  return (
    <section class="gh-panel" aria-label="Gatehouse: request access" data-testid="gatehouse-panel" data-step={view.step}>
      <header class="gh-head">
        <span class="gh-brand">Gatehouse</span>
        <button type="button" class="gh-close" aria-label="Dismiss" onClick={props.onClose}>
          ×
        </button>
      </header>
      <p class="gh-what">
        No access to <strong data-testid="gh-resource">{resourceLabel}</strong>
        {detection.resource.name && detection.resource.id && detection.resource.name !== detection.resource.id && (
          <span class="gh-muted" data-testid="gh-resource-id">
            {" "}
            ({detection.resource.id})
          </span>
        )}
        {detection.app === "generic" && !detection.appName ? (
          "."
        ) : (
          <>
            {" "}
            in <span data-testid="gh-app">{detection.appName ?? appLabel(detection.app)}</span>.
          </>
        )}
      </p>
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
        <div class="gh-status gh-ok" data-testid="gh-status">
          <p>Access granted {formatUntil(view.request.grant?.endsAt ?? null)}.</p>
          <button type="button" class="gh-primary" data-testid="gh-reload" onClick={() => api.reload()}>
            Reload to continue
          </button>
        </div>
      )}
      {view.step === "rejected" && (
        <p class="gh-status gh-bad" data-testid="gh-status">
          Your request was rejected.{view.request.decisionNote ? ` “${view.request.decisionNote}”` : ""}
        </p>
      )}
      {view.step === "ended" && (
        <p class="gh-status" data-testid="gh-status">
          Your access has ended.
        </p>
      )}
    </section>
  );
}
