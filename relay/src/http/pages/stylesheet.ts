import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Context } from "hono";

/** Where every page links its one stylesheet. */
export const STYLESHEET_PATH = "/static/relay.css";

// Read once at start, next to this module (the image copies relay/src whole); its ETag is the hash of what is served.
const CSS = readFileSync(new URL("./relay.css", import.meta.url), "utf8");
const ETAG = `"${createHash("sha256").update(CSS).digest("base64url")}"`;
/** Fresh for an hour, then asked again with the ETag: a relay upgraded with new styles is seen within the hour, at the cost of a 304. */
const CACHE_CONTROL = "public, max-age=3600, must-revalidate";

/** Whether an If-None-Match list names this ETag (compared weakly, as RFC 9110 asks for this header) or is `*`. */
function unchanged(ifNoneMatch: string | undefined): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === ETAG);
}

/** GET /static/relay.css: the stylesheet, or 304 Not Modified when the browser's copy is this one. */
export function stylesheet(c: Context): Response {
  c.header("etag", ETAG);
  c.header("cache-control", CACHE_CONTROL);
  if (unchanged(c.req.header("if-none-match"))) return c.body(null, 304);
  c.header("content-type", "text/css; charset=utf-8");
  return c.body(CSS);
}
