import type { Matcher } from "./phrases.ts";
/**
 * Reads what a denial detector needs from a page, cheaply and with a bound:
 * the title, the headings, whatever sits in a dialog or alert, and up to a
 * few thousand characters of body text. The cost does not grow with the
 * page: a 2 MB document costs about what a 20 KB one does.
 */

export type Place = "title" | "heading" | "subheading" | "lead" | "overlay" | "body";

export interface Segment {
  place: Place;
  text: string;
  /** The element the text came from (null for the title). */
  el: Element | null;
  /** A heading over a number: a dashboard tile's label ("Access denied · 387"), not a statement. */
  metric?: boolean;
}

/** How the page is built, beyond its words: prose, tiles of figures. */
export interface Shape {
  /** Paragraphs of running text (80 characters or more), up to 50: articles, docs, Q&A. */
  prose: number;
  /** Headings whose next block is a bare figure: dashboard tiles. */
  metrics: number;
}

export interface PageView {
  segments: Segment[];
  /** Body text (bounded), used for "short page" and for admin text signals. */
  body: string;
  /** The body had more text than the bound. */
  long: boolean;
  /** A visible password field: a sign-in form, not a denial. */
  passwordField: boolean;
  /** `alt` texts of images (GitHub draws its 404 as an image). */
  imageAlts: string[];
  /** Buttons and links, for a "Request access" control (read only when it can matter). */
  controls: Element[];
  shape: Shape;
}

const BODY_CHARS = 5000;
const BODY_NODES = 2000;
const SKIP = new Set([
  "SCRIPT",
  "STYLE",
  "NOSCRIPT",
  "TEMPLATE",
  "SVG",
  "svg",
  "PRE",
  "CODE",
  "TEXTAREA",
  "NAV",
  "FOOTER",
  "ASIDE",
  "SELECT",
  "OPTION",
  "IFRAME",
  "CANVAS",
  "BLOCKQUOTE",
  "Q",
]);

