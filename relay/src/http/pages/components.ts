import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/**
 * The pieces pages are built of: plain functions that take typed props and
 * return `html` fragments (see layout.ts for why not JSX). Every value they
 * interpolate is escaped by `html`; none of them uses `raw()`.
 */
export type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;
/** What may stand inside a fragment: `html` leaves out `false`, `null` and `undefined`, and joins lists. */
export type Child = Fragment | string | number | boolean | null | undefined | readonly Child[];

/** ` name="value"`, or nothing when there is no value. */
export const attr = (name: string, value: string | number | null | undefined): Fragment | "" =>
  value === null || value === undefined ? "" : html` ${name}="${value}"`;

/** ` data-<key>="value"` for each entry. */
export const dataAttrs = (data: Record<string, string> | undefined): Fragment[] =>
  Object.entries(data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);

/** A time as admins read it, to the minute (UTC, no zone written). */
export const when = (d: Date | null | undefined) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "");

/** A state as people read it: `info_requested` → "info requested". */
export const stateText = (state: string) => state.replace("_", " ");

/** A request's, grant's or delivery's state as a coloured badge (relay.css colours `.state.<state>`). */
export function StateBadge(p: { state: string; testid?: string; data?: Record<string, string>; strong?: boolean }): Fragment {
  const attrs = html`class="state ${p.state}"${attr("data-testid", p.testid)}${dataAttrs(p.data)}`;
  return p.strong ? html`<strong ${attrs}>${stateText(p.state)}</strong>` : html`<span ${attrs}>${stateText(p.state)}</span>`;
}

export interface NoticeProps {
  tone: "ok" | "bad" | "info";
  children: Child;
  testid?: string | undefined;
  /** An alert is read out by screen readers as soon as the page shows it. */
  alert?: boolean;
  data?: Record<string, string>;
  /** A `<div>` where the notice holds a list, else a `<p>`. */
  block?: boolean;
}

/** A coloured box with a message: done, a problem, or information. */
export function Notice(p: NoticeProps): Fragment {
  const attrs = html`class="notice ${p.tone}"${p.alert ? html` role="alert"` : ""}${attr("data-testid", p.testid)}${dataAttrs(p.data)}`;
  return p.block ? html`<div ${attrs}>${p.children}</div>` : html`<p ${attrs}>${p.children}</p>`;
}

/** A table with a header row; `rows` are its body's `<tr>`s. */
export function Table(p: { head: readonly string[]; rows: Child; testid?: string }): Fragment {
  return html`<table${attr("data-testid", p.testid)}><thead><tr>${p.head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>
${p.rows}
</tbody></table>`;
}

/** The CSRF token a form posts back (http/csrf.ts checks it). */
export const CsrfField = (p: { token: string }): Fragment => html`<input type="hidden" name="csrf" value="${p.token}">`;

/** A page's heading beside its buttons or search form. */
export const TitleRow = (p: { children: Child }): Fragment => html`<div class="title-row">${p.children}</div>`;

/** Why a link (a decision's, a task's) did nothing; `data-problem` names the reason for tests and tools. */
export function LinkProblem(p: {
  title: string;
  testid: string;
  problem: string;
  text: string;
  detail?: Fragment | string | undefined;
  back?: { href: string; label: string } | undefined;
}): Fragment {
  const back = p.back ? html` <a href="${p.back.href}">${p.back.label}</a>` : "";
  return html`<h1>${p.title}</h1>${Notice({ tone: "bad", testid: p.testid, data: { problem: p.problem }, children: html`${p.detail ? html`${p.detail} ` : ""}${p.text}${back}` })}`;
}
