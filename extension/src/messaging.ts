import type { CreateRequestBody, Detection, PreviewBody, PreviewResponse, Problem, RequestView, UserSummary } from "@gatehouse/shared";
import { defineExtensionMessaging } from "@webext-core/messaging";
import type { Explanation } from "./detect/index.ts";
import type { ResourceQuery } from "./ui/grant-status.ts";

/** What a relay call gives back to the UI: a value, or a problem to show. */
export type Result<T> = { ok: true; value: T } | { ok: false; problem: Pick<Problem, "code" | "title"> & { detail?: string | undefined } };

export interface SessionState {
  relayUrl: string;
  user: UserSummary | null;
  /** Set while a sign-in waits for the emailed link to be confirmed. */
  pendingSignIn: { email: string; userCode: string; expiresAt: number } | null;
  lastError: string | null;
  /** The admin's detection rules in use, and the ones left out with the reason. */
  detectionRules: { active: number; problems: { app: string; message: string }[] } | null;
}

/**
 * The one typed protocol between content script, popup, options and the
 * background. Only the background talks to the relay and holds the token.
 */
interface ProtocolMap {
  getSession(): SessionState;
  startSignIn(data: { relayUrl: string; email: string }): Result<{ userCode: string }>;
  signOut(): void;
  openOptions(): void;
  preview(data: PreviewBody): Result<PreviewResponse>;
  submitRequest(data: CreateRequestBody): Result<RequestView>;
  listRequests(): Result<RequestView[]>;
  /** The requester answers an approver's question. */
  answerQuestion(data: { requestId: string; answer: string }): Result<RequestView>;
  /** The requester withdraws a request nobody has decided yet. */
  cancelRequest(data: { requestId: string }): Result<RequestView>;
  /**
   * The panel, on showing: the request whose grant is live (or ended in the
   * last day) for this page's resource, or null. Remembers the tab, so the
   * grant's updates reach this panel.
   */
  grantStatus(data: ResourceQuery): RequestView | null;
  /** Starts access that waits for the requester (grant `awaiting_start`). */
  startGrant(data: { grantId: string }): Result<RequestView>;
  /** Extends active access (by the flow's length, or a shorter `by`). */
  extendGrant(data: { grantId: string; by?: string }): Result<RequestView>;
  /** Gives access back early. */
  releaseGrant(data: { grantId: string }): Result<RequestView>;
  /** background → the tabs that show a request */
  requestUpdate(data: { request: RequestView; kind: string }): void;
  /** background → a tab's panel: the page's address (to focus a tab that shows a resource already). */
  panelLocation(): string;
  /** a frame's content script → background: the frame shows (or no longer shows) a denial. */
  frameDetection(data: { detection: Detection | null }): void;
  /** background → the tab's top frame: one of its frames' verdicts, for the one panel. */
  showFrameDetection(data: { frameId: number; detection: Detection | null }): void;
  /** options page → a tab's top frame: the detector's account of the page, signal by signal. */
  explainPage(): PageExplanation;
}

/** What a tab's content script says about its page for the options page's debug view. */
export interface PageExplanation {
  url: string;
  title: string;
  explanation: Explanation;
}

export const { sendMessage, onMessage } = defineExtensionMessaging<ProtocolMap>();