export function squash(text: string | null | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

/** Hidden by markup (cheap checks), or by style where the browser can tell us. */
export function hidden(el: Element): boolean {
  if (el.closest('[hidden], [aria-hidden="true"], template')) return true;
  const check = (el as Element & { checkVisibility?: (o?: object) => boolean }).checkVisibility;
  return typeof check === "function" ? !check.call(el, { visibilityProperty: true, opacityProperty: false }) : false;
}

/** Elements styled as code or logs: the page quoting output, not speaking. */
const CODE_CLASS = /(?:^|[\s_-])(?:code|highlight|hljs|terminal|console|log-?line|stack-?trace)(?:$|[\s_-])/i;

/** Elements whose edges separate words: `<div>Failed</div><div>Access denied</div>` is two sentences, not "FailedAccess". */
const BREAKS = new Set([
  "DIV",
  "P",
  "LI",
  "TD",
  "TH",
  "TR",
  "H1",
  "H2",
  "H3",
  "H4",
  "H5",
  "H6",
  "BR",
  "SECTION",
  "ARTICLE",
  "HEADER",
  "MAIN",
  "DT",
  "DD",
  "BUTTON",
  "LABEL",
  "A",
]);

/** Whitespace collapsed, but block edges kept as line breaks (a sentence ends there). */
function lines(parts: string[]): string {
  return parts
    .join("")
    .replace(/[^\S\n]+/g, " ")
    .replace(/ *\n[\s]*/g, "\n")
    .trim();
}

/**
 * The readable text under `root`, words kept apart at block edges, skipping
 * code, scripts, navigation and hidden subtrees; at most `maxChars`
 * characters and `maxNodes` nodes are read.
 */
const QUOTING = new Set(["PRE", "CODE", "BLOCKQUOTE", "Q"]);

export function readText(
  root: Element,
  maxChars = 1500,
  maxNodes = 400,
  keepCode = false,
): { text: string; long: boolean; quotes: boolean } {
  let quotes = false;
  const parts: string[] = [];
  let size = 0;
  const cut = walk(root, maxNodes, (n) => {
    if (n.nodeType === 3) {
      const t = n.nodeValue ?? "";
      // "<b>Insufficient permissions</b>You need access…": a capital right after an element starts a new sentence, not the same word.
      const prev = n.previousSibling;
      // Text after a block ("<h4>Unable to load data</h4>permission denied: …") starts a line of its own.
      if (prev?.nodeType === 1 && BREAKS.has((prev as Element).tagName)) parts.push("\n");
      else if (prev?.nodeType === 1 && /^[A-ZÀ-Ý]/.test(t)) parts.push(" ");
      parts.push(t);
      size += t.length;
      return size <= maxChars ? "next" : "stop";
    }
    if (n.nodeType !== 1) return "skip";
    const el = n as Element;
    // In an alert or a dialog the app itself speaks, monospaced details included (AWS's "User: arn:… is not authorized").
    const code = el.tagName === "CODE" && keepCode;
    if (!code && (QUOTING.has(el.tagName) || CODE_CLASS.test(el.getAttribute("class") ?? ""))) {
      quotes = true; // the page quoting code or someone else's words
      return "skip";
    }
    if ((SKIP.has(el.tagName) && !code) || el.hasAttribute("hidden") || el.getAttribute("aria-hidden") === "true") return "skip";
    // A kept code block is a line of its own: "403 Forbidden" stays a line, not "403 Forbiddenpods is forbidden".
    if (BREAKS.has(el.tagName) || code) parts.push("\n");
    return "next";
  });
  return { text: lines(parts), long: cut, quotes };
}

/**
 * Depth first through `root`'s descendants in document order, at most `max`
 * nodes; `visit` says whether to go into a node ("next"), past it ("skip") or
 * to stop. Returns true when nodes were left unread. Hand-written rather
 * than a TreeWalker because filters that reject subtrees are not honoured by
 * every DOM (linkedom ignores them), and this costs no callback per node
 * from native code.
 */
export function walk(root: Node, max: number, visit: (n: Node) => "next" | "skip" | "stop"): boolean {
  let n: Node | null = root.firstChild;
  let count = 0;
  while (n) {
    if (++count > max) return true;
    const step = visit(n);
    if (step === "stop") return true;
    if (step === "next" && n.firstChild) {
      n = n.firstChild;
      continue;
    }
    while (n && n !== root && !n.nextSibling) n = n.parentNode;
    n = n && n !== root ? n.nextSibling : null;
  }
  return false;
}

/** What one bounded pass over the document's elements collects. */
interface Structure {
  headings: Element[];
  overlays: Element[];
  controls: Element[];
  passwordField: boolean;
  imageAlts: string[];
  prose: number;
  /** The pass stopped before the end of the document. */
  cut: boolean;
}

const STRUCTURE_NODES = 4000;
const PROSE_CHARS = 80;
const OVERLAY_ROLES = new Set(["dialog", "alertdialog", "alert"]);
const OVERLAY_HINT = /error|denied|forbidden|no-?access|empty-?state/i;
const HEADINGS = new Set(["H1", "H2", "H3", "H4"]);

function visitElement(el: Element, into: Structure): void {
  const tag = el.tagName;
  if (HEADINGS.has(tag)) {
    if (into.headings.length < 24) into.headings.push(el);
  } else if (tag === "INPUT") {
    const type = (el.getAttribute("type") ?? "").toLowerCase();
    if (type === "password" && !hidden(el)) into.passwordField = true;
    else if ((type === "submit" || type === "button") && into.controls.length < 400) into.controls.push(el);
  } else if (tag === "BUTTON" || tag === "A") {
    if (into.controls.length < 400) into.controls.push(el);
  } else if (tag === "IMG") {
    const alt = el.getAttribute("alt");
    if (alt && into.imageAlts.length < 12) into.imageAlts.push(squash(alt));
  } else if (tag === "P" && into.prose < 50 && (el.textContent?.length ?? 0) >= PROSE_CHARS) {
    into.prose++;
  }
  if (into.overlays.length >= 12) return;
  const role = el.getAttribute("role");
  if (
    (role && OVERLAY_ROLES.has(role)) ||
    el.getAttribute("aria-modal") === "true" ||
    (tag === "DIALOG" && el.hasAttribute("open")) ||
    OVERLAY_HINT.test(el.getAttribute("class") ?? "") ||
    OVERLAY_HINT.test(el.getAttribute("data-testid") ?? "")
  ) {
    into.overlays.push(el);
  } else if (role === "button" && into.controls.length < 400) {
    into.controls.push(el);
  }
}

function walkElements(root: Element, budget: number, into: Structure): boolean {
  visitElement(root, into);
  return walk(root, budget, (n) => {
    if (n.nodeType !== 1) return "skip";
    const el = n as Element;
    if (SKIP_STRUCTURE.has(el.tagName)) return "skip";
    visitElement(el, into);
    return "next";
  });
}
const SKIP_STRUCTURE = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "svg", "SVG", "PRE", "CODE", "SELECT", "IFRAME", "CANVAS"]);

/**
 * One pass over at most STRUCTURE_NODES elements, never a selector over the
 * whole page. When a long page is cut short, the last children of <body> are
 * read too: that is where apps mount their modals.
 */
function readStructure(doc: Document): Structure {
  const into: Structure = { headings: [], overlays: [], controls: [], passwordField: false, imageAlts: [], prose: 0, cut: false };
  const body = doc.body ?? doc.documentElement;
  if (!body) return into;
  if (walkElements(body, STRUCTURE_NODES, into)) {
    into.cut = true;
    let tail = body.lastElementChild;
    for (let i = 0; tail && i < 6; i++, tail = tail.previousElementSibling) walkElements(tail, 300, into);
  }
  return into;
}

