import { blockOf, enclosure, type PageView, type Place, readText, type Segment } from "./page.ts";
import {
  ACCESS_CONTEXT,
  ARTICLE_SECTION,
  CONDITIONAL_AFTER,
  CONDITIONAL_BEFORE,
  DENIAL,
  EXCEPTION_BEFORE,
  EXCEPTION_TITLE,
  GLOSS_BEFORE,
  GONE,
  HELP_TITLE,
  HINTS,
  HTTP_DENIAL,
  LABEL_AFTER,
  LOGGED_AFTER,
  type Matcher,
  NOT_FOUND,
  OPEN_QUOTE,
  ORG_RESTRICTED,
  OTHERS_BEFORE,
  PAYWALL,
  PENDING,
  QUESTION_END,
  RATE_LIMIT,
  REPORTED_BEFORE,
  REPORTED_CJK_BEFORE,
  SERVER_ERROR,
  SHARE_DIALOG,
  SIGN_IN,
  STATUS,
  STATUS_LINE,
  SWITCH_ACCOUNT,
} from "./phrases.ts";

/**
 * Weighs the evidence that a page refuses its reader. Pure: takes what
 * page.ts read and returns a score in [0, 1] plus the segment that carried
 * the denial. Weights were set on the development fixtures and checked on a
 * separate corpus (docs/detection.md has the figures).
 */
export const THRESHOLD = 0.5;

/** How much a denial phrase counts, by where it appears. */
const PLACE_WEIGHT: Record<Place, number> = { title: 0.45, heading: 0.55, subheading: 0.45, lead: 0.45, overlay: 0.5, body: 0.25 };
const SHORT_PAGE = 1500;
const TINY_PAGE = 400;

export interface Context {
  /** Extra denial wording for this app. */
  appPhrases?: RegExp | undefined;
  /**
   * The app hides forbidden resources behind "not found", the URL names a
   * resource and someone is signed in. Asked only when the page says "not found".
   */
  notFoundMeansDenied?: () => boolean;
  /** The URL's path is a help centre's or documentation's. */
  helpPath?: boolean;
  /** The host is a help centre, documentation or Q&A site (no catalog app claims it). */
  helpHost?: boolean;
  /** The help path is an article's, not an app page's that happens to live under /docs/ (`…/docs/Employee.aspx`). */
  helpArticle?: boolean;
  /** Whether a "Request access" control is on the page (asked only when it can matter). */
  requestControl?: () => boolean;
}

/** What kind of refusal the page shows; each has its own panel wording. */
export type DenialKind = "access" | "pending" | "org-restricted";

export interface Verdict {
  score: number;
  kind: DenialKind;
  /** The segment holding the denial, and the phrase that matched in it. */
  best: { segment: Segment; phrase: Matcher } | null;
  reasons: string[];
}

