import type { RequestState } from "@gatehouse/shared";

/**
 * Groups of request states, named once: the places that act on requests
 * must agree on which ones are still open.
 */

/** Waiting for approvers: their links decide, reminders go to them. */
export const OPEN_FOR_APPROVERS: readonly RequestState[] = ["pending", "escalated"];

/** Not decided yet: deadlines apply, the directory check looks at them. */
export const UNDECIDED: readonly RequestState[] = ["pending", "info_requested", "escalated"];

/** Still to be ended by someone: undecided, or stuck in `error` (the requester cancels; an admin denies or cancels). */
export const ENDABLE: readonly RequestState[] = [...UNDECIDED, "error"];

export const isIn = (states: readonly RequestState[], state: RequestState) => states.includes(state);
