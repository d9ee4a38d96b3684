import { html } from "hono/html";
import type { Fragment } from "./components.ts";
import { STYLESHEET_PATH } from "./stylesheet.ts";

/**
 * Relay pages are server-rendered with hono's `html` template (every value is
 * escaped) and carry no script at all; the CSP in `app.ts` forbids any.
 *
 * Views are components in the JSX sense, written as plain functions that take
 * typed props and return `html` fragments (components.ts, fields.ts), not as
 * `hono/jsx`: Node runs the relay's `.ts` files as they are, and type
 * stripping removes types but cannot transform JSX, so JSX would need a build
 * step the relay does not have.
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
