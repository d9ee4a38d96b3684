import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * Relay pages are server-rendered with hono's `html` template (every value is
 * escaped) and carry no script at all; the CSP in `app.ts` forbids any.
 */
export function page(title: string, body: Fragment): Fragment {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Gatehouse</title>
<link rel="stylesheet" href="/static/relay.css">
</head>
<body>
<header><span class="brand">Gatehouse</span></header>
<main>${body}</main>
</body>
</html>`;
}

export const RELAY_CSS = `
:root { color-scheme: light; --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --blue:#1f6feb; --green:#1a7f37; --red:#cf222e; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:#f6f8fa; }
header { background:#24292f; color:#fff; padding:10px 24px; }
.brand { font-weight:700; letter-spacing:.02em; }
main { max-width:640px; margin:32px auto; background:#fff; border:1px solid var(--line); border-radius:8px; padding:24px 28px; }
h1 { font-size:22px; margin:0 0 16px; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:6px 16px; margin:0 0 20px; }
dt { color:var(--muted); } dd { margin:0; overflow-wrap:anywhere; }
blockquote { margin:0 0 20px; padding:6px 12px; border-left:3px solid var(--line); color:var(--muted); }
.code { font: 600 28px/1 ui-monospace, monospace; letter-spacing:.12em; padding:12px 16px; background:#f6f8fa; border:1px solid var(--line); border-radius:6px; display:inline-block; margin:8px 0 16px; }
label { display:block; font-weight:600; margin:12px 0 4px; }
select, textarea { font:inherit; padding:6px 8px; border:1px solid var(--line); border-radius:6px; width:100%; }
textarea { min-height:64px; }
.actions { display:flex; gap:12px; margin-top:20px; flex-wrap:wrap; }
button { font:inherit; font-weight:600; border:1px solid transparent; border-radius:6px; padding:8px 18px; cursor:pointer; }
button.approve { background:var(--green); color:#fff; }
button.reject { background:#fff; color:var(--red); border-color:var(--red); }
button.primary { background:var(--blue); color:#fff; }
.notice { padding:12px 16px; border-radius:6px; margin-bottom:16px; }
.ok { background:#dafbe1; } .bad { background:#ffebe9; } .info { background:#ddf4ff; }
.muted { color:var(--muted); }
pre.mail { white-space:pre-wrap; overflow-wrap:anywhere; background:#f6f8fa; padding:12px; border-radius:6px; }
table { border-collapse:collapse; width:100%; font-size:14px; } td, th { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
`;
