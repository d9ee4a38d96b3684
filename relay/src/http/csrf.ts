import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { randomToken } from "../secrets.ts";

/** The admin session cookie (set at sign-in, path /admin). */
export const ADMIN_COOKIE = "gatehouse_admin";
/** A random per-browser value, for forms shown before any session. */
const BROWSER_COOKIE = "gatehouse_csrf";

/** A token for `binding`: what a form must carry back. */
export function csrfTokenFor(key: Buffer, binding: string): string {
  return createHmac("sha256", key).update(binding).digest("base64url");
}

/**
 * What a form's token is bound to. In an admin session, the session: the
 * token changes at every sign-in and cannot be derived from anything an
 * attacker can read or set. Before any session (sign-in, decision, pairing
 * and task links), the page's path, which carries the link's own secret,
 * together with a random per-browser cookie. Either way the token is an
 * HMAC under the relay's key, so a cookie planted by a sibling domain
 * (the weakness of a plain double-submit cookie) yields no valid token.
 */
function binding(c: Context, browser: string | undefined): string | null {
  const session = getCookie(c, ADMIN_COOKIE);
  if (session) return `session:${session}`;
  return browser ? `path:${c.req.path}:${browser}` : null;
}

/** The token for the form on this page; sets the browser cookie when a form is shown before any session. */
export function issueCsrfToken(c: Context, secure: boolean, key: Buffer): string {
  let browser = getCookie(c, BROWSER_COOKIE);
  if (!getCookie(c, ADMIN_COOKIE) && (!browser || browser.length < 40)) {
    browser = randomToken();
    setCookie(c, BROWSER_COOKIE, browser, { httpOnly: true, sameSite: "Strict", secure, path: "/", maxAge: 3600 });
  }
  const bound = binding(c, browser);
  if (!bound) throw new Error("no CSRF binding");
  return csrfTokenFor(key, bound);
}

/** Whether a submitted form's token is the one this request's binding gives. */
export function checkCsrfToken(c: Context, submitted: unknown, key: Buffer): boolean {
  const bound = binding(c, getCookie(c, BROWSER_COOKIE));
  if (!bound || typeof submitted !== "string") return false;
  const expected = Buffer.from(csrfTokenFor(key, bound));
  const given = Buffer.from(submitted);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
