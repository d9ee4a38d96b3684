import { formatPath } from "../../../config/load.ts";
import type { ConfigIssue } from "../../../config/schema.ts";
import type { FieldErrors } from "../fields.ts";

/**
 * Sorts the policy check's problems onto a form: those under `focus` (the
 * edited flow, person, group…) go beside the field `fieldOf` names, the
 * rest (a reference elsewhere that the edit broke) on top, with their path.
 */
export function issuesToFields(
  issues: ConfigIssue[],
  focus: (string | number)[],
  fieldOf: (rest: (string | number)[]) => string,
): FieldErrors {
  const out: FieldErrors = new Map();
  const add = (field: string, message: string) => out.set(field, [...(out.get(field) ?? []), message]);
  for (const issue of issues) {
    const under = focus.length > 0 && focus.every((p, i) => issue.path[i] === p);
    if (!under) {
      add("", issue.path.length ? `${formatPath(issue.path)}: ${issue.message}` : issue.message);
      continue;
    }
    const rest = issue.path.slice(focus.length);
    const field = fieldOf(rest);
    // An entry of a list field (an approver, a duration) is named as in the file: approvers[1].
    const last = rest.length - 1;
    add(field, typeof rest[last] === "number" && last > 0 ? `${formatPath(rest.slice(last - 1))}: ${issue.message}` : issue.message);
  }
  return out;
}
