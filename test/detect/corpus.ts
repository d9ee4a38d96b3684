import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";

/** One page of a fixture folder in the format of the shared denied-pages set. */
export const EntrySchema = z.object({
  file: z.string().min(1),
  url: z.url(),
  status: z.number().int().min(100).max(599),
  denied: z.boolean(),
  app: z.string().min(1),
  resource: z.string().nullable(),
  notes: z.string().default(""),
  message: z.string().nullable().default(null),
  /** Positives: what stands in the way (no access, a request already pending, an organisation's policy). */
  kind: z.enum(["access", "pending", "org-restricted"]).default("access"),
  /** The product the page stands for, to count apps beyond the catalog (generic pages are many products). */
  product: z.string().min(1).optional(),
  /** The UI's language (BCP 47). */
  lang: z.string().min(2).default("en"),
});
export type Entry = z.infer<typeof EntrySchema>;

export interface Page extends Entry {
  html: string;
}

export function loadCorpus(dir: string): Page[] {
  const root = resolve(dir);
  const raw: unknown = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
  const entries = z.array(EntrySchema).parse(raw);
  return entries.map((e) => ({ ...e, html: readFileSync(join(root, e.file), "utf8") }));
}
