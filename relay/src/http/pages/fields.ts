import { html } from "hono/html";
import { attr, type Child, CsrfField, type Fragment, Notice } from "./components.ts";

/** Problems of a form, keyed by field name; "" holds those that belong to no field. */
export type FieldErrors = Map<string, string[]>;

/** The id of a field's control, which its label and the form's list of problems link to. */
export const fieldId = (name: string) => `f-${name.replace(/[^a-z0-9]/gi, "-")}`;

/** The problems beside one field. */
export function FieldErrorList(p: { name: string; messages: readonly string[] | undefined }): Fragment | "" {
  if (!p.messages?.length) return "";
  return html`<ul class="field-errors" data-error-for="${p.name}">${p.messages.map((e) => html`<li>${e}</li>`)}</ul>`;
}

/** Above a form that was not saved: how many problems, each linked to its field. */
export function FormErrors(p: { errors: FieldErrors | undefined }): Fragment | "" {
  if (!p.errors || p.errors.size === 0) return "";
  const entries = [...p.errors].flatMap(([field, list]) => list.map((message) => [field, message] as const));
  return html`<div class="notice bad" role="alert" data-testid="form-errors"><strong>Nothing was saved.</strong> ${entries.length === 1 ? "One problem" : `${entries.length} problems`}:
<ul>${entries.map(([field, message]) => html`<li>${field ? html`<a href="#${fieldId(field)}">${field}</a>: ` : ""}${message}</li>`)}</ul></div>`;
}

/** Above an import that was refused: what was wrong with the file. */
export function RefusedNotice(p: { title: string; problems: readonly string[] | undefined }): Fragment | "" {
  if (!p.problems?.length) return "";
  return Notice({
    tone: "bad",
    alert: true,
    testid: "form-errors",
    block: true,
    children: html`<strong>${p.title}</strong><ul>${p.problems.map((e) => html`<li>${e}</li>`)}</ul>`,
  });
}

const Hint = (p: { text: string | undefined }) => (p.text ? html`<p class="hint">${p.text}</p>` : "");

export interface TextFieldProps {
  label: string;
  name: string;
  value: string | undefined;
  errors?: FieldErrors | undefined;
  hint?: string;
  type?: string;
  /** A textarea of this many rows, else a one-line input. */
  rows?: number;
  placeholder?: string;
  readonly?: boolean;
  list?: string;
  required?: boolean;
  maxlength?: number;
}

/** A labelled text input or textarea with its hint and errors. */
export function TextField(p: TextFieldProps): Fragment {
  const id = fieldId(p.name);
  const attrs = html`${p.errors?.get(p.name)?.length ? html` aria-invalid="true"` : ""}${p.required ? html` required` : ""}${p.maxlength ? attr("maxlength", p.maxlength) : ""}`;
  const placeholder = p.placeholder ? attr("placeholder", p.placeholder) : "";
  const control = p.rows
    ? html`<textarea id="${id}" name="${p.name}" rows="${p.rows}"${placeholder}${attrs}>${p.value ?? ""}</textarea>`
    : html`<input id="${id}" name="${p.name}" type="${p.type ?? "text"}" value="${p.value ?? ""}"${placeholder}${p.readonly ? html` readonly` : ""}${p.list ? attr("list", p.list) : ""}${attrs}>`;
  return html`<div class="field"><label for="${id}">${p.label}</label>${control}${Hint({ text: p.hint })}${FieldErrorList({ name: p.name, messages: p.errors?.get(p.name) })}</div>`;
}

export function Checkbox(p: { label: string; name: string; checked: boolean; hint?: string }): Fragment {
  const id = fieldId(p.name);
  return html`<div class="field check"><input id="${id}" type="checkbox" name="${p.name}"${p.checked ? html` checked` : ""}><label for="${id}">${p.label}</label>${Hint({ text: p.hint })}</div>`;
}

type Option = readonly [value: string, text: string];

/** A `<select>`'s options, one of them selected. */
export const Options = (p: { options: readonly Option[]; selected: string }): Fragment[] =>
  p.options.map(([v, text]) => html`<option value="${v}"${v === p.selected ? html` selected` : ""}>${text}</option>`);

export function Select(p: {
  label: string;
  name: string;
  value: string;
  options: readonly Option[];
  errors?: FieldErrors | undefined;
}): Fragment {
  const id = fieldId(p.name);
  return html`<div class="field"><label for="${id}">${p.label}</label><select id="${id}" name="${p.name}">${Options({ options: p.options, selected: p.value })}</select>${FieldErrorList({ name: p.name, messages: p.errors?.get(p.name) })}</div>`;
}

/** A one-button form (move, enable, delete, retry…): a POST, as every change is. */
export function ActionButton(p: {
  csrf: string;
  action: string;
  label: string;
  cls?: string;
  testid?: string;
  fields?: Record<string, string>;
}): Fragment {
  return html`<form method="post" action="${p.action}" class="inline">${CsrfField({ token: p.csrf })}${Object.entries(p.fields ?? {}).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit" class="${p.cls ?? "small"}"${attr("data-testid", p.testid)}>${p.label}</button></form>`;
}

/** The row of a form's buttons. */
export const Actions = (p: { children: Child }): Fragment => html`<div class="actions">${p.children}</div>`;
