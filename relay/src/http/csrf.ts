import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { randomToken } from "../secrets.ts";

const COOKIE = "gatehouse_csrf";

/**
 * Double-submit CSRF token for relay forms: a random value in a SameSite=Strict,
 * HttpOnly cookie and in a hidden field. (hono's `csrf()` also checks Origin.)
 */
export function issueCsrfToken(c: Context, secure: boolean): string {
  const existing = getCookie(c, COOKIE);
  if (existing && existing.length >= 40) return existing;
  const token = randomToken();
  setCookie(c, COOKIE, token, { httpOnly: true, sameSite: "Strict", secure, path: "/", maxAge: 3600 });
  return token;
}

export function checkCsrfToken(c: Context, submitted: unknown): boolean {
  const cookie = getCookie(c, COOKIE);
  if (!cookie || typeof submitted !== "string" || cookie.length !== submitted.length) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted));
}
