/** The state groups live with the request machine; re-exported for the pages that name them here. */
export { ENDABLE, isIn, OPEN_FOR_APPROVERS, UNDECIDED } from "../core/request-lifecycle.ts";
