import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

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
<link rel="stylesheet" href="/static/relay.css">
</head>
<body${chrome.bodyClass ? html` class="${chrome.bodyClass}"` : ""}>
<header><span class="brand">Gatehouse</span>${chrome.header ?? ""}</header>
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
body.admin main { max-width:1100px; }
header nav { display:inline-flex; gap:4px; margin-left:24px; }
header nav a { color:#fff; text-decoration:none; padding:4px 10px; border-radius:6px; }
header nav a[aria-current=page] { background:#57606a; }
header .who { float:right; margin:0; color:#d0d7de; }
.muted-inv { color:#d0d7de; margin-left:4px; }
button.link { background:none; color:#fff; text-decoration:underline; padding:0 4px; font-weight:400; }
.title-row { display:flex; justify-content:space-between; align-items:center; gap:12px; }
a.button { display:inline-block; border:1px solid var(--line); border-radius:6px; padding:6px 14px; text-decoration:none; color:var(--fg); font-weight:600; }
a.button.primary { background:var(--blue); border-color:var(--blue); color:#fff; }
button.small { padding:3px 10px; font-weight:500; background:#f6f8fa; border-color:var(--line); }
form.search { display:flex; gap:6px; } form.search input { width:260px; font:inherit; padding:4px 8px; border:1px solid var(--line); border-radius:6px; }
form.inline { display:inline; margin:0 2px; }
.row-actions { white-space:nowrap; }
tr.disabled td { color:var(--muted); }
tr.fallback td { background:#f6f8fa; }
fieldset { border:1px solid var(--line); border-radius:8px; margin:0 0 16px; padding:8px 16px 16px; }
legend { font-weight:700; padding:0 6px; }
.field { margin-bottom:8px; }
.field.check { display:flex; gap:8px; align-items:center; flex-wrap:wrap; }
.field.check label { margin:8px 0; } .field.check .hint { flex-basis:100%; margin-top:0; }
input[type=text], input[type=email], input[type=number], input[type=date], input:not([type]) { font:inherit; padding:6px 8px; border:1px solid var(--line); border-radius:6px; width:100%; }
input[readonly] { background:#f6f8fa; color:var(--muted); }
[aria-invalid=true] { border-color:var(--red) !important; background:#fff8f8; }
.hint { color:var(--muted); font-size:13px; margin:2px 0 0; }
ul.field-errors { color:var(--red); margin:4px 0 0; padding-left:18px; font-size:14px; }
.step { border-left:3px solid var(--line); padding-left:12px; margin:12px 0; }
.step h3 { font-size:15px; margin:4px 0; }
.default-submit { position:absolute; left:-9999px; width:1px; height:1px; overflow:hidden; }
pre.yaml { white-space:pre-wrap; overflow-wrap:anywhere; background:#f6f8fa; padding:12px; border-radius:6px; font-size:13px; max-height:480px; overflow:auto; }
.danger { margin-top:24px; padding-top:12px; border-top:1px solid var(--line); }
form.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(240px, 1fr)); gap:0 16px; }
form.grid .actions { grid-column:1/-1; }
section.result { border:1px solid var(--line); border-radius:8px; padding:12px 16px; margin-top:16px; }
section.result.auto_approved { border-color:var(--green); } section.result.denied { border-color:var(--red); }
ol.explain li { font-family:ui-monospace, monospace; font-size:13px; }
table { border-collapse:collapse; width:100%; font-size:14px; } td, th { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
td code { white-space:pre-wrap; overflow-wrap:anywhere; word-break:break-word; font-size:12px; }
.state { display:inline-block; font-size:13px; font-weight:600; padding:1px 10px; border-radius:10px; background:#eaeef2; vertical-align:middle; }
.state.pending, .state.escalated, .state.info_requested { background:#fff8c5; color:#7d4e00; }
.state.approved { background:#dafbe1; color:#1a7f37; } .state.rejected, .state.error, .state.expired { background:#ffebe9; color:#a40e26; }
.state.active { background:#dafbe1; color:#1a7f37; } .state.failed { background:#ffebe9; color:#a40e26; }
.state.provisioning, .state.revoking, .state.awaiting_start, .state.scheduled { background:#fff8c5; color:#7d4e00; }
details { margin:16px 0; } summary { cursor:pointer; font-weight:600; color:var(--blue); }
h2 { font-size:17px; margin:24px 0 8px; }
`;