/** Nothing before, or the end of a sentence, a label's colon, or an icon. */
const SENTENCE_START = /(?:^|[.!?:;。！？\n]|[^A-Za-z0-9\u00C0-\u024F\u3040-\u9FFF\uAC00-\uD7AF\s,'’"“(<>-])[^\S\n]*$/;

/** Is the text that follows `before` inside quotation marks? */
function quoted(before: string): boolean {
  const open = Math.max(before.lastIndexOf("“"), before.lastIndexOf("«"), before.lastIndexOf("「"), before.lastIndexOf("『"));
  const close = Math.max(before.lastIndexOf("”"), before.lastIndexOf("»"), before.lastIndexOf("」"), before.lastIndexOf("』"));
  if (open > close) return true;
  if ((before.match(/"/g)?.length ?? 0) % 2 === 1) return true;
  return OPEN_QUOTE.test(before.slice(-3));
}

/** The text before the sentence that holds a match: where "the following message is shown:" would be. */
function priorSentence(before: string): string {
  const start = before.search(/[^。！？.!?\n]*$/);
  return before.slice(Math.max(0, start - 40), start);
}

/** Is one occurrence, read in the whole text around it, being said rather than quoted or logged? */
function saidAt(text: string, index: number, match: string, place: Place): boolean {
  const before = text.slice(Math.max(0, index - 160), index);
  if (
    quoted(before) ||
    EXCEPTION_BEFORE.test(before) ||
    // In an alert the app speaks for itself: "SQL access control error: Insufficient privileges…" is not a quoted error.
    (place !== "overlay" && REPORTED_BEFORE.test(before.slice(-24))) ||
    REPORTED_CJK_BEFORE.test(priorSentence(before))
  )
    return false;
  // "If you open a file you don't have permission for…": a hypothetical, as help articles put it.
  if (CONDITIONAL_BEFORE.test(before) || GLOSS_BEFORE.test(before) || OTHERS_BEFORE.test(before)) return false;
  const rest = text.slice(index + match.length, index + match.length + 120);
  if (CONDITIONAL_AFTER.test(rest.slice(0, 80))) return false;
  // "Access denied events", "„Zugriff verweigert“-Ereignisse", "Permission denied: '/var/log'": a label or a log, not a refusal.
  const after = rest.slice(0, 40);
  if (LABEL_AFTER.test(after) || LOGGED_AFTER.test(after)) return false;
  // "Can't access your account?", "Don't have access?": a question, a link to help, not a refusal.
  const end = rest.search(/[.!?。！？\n]/);
  if (end >= 0 && (rest[end] === "?" || rest[end] === "？")) return false;
  // "Access denied" as a status: a statement in a title or heading, a mention mid-sentence elsewhere.
  const heading = place === "title" || place === "heading" || place === "subheading";
  return heading || !STATUS.test(match) || SENTENCE_START.test(before);
}

/** A match that is being said somewhere in the text, not (only) quoted or logged. */
function said(text: string, phrase: Matcher, place: Place): boolean {
  if (!phrase.test(text)) return false;
  if (place !== "body" && EXCEPTION_TITLE.test(text)) return false;
  // A heading that asks ("Why do I get 403 Access Denied?") is a question, a page about the error.
  if (place !== "body" && place !== "overlay" && place !== "lead" && QUESTION_END.test(text)) return false;
  // Every occurrence, each read in the whole text around it. (Not with a `g`
  // copy of the expression: that would compile the vocabulary a second time.)
  let offset = 0;
  for (let scanned = 0; scanned < 20 && offset < text.length; scanned++) {
    const m = phrase.exec(offset ? text.slice(offset) : text);
    if (!m) return false;
    const at = offset + m.index;
    if (saidAt(text, at, m[0], place)) return true;
    offset = at + Math.max(1, m[0].length);
  }
  return false;
}

export function weigh(page: PageView, ctx: Context = {}): Verdict {
  const reasons: string[] = [];
  let score = 0;
  /** Each signal with what it added or took away: `pnpm eval:detect` and the options page show them. */
  const add = (delta: number, why: string) => {
    score += delta;
    reasons.push(`${why} ${delta >= 0 ? "+" : "−"}${Math.abs(delta).toFixed(2)}`);
  };
  let best: Verdict["best"] = null;
  let bestWeight = 0;
  const places = new Set<Place>();
  const short = !page.long && page.body.length < SHORT_PAGE;

  let pendingSaid = false;
  let orgSaid = false;
  // "Request sent" alone is a support form's confirmation too; with access words around, it is this.
  let accessContext: boolean | undefined;
  const aboutAccess = () => (accessContext ??= ACCESS_CONTEXT.test(page.body) || page.segments.some((s) => ACCESS_CONTEXT.test(s.text)));
  const matchers: Matcher[] = [DENIAL, PENDING, ORG_RESTRICTED];
  if (ctx.appPhrases) matchers.push(ctx.appPhrases);
  for (const segment of page.segments) {
    // A dashboard tile's label over its figure counts denials; it does not deny.
    if (segment.metric || !HINTS.test(segment.text)) continue;
    for (const phrase of matchers) {
      if (!said(segment.text, phrase, segment.place)) continue;
      if (phrase === PENDING) {
        if (!aboutAccess()) continue;
        pendingSaid = true;
      } else if (phrase === ORG_RESTRICTED) orgSaid = true;
      let w = PLACE_WEIGHT[segment.place];
      // On a page with hardly any text besides the app's chrome, the sentence is the message.
      if (segment.place === "body" && short) w += page.body.length < TINY_PAGE ? 0.25 : 0.1;
      places.add(segment.place);
      if (w > bestWeight) {
        bestWeight = w;
        best = { segment, phrase };
      }
    }
  }
  // An alert or the block under a heading that is nothing but "403 Forbidden" is a refusal too.
  if (!best) {
    const line = page.segments.find((s) => (s.place === "overlay" || s.place === "lead") && STATUS_LINE.test(s.text));
    if (line) {
      bestWeight = PLACE_WEIGHT[line.place];
      best = { segment: line, phrase: STATUS_LINE };
      places.add(line.place);
    }
  }
  // The block of the occurrence that counted (not a quoted one before it): where on the page it is said.
  let block: Element | null = null;
  if (best?.segment.el && best.segment.place !== "title") {
    const { phrase, segment } = best;
    block = blockOf(segment.el as Element, { test: (t) => said(t, phrase, segment.place) });
  }
  // The body repeats every heading: a denial found there only as a dashboard tile's label is no denial.
  if (best?.segment.place === "body" && block) {
    const found = block;
    if (page.segments.some((s) => s.metric && s.el && (s.el === found || s.el.contains(found)))) {
      best = null;
      bestWeight = 0;
    }
  }
  if (best) {
    add(
      bestWeight,
      `${best.phrase === PENDING ? "pending request" : best.phrase === ORG_RESTRICTED ? "organisation restriction" : "denial"} in ${best.segment.place}`,
    );
    // Said twice, in different places (title and heading, heading and body), it is meant.
    if (places.size > 1) {
      add(0.15, "repeated");
    }
    // Where it is said: a row of a table, an item of a list or a paragraph of an article reports a denial.
    const { segment } = best;
    const el = segment.el;
    const around = block ? enclosure(block) : null;
    if (around) add(-Math.round(bestWeight * 70) / 100, around === "list" ? "said in a list or table" : "said in an article");
    // In the body, a block that holds little but the denial is a panel of its own: a console blade, a chart's empty state.
    else if (block && segment.place === "body" && block !== el && !block.closest("table") && readText(block, 400, 120).text.length <= 320)
      add(0.15, "a panel of its own");
    // A sharing dialog ("General access: Restricted — only people with access can open") says who may open; it refuses nobody.
    if (segment.place === "overlay" && (segment.text.match(SHARE_DIALOG)?.length ?? 0) >= 2) add(-bestWeight, "a sharing dialog");
  }

  const prominent = page.segments.filter((s) => s.place !== "body");
  const inProminent = (re: RegExp) => prominent.some((s) => re.test(s.text));

  if ((inProminent(NOT_FOUND) || page.imageAlts.some((a) => NOT_FOUND.test(a))) && ctx.notFoundMeansDenied?.()) {
    add(0.6, "not found on a private-by-default resource");
    if (!best) {
      const seg = prominent.find((s) => NOT_FOUND.test(s.text)) ?? page.segments[0];
      if (seg) best = { segment: seg, phrase: NOT_FOUND };
    }
  }

  if (prominent.some((s) => s.place !== "overlay" && HTTP_DENIAL.test(s.text))) {
    add(best ? 0.15 : 0.3, "HTTP 401/403 wording");
  }
  const control = (best !== null || score > 0 || short) && ctx.requestControl?.() === true;
  if (control && (best || score > 0)) {
    add(0.2, "request-access control");
  } else if (control) {
    add(0.15, "request-access control on a short page");
  }
  if (score > 0 && short) {
    add(0.05, "short page");
  }

  // Nothing points to a denial: no need to ask what else the page might be.
  const kind: DenialKind = pendingSaid ? "pending" : orgSaid ? "org-restricted" : "access";
  if (score === 0) return { score, kind, best, reasons };

  // Pages that look like a denial but are something else.
  if (page.passwordField) {
    add(-0.5, "password field");
  }
  const headline = prominent.filter((s) => s.place === "title" || s.place === "heading" || s.place === "overlay");
  const unlessDenial = (re: RegExp) => headline.some((s) => re.test(s.text) && !DENIAL.test(s.text));
  // Sign-in wording, unless the page's main heading or a dialog itself refuses (Entra's "You can't get there from here" sits on a sign-in page).
  const refusedUp =
    best !== null && (best.segment.place === "heading" || best.segment.place === "overlay") && !SIGN_IN.test(best.segment.text);
  const signInHeadline =
    !refusedUp &&
    page.segments.some(
      (s) => (s.place === "title" || s.place === "heading") && SIGN_IN.test(s.text) && !DENIAL.test(s.text) && !SWITCH_ACCOUNT.test(s.text),
    );
  if (signInHeadline) {
    add(-0.4, "sign-in wording");
  }
  if (unlessDenial(RATE_LIMIT)) {
    add(-0.6, "rate limit");
  }
  if (unlessDenial(SERVER_ERROR) && !inProminent(HTTP_DENIAL)) {
    add(-0.5, "server error");
  }
  if (unlessDenial(PAYWALL)) {
    add(-0.5, "plan limit");
  }
  if (unlessDenial(GONE)) {
    add(-0.4, "deleted or expired");
  }
  // "Not found — it may not exist, or you may not have access": a page that admits the permission possibility is a denial.
  if (unlessDenial(NOT_FOUND) && !ctx.notFoundMeansDenied?.() && !(best && best.phrase !== NOT_FOUND && best.phrase !== STATUS_LINE)) {
    add(-0.3, "not found");
  }
  // The page's own title or main heading, not any heading: error pages carry "Troubleshooting details" too.
  const mainHeading = page.segments.find((s) => s.place === "heading");
  if (page.segments.some((s) => (s.place === "title" || s === mainHeading) && HELP_TITLE.test(s.text))) {
    add(-0.35, "help or docs page");
  } else if (ctx.helpPath || ctx.helpHost) {
    // A path alone proves less on a short page: apps live under /docs/ too (Exact Online).
    // A help centre's host and path together: it describes denials (−0.5).
    add(ctx.helpPath && ctx.helpHost ? -0.5 : short && !ctx.helpArticle ? -0.15 : -0.35, "help or docs address");
  }
  if (page.long) {
    add(-0.2, "long page");
  }
  // A troubleshooting article: "Cause", "Resolution" as headings.
  const sections = page.segments.filter((s) => (s.place === "heading" || s.place === "subheading") && ARTICLE_SECTION.test(s.text)).length;
  if (sections >= 2) add(-0.3, `troubleshooting article (${sections} sections)`);
  // Long-form text (docs, Q&A, READMEs) and tiles of figures (monitoring, BI) talk about denials.
  if (page.shape.prose >= 6) add(-0.25, `long-form text (${page.shape.prose} paragraphs)`);
  if (page.shape.metrics >= 2) add(-0.35, `dashboard tiles (${page.shape.metrics})`);
  return { score: Math.max(0, Math.min(1, score)), kind, best, reasons };
}
