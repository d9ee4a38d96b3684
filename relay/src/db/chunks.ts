/**
 * A long list in slices, for statements that take many rows or ids at once:
 * PostgreSQL allows 65,535 parameters per statement, so a batch of
 * thousands is written in several. Order is kept (identity values follow
 * the VALUES order, which the audit chain relies on).
 */
export function* chunks<T>(items: readonly T[], size = 1000): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