export function readPage(doc: Document): PageView {
  const segments: Segment[] = [];
  const title = squash(doc.title);
  if (title) segments.push({ place: "title", text: title, el: null });

  const root = doc.querySelector("main") ?? doc.body ?? doc.documentElement;
  const { text: body, long } = root ? readText(root, BODY_CHARS, BODY_NODES) : { text: "", long: false };
  const structure = readStructure(doc);

  let metrics = 0;
  for (const h of structure.headings) {
    const text = readText(h, 300, 60).text;
    if (!text || text.length > 300) continue;
    const level = h.tagName === "H1" || h.tagName === "H2" ? "heading" : "subheading";
    // Empty states put the heading's explanation in the next block: "No access" + "You do not have …".
    const next = h.nextElementSibling;
    // Not when it holds code or quotes: that is the page showing someone else's words.
    const read = next && !next.matches("button, form, input, nav, ul, ol, table, pre") ? readText(next, 400, 80) : null;
    // Under an exception's name ("PermissionDenied") the next block is its message and stack, not the page's explanation.
    const logged = EXCEPTION_HEADING.test(text);
    const metric = Boolean(read?.text && FIGURE.test(read.text));
    if (metric) metrics++;
    segments.push({ place: level, text, el: h, ...(metric ? { metric } : {}) });
    if (next && read?.text && !read.quotes && !read.long && !metric && !logged) segments.push({ place: "lead", text: read.text, el: next });
  }

  for (const o of structure.overlays) {
    const { text, long: tooLong } = readText(o, 1500, 300, true);
    if (!text || tooLong) continue;
    segments.push({ place: "overlay", text, el: o });
  }

  if (body) segments.push({ place: "body", text: body, el: root });
  return {
    segments,
    body,
    long: long || structure.cut,
    passwordField: structure.passwordField,
    imageAlts: structure.imageAlts,
    controls: structure.controls,
    shape: { prose: structure.prose, metrics },
  };
}

/** An exception's name as a heading: "PermissionDenied", "django.core.exceptions.PermissionDenied", "AccessDeniedException". */
const EXCEPTION_HEADING = /^\s*(?:[\w$]+\.)*[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b/;

/** A bare figure: "387", "1,204", "12.5 %", "3.2k", "99.9%", "−4". */
const FIGURE = /^[-−+]?[\d][\d.,  ]*\s*(?:%|k|m|ms|s|\/s)?$/i;

/** The first button or link whose label matches `label`. */
export function findControl(page: PageView, label: RegExp): Element | null {
  for (const el of page.controls) {
    const text = squash(el.textContent) || el.getAttribute("value") || el.getAttribute("aria-label") || "";
    if (text.length <= 60 && label.test(text) && !hidden(el)) return el;
  }
  return null;
}

const BLOCKS = new Set(["P", "H1", "H2", "H3", "H4", "LI", "DIV", "SECTION", "DIALOG", "TD", "ARTICLE", "HEADER", "MAIN", "FORM", "SPAN"]);

/** The smallest block under `el` that still holds the phrase: where on the page it is said. */
export function blockOf(el: Element, phrase: { test(text: string): boolean }): Element {
  let node: Element = el;
  for (let depth = 0; depth < 12; depth++) {
    const child = [...node.children].find((c) => phrase.test(readText(c, 600, 200).text));
    if (!child) break;
    node = child;
  }
  while (!BLOCKS.has(node.tagName) && node.parentElement) node = node.parentElement;
  return node;
}

/**
 * Is a block part of something that holds many texts — a row of a table, an
 * item of a list (search results, events, comments), or an article of
 * several paragraphs? A denial said there is reported, not addressed to the
 * reader; a denial card is a block of its own.
 */
export function enclosure(block: Element): "list" | "article" | null {
  if (block.closest("[role=row], [role=listitem], [role=gridcell], [role=log], [role=feed]")) return "list";
  // A list of a few items, or a layout table (classic apps lay whole pages out in cells), is not a list of records.
  const item = block.closest("li");
  if (item?.parentElement && item.parentElement.children.length >= 3) return "list";
  const table = block.closest("td, th")?.closest("table");
  const rows = table?.getElementsByTagName("tr");
  if (rows && rows.length >= 4 && (rows[1]?.children.length ?? 0) >= 2) return "list";
  const article = block.closest("article, [role=article]");
  if (!article) return null;
  let prose = 0;
  const paragraphs = article.getElementsByTagName("p");
  for (let i = 0; i < paragraphs.length && i < 30; i++) if ((paragraphs[i]?.textContent?.length ?? 0) >= PROSE_CHARS) prose++;
  return prose >= 3 ? "article" : null;
}

/**
 * The page's own words for the denial: the block around the match, plus the
 * paragraph after a heading ("You need access" + "Ask for access, or …").
 */
export function messageAround(el: Element, phrase: Matcher): string {
  const node = blockOf(el, phrase);
  let text = readText(node, 600, 200).text;
  if (/^H[1-4]$/.test(node.tagName) || node.getAttribute("role") === "heading") {
    const next = node.nextElementSibling;
    const detail = next && !next.matches("button, form, input, nav") ? readText(next, 400, 100).text : "";
    if (detail && detail.length < 300) text = `${text.replace(/[.!]?$/, ".")} ${detail}`;
  }
  return text;
}
