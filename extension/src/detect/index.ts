import type { Detection } from "@gatehouse/shared";
import type { CompiledRule } from "./admin-rules.ts";
import { CATALOG, type CatalogApp } from "./catalog.ts";
import { appDenialPattern } from "./catalog-words.ts";
import { extract, humanize } from "./extract.ts";
import { anyHost, type HostMatcher, hostPattern } from "./hosts.ts";
import { findControl, hidden, messageAround, type PageView, readPage, squash } from "./page.ts";
import { DENIAL, HELP_HOST, HELP_PATH, HELP_ROOT, REQUEST_ACCESS } from "./phrases.ts";
import { type DenialKind, THRESHOLD, weigh } from "./score.ts";

export type { Detection } from "@gatehouse/shared";
export { type CompiledRule, compileRules } from "./admin-rules.ts";
export { CATALOG } from "./catalog.ts";

/** Marks of a signed-in page in most apps: a way to sign out, or an account menu. */
const SIGNED_IN =
  'a[href*="sign_out" i], a[href*="signout" i], a[href*="logout" i], a[href*="log_out" i], form[action*="sign_out" i], form[action*="logout" i], [aria-label*="account menu" i], [aria-label*="user menu" i], [aria-label*="user navigation" i], [aria-label*="your profile" i], [class*="avatar" i][title], img[class*="avatar" i], [data-testid*="avatar" i]';

interface KnownApp {
  app: CatalogApp;
  hosts: HostMatcher[];
}

const KNOWN: KnownApp[] = CATALOG.map((app) => ({ app, hosts: app.hosts.map(hostPattern) }));
const SELF_HOSTED = CATALOG.filter((a) => a.selfHosted);

/** A self-hosted app's mark: in <head> (meta tags) or on <body> itself, never a scan of the whole page. */
function hasMarker(doc: Document, selector: string): boolean {
  return Boolean(doc.head?.querySelector(selector) || doc.body?.matches(selector));
}

/** Which catalog app serves this page: by host, else by the marks of a self-hosted install. */
export function identifyApp(doc: Document, url: URL): CatalogApp | null {
  const host = url.hostname.toLowerCase();
  for (const k of KNOWN) {
    if (anyHost(k.hosts, host) && (!k.app.path || k.app.path.test(url.pathname))) return k.app;
  }
  const label = host.split(".")[0] ?? "";
  for (const app of SELF_HOSTED) if (app.selfHosted?.marker && hasMarker(doc, app.selfHosted.marker)) return app;
  // A name like grafana.acme.io or a title suffix alone proves little; with a URL in the app's shape it does.
  for (const app of SELF_HOSTED) if (app.selfHosted?.label?.test(label) && extract(url, app.resource)) return app;
  for (const app of SELF_HOSTED)
    if (app.selfHosted?.looseLabel?.test(label) && url.pathname.includes("/-/") && extract(url, app.resource)) return app;
  for (const app of SELF_HOSTED) if (app.selfHosted?.title?.test(doc.title) && extract(url, app.resource)) return app;
  return null;
}

function readableName(doc: Document, url: URL, app: CatalogApp | null): string | null {
  const fromTitle = app?.resourceName?.title?.exec(squash(doc.title))?.[1];
  if (fromTitle && !DENIAL.test(fromTitle)) return fromTitle;
  const slug = extract(url, app?.resourceName?.slug);
  return slug ? humanize(slug) : null;
}

/** The relay accepts URLs up to 4,096 characters: a longer one loses its query and fragment first. */
function boundedUrl(url: URL): string {
  if (url.href.length <= 4096) return url.href;
  const bare = `${url.origin}${url.pathname}`;
  return bare.length <= 4096 ? bare : bare.slice(0, 4096);
}

