import { parse } from "csv-parse/sync";

/**
 * People from a CSV file with a header row: `email,name` and optionally
 * `manager`, `timezone`, `active` (true/false, yes/no, 1/0). Pure; the
 * policy check then judges the people themselves (emails, managers, zones).
 */
export interface CsvPerson {
  line: number;
  user: { email: string; name: string; manager?: string; timezone?: string; active?: boolean };
}

const COLUMNS = ["email", "name", "manager", "timezone", "active"];
const MAX_ROWS = 50_000;

export function parseUsersCsv(text: string): { ok: true; people: CsvPerson[] } | { ok: false; errors: string[] } {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(text.replace(/^\uFEFF/, ""), {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
      max_record_size: 10_000,
    });
  } catch (e) {
    return { ok: false, errors: [(e as Error).message.split("\n")[0] ?? "not a CSV file"] };
  }
  if (rows.length === 0) return { ok: false, errors: ["the file has no people in it (a header row, then one person per line)"] };
  if (rows.length > MAX_ROWS) return { ok: false, errors: [`at most ${MAX_ROWS} people per file`] };
  const header = Object.keys(rows[0]?.record ?? {});
  const errors: string[] = [];
  for (const required of ["email", "name"]) if (!header.includes(required)) errors.push(`the header row has no '${required}' column`);
  for (const h of header) if (!COLUMNS.includes(h)) errors.push(`unknown column '${h}' (expected ${COLUMNS.join(", ")})`);
  if (errors.length) return { ok: false, errors };

  const people: CsvPerson[] = [];
  for (const { record, info } of rows) {
    const user: CsvPerson["user"] = { email: record.email ?? "", name: record.name ?? "" };
    if (record.manager) user.manager = record.manager;
    if (record.timezone) user.timezone = record.timezone;
    if (record.active) {
      const v = record.active.toLowerCase();
      if (["true", "yes", "1"].includes(v)) user.active = true;
      else if (["false", "no", "0"].includes(v)) user.active = false;
      else errors.push(`line ${info.lines}, active: expected true or false, got '${record.active}'`);
    }
    people.push({ line: info.lines, user });
  }
  return errors.length ? { ok: false, errors } : { ok: true, people };
}
