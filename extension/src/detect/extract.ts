/**
 * Reading a resource id (or name) out of a URL. Each step names the part of
 * the URL it reads, a pattern with capture groups and a template; the first
 * step that matches wins. The same shape serves the built-in catalog and the
 * rules admins write in the relay config.
 */
export interface Extract {
  /** `path` (default), `hash`, `host`, `href`, or `?name` for a query parameter. */
  from?: string;
  /** Tested against that part; without it the whole part is taken. */
  re?: RegExp;
  /** `$1`…`$9` refer to the capture groups; default `$1` (or the whole part). */
  to?: string;
  /** Percent-decode the result (ids that live in query strings or paths with spaces). */
  decode?: boolean;
  /** Last adjustment for ids the URL spells in more than one way. */
  map?: (value: string) => string;
}

export function urlPart(url: URL, from = "path"): string | null {
  if (from === "path") return url.pathname;
  if (from === "hash") return url.hash.replace(/^#/, "");
  if (from === "host") return url.hostname;
  if (from === "href") return url.href;
  if (from.startsWith("?")) {
    const name = from.slice(1);
    // Fragment routers (Azure, Tableau, AWS) keep their own query in the hash.
    const hashQuery = url.hash.includes("?") ? new URLSearchParams(url.hash.slice(url.hash.indexOf("?") + 1)) : null;
    return url.searchParams.get(name) ?? hashQuery?.get(name) ?? null;
  }
  return null;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

export function extract(url: URL, steps: readonly Extract[] | undefined): string | null {
  for (const step of steps ?? []) {
    // Bounded input: patterns run on every matching page, and URLs can be very long.
    const part = urlPart(url, step.from)?.slice(0, 2048);
    if (!part) continue;
    let value: string;
    if (step.re) {
      const m = step.re.exec(part);
      if (!m) continue;
      // Without a capture group (and no template) the whole match is the id.
      const template = step.to ?? (m.length > 1 ? "$1" : "$0");
      value = template.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? "");
    } else {
      value = part;
    }
    if (step.decode) value = safeDecode(value);
    if (step.map) value = step.map(value);
    value = value.trim();
    if (value) return value.slice(0, 512);
  }
  return null;
}

/** `Q3-Pricing-Experiments` → `Q3 Pricing Experiments`: a URL slug made readable. */
export function humanize(slug: string): string {
  const words = safeDecode(slug)
    .replace(/[-_+]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  // An all-lower-case slug reads better with a capital: "pricing-experiments" → "Pricing experiments".
  return words === words.toLowerCase() ? words.charAt(0).toUpperCase() + words.slice(1) : words;
}
