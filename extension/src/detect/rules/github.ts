import type { Detection } from "@gatehouse/shared";
import type { AppRule } from "../types.ts";

/** First path segments that are GitHub's own pages, not an owner. */
const RESERVED = new Set([
  "settings",
  "orgs",
  "organizations",
  "search",
  "marketplace",
  "explore",
  "topics",
  "notifications",
  "pulls",
  "issues",
  "login",
  "logout",
  "signup",
  "sessions",
  "new",
  "features",
  "pricing",
  "about",
  "enterprise",
  "sponsors",
  "codespaces",
  "apps",
  "users",
  "collections",
  "trending",
  "dashboard",
  "account",
  "security",
]);

export function githubRepo(url: URL): string | null {
  const [owner, repo] = url.pathname.split("/").filter(Boolean);
  if (!owner || !repo || RESERVED.has(owner.toLowerCase())) return null;
  if (!/^[A-Za-z0-9-]+$/.test(owner) || !/^[A-Za-z0-9._-]+$/.test(repo)) return null;
  return `${owner}/${repo.replace(/\.git$/, "")}`;
}

const NOT_FOUND_ALT = /not the web page you are looking for/i;

/**
 * GitHub answers 404 for a private repository the signed-in user cannot see.
 * That counts as denied only on a repository URL and only when signed in
 * (signed out, the fix is to sign in, not to ask for access).
 * Test URLs: https://github.com/acme-corp/billing-service
 */
export const githubRule: AppRule = {
  app: "github",
  hosts: ["github.com"],
  detect(doc: Document, url: URL): Detection | null {
    const repo = githubRepo(url);
    if (!repo) return null;
    const login = doc.querySelector('meta[name="user-login"]')?.getAttribute("content")?.trim();
    if (!login) return null;
    const alt = [...doc.querySelectorAll("img[alt]")].map((i) => i.getAttribute("alt") ?? "").find((a) => NOT_FOUND_ALT.test(a));
    if (!alt && !/^page not found\b/i.test(doc.title)) return null;
    return {
      app: "github",
      resource: { id: repo, name: repo, url: url.href },
      message: (alt ?? "Page not found").replace(/\s+/g, " ").trim(),
      confidence: 0.8,
    };
  },
};
