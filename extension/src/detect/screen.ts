import type { PageView } from "./page.ts";
import { STEMS } from "./stems.ts";

/**
 * The first look, in the always-loaded content script: can this page be a
 * denial at all? Every signal the detector counts carries one of these — a
 * stem of the vocabulary in any language (its phrases, its pending-request
 * and organisation-policy wording, the request-access control's label), a
 * not-found (apps that hide private resources behind 404) or an HTTP refusal.
 * A page with none of them in its title, headings, dialogs, image texts or
 * body text is not denied, and the detector is never loaded for it. The
 * reverse need not hold: most pages that pass are ordinary pages that say
 * "private" or "members" somewhere.
 */
const NOT_FOUND_OR_REFUSED = [
  "\\b40[134]\\b",
  "not found",
  "couldn.?t find",
  "can.?t be found",
  "could not be found",
  "cannot be found",
  "doesn.?t exist",
  "does not exist",
  "not the web page",
  "forbidden",
  "unauthori[sz]ed",
  "nicht gefunden",
  "introuvable",
  "encontr",
  "non trovat",
  "niet gevonden",
  "見つかりません",
  "找不到",
  "찾을 수 없",
  "verboten",
  "interdit",
  "prohibido",
  "proibido",
  "vietato",
  "verboden",
  "禁止",
];

export const SCREEN = new RegExp(
  [...Object.values(STEMS).flatMap((s) => Object.values(s).map((re: RegExp) => re.source)), ...NOT_FOUND_OR_REFUSED].join("|"),
  "i",
);

export function mayBeDenied(page: PageView): boolean {
  return SCREEN.test(page.body) || page.segments.some((s) => SCREEN.test(s.text)) || page.imageAlts.some((a) => SCREEN.test(a));
}
