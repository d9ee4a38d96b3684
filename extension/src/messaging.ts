import type { CreateRequestBody, PreviewBody, PreviewResponse, Problem, RequestView, UserSummary } from "@gatehouse/shared";
import { defineExtensionMessaging } from "@webext-core/messaging";

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
  /** background → the tab a request was made from */
  requestUpdate(data: { request: RequestView; kind: string }): void;
}

export const { sendMessage, onMessage } = defineExtensionMessaging<ProtocolMap>();
