import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { STYLESHEET_PATH } from "./stylesheet.ts";

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * Relay pages are server-rendered with hono's `html` template (every value is
 * escaped) and carry no script at all; the CSP in `app.ts` forbids any.
 */
export function page(title: string, body: Fragment, chrome: { site?: string; bodyClass?: string; header?: Fragment } = {}): Fragment {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${chrome.site ?? "Gatehouse"}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body${chrome.bodyClass ? html` class="${chrome.bodyClass}"` : ""}>
<header><span class="brand">Gatehouse</span>${chrome.header ?? ""}</header>
<main>${body}</main>
</body>
</html>`;
}
