import type { FormValues } from "../../../admin/flow-form.ts";
import type { AdminContext } from "./layout.ts";

/** The submitted form as plain strings (files and repeated keys have no place in it). */
export async function formValues(c: AdminContext): Promise<FormValues> {
  const body = await c.req.parseBody();
  const out: FormValues = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string" && k !== "csrf") out[k] = v;
  return out;
}

/** The text of an import form: the chosen file, else what was pasted into its `text` field. */
export async function uploadedText(c: AdminContext): Promise<string> {
  const body = await c.req.parseBody();
  const file = body.file;
  if (file instanceof File && file.size > 0) return file.text();
  return typeof body.text === "string" ? body.text : "";
}
