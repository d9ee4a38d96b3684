import type { Detection } from "@gatehouse/shared";
import { clip, textOf } from "../text.ts";
import type { AppRule } from "../types.ts";

/** Where Google Docs, Sheets, Slides, Forms and Drive put the file or folder id. */
const ID_PATTERNS = [
  /^\/(?:document|spreadsheets|presentation|forms|file|drawings)\/(?:u\/\d+\/)?d\/([A-Za-z0-9_-]{10,})/,
  /^\/drive\/(?:u\/\d+\/)?folders\/([A-Za-z0-9_-]{10,})/,
];

export function googleResourceId(url: URL): string | null {
  for (const p of ID_PATTERNS) {
    const m = p.exec(url.pathname);
    if (m?.[1]) return m[1];
  }
  if (url.pathname === "/open") return url.searchParams.get("id");
  return null;
}

const DENIAL_HEADINGS = /^(you need access|you need permission|request access|access denied)\b/i;

/**
 * Google's "You need access" page: a heading saying so and a request-access
 * form. The sign-in page lives on accounts.google.com, which this rule never sees.
 * Test URLs: https://docs.google.com/document/d/1Qm7vXcR2pLkT9sWbN4eYhJ8uFzA3dG6oKiE0tP5rBqM/edit
 */
export const googleDocsRule: AppRule = {
  app: "google-docs",
  hosts: ["docs.google.com", "drive.google.com"],
  detect(doc: Document, url: URL): Detection | null {
    const heading = [...doc.querySelectorAll("h1, h2, [role=heading]")].find((h) => DENIAL_HEADINGS.test(textOf(h)));
    if (!heading) return null;
    const asksForAccess = [...doc.querySelectorAll("button, [role=button], input[type=submit]")].some((b) =>
      /request (edit )?access|ask for access/i.test(textOf(b) || (b as HTMLInputElement).value || ""),
    );
    const detail = textOf(heading.nextElementSibling).replace(/\s*Learn more$/, "");
    const message = clip([textOf(heading), detail].filter(Boolean).join(". ").replace(/\.\./g, "."));
    return {
      app: "google-docs",
      resource: { id: googleResourceId(url), name: null, url: url.href },
      message,
      confidence: asksForAccess ? 0.97 : 0.85,
    };
  },
};