function clip(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** An admin rule's own signals: a phrase anywhere in the page's text, or a visible element. */
function ruleSignal(rule: CompiledRule, doc: Document, page: PageView): string | null {
  for (const sel of rule.selectors) {
    // The first visible match: apps keep hidden templates of their error states.
    const matches = doc.querySelectorAll(sel);
    for (let i = 0; i < matches.length && i < 20; i++) {
      const el = matches[i];
      if (el && !hidden(el)) return squash(el.textContent) || sel;
    }
  }
  if (rule.text.length === 0) return null;
  for (const s of page.segments) {
    const lower = s.text.toLowerCase().replace(/\s+/g, " ");
    const hit = rule.text.find((t) => lower.includes(t));
    if (!hit) continue;
    // The page's own sentence around the phrase, not just the phrase.
    const phrase = new RegExp(hit.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+"), "i");
    return s.el ? messageAround(s.el, phrase) : s.text;
  }
  return null;
}

export interface DetectOptions {
  /** Admin-defined rules from the relay, applied before the catalog and the generic detector. */
  rules?: readonly CompiledRule[];
}

/**
 * Decides whether `doc` (shown at `url`) is an access-denied page and, if so,
 * what was denied. Pure: reads the page, changes nothing, sends nothing.
 */
export function detect(doc: Document, url: URL, options: DetectOptions = {}): Detection | null {
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  // HTML pages only: XML documents (feeds, SVG, XHTML) name their elements differently and are never denial pages.
  if (doc.contentType && doc.contentType !== "text/html") return null;
  const host = url.hostname.toLowerCase();
  const page = readPage(doc);

  // 1. Admin rules: an internal tool the company taught us about.
  // Every rule for this host is asked; the first one whose signals are on the page
  // wins, and otherwise the first one names the app for the generic decision.
  let ruled: CompiledRule | null = null;
  const path = url.pathname.slice(0, 2048);
  for (const rule of options.rules ?? []) {
    if (!anyHost(rule.hosts, host) || (rule.path && !rule.path.test(path))) continue;
    ruled ??= rule;
    const signal = ruleSignal(rule, doc, page);
    if (signal) {
      return {
        app: rule.app,
        ...(rule.name ? { appName: rule.name } : {}),
        resource: { id: extract(url, rule.resource) ?? host, name: null, url: boundedUrl(url) },
        message: clip(squash(signal)),
        confidence: 0.95,
        kind: "access",
      };
    }
  }

  // 2. The catalog names the app and reads the resource; 3. the generic vocabulary decides.
  const { app, resourceId, verdict } = assess(doc, url, page, ruled);
  if (verdict.score < THRESHOLD) return null;

  const best = verdict.best;
  const message = best?.segment.el ? messageAround(best.segment.el, best.phrase) : (best?.segment.text ?? squash(doc.title));
  const appName = ruled ? ruled.name : app?.name;
  return {
    app: ruled?.app ?? app?.id ?? "generic",
    ...(appName ? { appName } : {}),
    resource: {
      id: resourceId,
      name: ruled ? null : clip(readableName(doc, url, app) ?? "", 200) || null,
      url: boundedUrl(url),
    },
    message: clip(squash(message) || "Access denied"),
    confidence: Math.round(verdict.score * 100) / 100,
    kind: verdict.kind,
  };
}

const appWords = new Map<string, RegExp | undefined>();

/** The app's own denial wording: its catalog phrases and its strings in every UI language, one expression, built once. */
function appPhrases(app: CatalogApp | null): RegExp | undefined {
  if (!app) return undefined;
  if (!appWords.has(app.id)) {
    const own = appDenialPattern(app.id);
    appWords.set(app.id, own && app.phrases ? new RegExp(`${app.phrases.source}|${own.source}`, "i") : (own ?? app.phrases));
  }
  return appWords.get(app.id);
}

function assess(doc: Document, url: URL, page: PageView, ruled: CompiledRule | null) {
  const app = ruled ? null : identifyApp(doc, url);
  const resourceId = ruled ? (extract(url, ruled.resource) ?? url.hostname) : app ? extract(url, app.resource) : url.hostname;
  // Only apps that hide forbidden resources behind "not found" need to know who is
  // signed in, and only on a page that says "not found": the query scans the document.
  let notFoundMeansDenied: boolean | undefined;
  const verdict = weigh(page, {
    appPhrases: appPhrases(app),
    notFoundMeansDenied: () =>
      (notFoundMeansDenied ??= Boolean(
        app?.notFoundDenies && resourceId && doc.querySelector(app.signedIn ? `${app.signedIn}, ${SIGNED_IN}` : SIGNED_IN),
      )),
    helpPath: HELP_PATH.test(url.pathname),
    helpArticle: HELP_ROOT.test(url.pathname) && !/\.(?:aspx?|jsp|php|do|cgi)$/i.test(url.pathname),
    helpHost: !app && !ruled && HELP_HOST.test(url.hostname),
    requestControl: () => findControl(page, REQUEST_ACCESS) !== null,
  });
  return { app, resourceId, verdict };
}

/** Why a page was or was not judged denied, signal by signal. */
export interface Explanation {
  /** The catalog app the page belongs to, if any. */
  app: string | null;
  resourceId: string | null;
  score: number;
  threshold: number;
  kind: DenialKind;
  /** Each signal with what it added or took away ("denial in heading +0.55"). */
  reasons: string[];
  /** The text that carried the strongest denial signal, and where it was. */
  evidence: { place: string; text: string } | null;
}

/** For `pnpm eval:detect` and the options page's "why did (or didn't) Gatehouse appear here". */
export function explain(doc: Document, url: URL): Explanation {
  const { app, resourceId, verdict } = assess(doc, url, readPage(doc), null);
  const best = verdict.best;
  return {
    app: app?.id ?? null,
    resourceId,
    score: Math.round(verdict.score * 1000) / 1000,
    threshold: THRESHOLD,
    kind: verdict.kind,
    reasons: verdict.reasons,
    evidence: best ? { place: best.segment.place, text: clip(squash(best.segment.text), 300) } : null,
  };
}
