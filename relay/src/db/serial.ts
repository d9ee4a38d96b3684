/**
 * Database handles whose transactions run one at a time (PGlite: one
 * connection, in process). There nothing can commit between a unit of
 * work's read of the audit chain's head and its commit, so it hashes its
 * events onto the head itself (db/audit-chainer.ts `chainInTransaction`):
 * two statements instead of an inbox insert and a chain pass of six.
 * A module of its own so the client can mark handles without a cycle.
 */
const serial = new WeakSet<object>();

export function markSerial(db: object): void {
  serial.add(db);
}

export const isSerial = (db: object): boolean => serial.has(db);
