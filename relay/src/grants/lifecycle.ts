import type { NoticeKind } from "@gatehouse/shared";
import { durationMs } from "@gatehouse/shared";
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { enqueueMail } from "../channels/outbox.ts";
import type { WebhookEvent } from "../channels/webhook.ts";
import type { Relay } from "../context.ts";
import {
  type ExtendRules,
  type GrantEffect,
  type GrantEvent,
  type GrantFacts,
  type GrantPatch,
  type GrantState,
  initialGrant,
  nextWarningAt,
  type Transition,
  transition,
} from "../core/grant-lifecycle.ts";
import { resourceTagsOf } from "../core/policy/evaluate.ts";
import type { FlowDefinition, GrantSettings, ResourceTag } from "../core/policy/model.ts";
import { renderTarget, TemplateError } from "../core/policy/template.ts";
import { chunks } from "../db/chunks.ts";
import type { Db, Tx } from "../db/client.ts";
import { accessFlows, grants, groups, memberships, outbox, requests, settings, users } from "../db/schema/index.ts";
import { appendAudit } from "../db/unit-of-work.ts";
import { grantFailedMail } from "../mail/templates.ts";
import { loadGrantSettings, RESOURCE_TAGS_SETTING } from "../policy/snapshot.ts";
import type { RequestRow } from "../requests/context.ts";
import { notifyRequester, onlineUsers, publishEvent } from "../requests/notify.ts";

/**
 * The grant's life as the relay runs it: load the grant under a row lock,
 * ask the pure machine (core/grant-lifecycle.ts) what changes, write the
 * patch and hand its effects on — provider calls to the outbox, notices,
 * audit events, admin alerts — all in the caller's transaction. Nothing here
 * calls a provider: calls are rows of the outbox, sent after commit
 * (grants/effects.ts).
 */
export type GrantRow = typeof grants.$inferSelect;

export function grantFacts(g: GrantRow): GrantFacts {
  return {
    state: g.state,
    durationMs: durationMs(g.duration),
    startsAt: g.startsAt,
    endsAt: g.endsAt,
    hasProvider: g.providerId !== null,
    grantQueued: g.grantQueued,
    endReason: g.endReason,
    failedAction: g.failedAction,
    extensions: g.extensions,
  };
}

/** The NOTIFY channel that tells every relay's grant clock (workers.ts) of a grant due before it would look again; the payload is the time. */
export const GRANT_DUE_CHANNEL = "gatehouse_grant_due";

/**
 * What the grant clock (grants/expiry.ts) waits for, by state: an active
 * grant's end and next warning, a scheduled grant's start, the deadline of
 * one waiting to be started.
 */
export const CLOCK_TIMES = [
  ["active", "endsAt"],
  ["active", "warnAt"],
  ["scheduled", "startsAt"],
  ["awaiting_start", "startBy"],
] as const satisfies readonly (readonly [GrantState, "endsAt" | "warnAt" | "startsAt" | "startBy"])[];

/** When the grant clock next has something to do with this grant (null: nothing). */
export function clockTimeOf(g: GrantRow): Date | null {
  let soonest: Date | null = null;
  for (const [state, column] of CLOCK_TIMES) {
    const at = g.state === state ? g[column] : null;
    if (at && (!soonest || at < soonest)) soonest = at;
  }
  return soonest;
}

/**
 * Tells every relay's grant clock, after commit, of the soonest of these
 * grants' times when it comes before the clocks look again on their own
 * (each does at least every EXPIRY_INTERVAL_MS, and sleeps until the next
 * time it found): one NOTIFY, and none for the usual grant that ends later.
 */
async function announceClockTimes(relay: Relay, tx: Tx, rows: GrantRow[]): Promise<void> {
  const horizon = relay.clock.now().getTime() + relay.env.EXPIRY_INTERVAL_MS;
  let soonest: Date | null = null;
  for (const g of rows) {
    const at = clockTimeOf(g);
    if (at && at.getTime() < horizon && (!soonest || at < soonest)) soonest = at;
  }
  if (soonest) await tx.execute(sql`select pg_notify(${GRANT_DUE_CHANNEL}, ${soonest.toISOString()})`);
}

/** The idempotency key of one provider call: the same on every retry of it. */
export const effectKey = (grantId: string, action: string, generation: number) => `${grantId}:${action}:${generation}`;

/** The flow a request was made under, as stored now (null: the fallback, or a flow since deleted). */
export async function flowOf(tx: Db | Tx, flowId: string): Promise<FlowDefinition | null> {
  const [row] = await tx.select({ definition: accessFlows.definition }).from(accessFlows).where(eq(accessFlows.id, flowId));
  return row?.definition ?? null;
}

/**
 * A flow's `extend` as the machine takes it. `allowed` defaults to the
 * flow's own; an approved extension passes `true` (its approvers said yes).
 */
export function extendRulesOf(rule: FlowDefinition["extend"], allowed = rule?.allowed === true): ExtendRules {
  return { allowed, times: rule?.times, maxTotalMs: rule?.max ? durationMs(rule.max) : null };
}

/**
 * The grant of a finally approved request: where it goes (the flow's
 * provider, its target rendered now and stored, so a later policy change
 * cannot move where the revoke goes) and its first state.
 */
export async function createGrant(
  relay: Relay,
  tx: Tx,
  request: RequestRow,
  decision: { duration: string; wholeApp: boolean },
  actor: string,
  now: Date,
): Promise<GrantRow> {
  const flow = await flowOf(tx, request.flowId);
  const settings = await loadGrantSettings(tx);
  const { target, error: targetError } = flow?.grant
    ? await renderGrantTarget(tx, flow, request, decision.duration)
    : { target: null, error: null };
  const activation = flow?.activation ?? "on_approval";
  const start = initialGrant({
    now,
    durationMs: durationMs(decision.duration),
    hasProvider: !!flow?.grant,
    activation,
    startAt: request.startAt,
  });
  const startWithinMs = durationMs(flow?.startWithin ?? settings.startWithin) ?? 86_400_000;
  const [grant] = await tx
    .insert(grants)
    .values({
      requestId: request.id,
      userId: request.requesterId,
      app: request.app,
      resourceId: decision.wholeApp ? null : request.resourceId,
      scope: decision.wholeApp ? "app" : "resource",
      state: start.state,
      startsAt: start.startsAt,
      endsAt: start.endsAt,
      duration: decision.duration,
      flowId: request.flowId,
      providerId: flow?.grant?.provider ?? null,
      target,
      grantQueued: start.effects.some((e) => e.kind === "call" && e.action === "grant"),
      startBy: start.state === "awaiting_start" ? new Date(now.getTime() + startWithinMs) : null,
      warnAt: start.state === "active" ? warnAtFor(start, settings, now) : null,
      updatedAt: now,
    })
    .returning();
  if (!grant) throw new Error("grant insert returned nothing");
  await announceClockTimes(relay, tx, [grant]);
  await runEffects(relay, tx, [{ grant, request, effects: start.effects, now }], actor);
  // A target that cannot be rendered would fail on every try: the grant fails now, loudly.
  if (targetError && grant.state === "provisioning") {
    await tx
      .update(outbox)
      .set({ state: "cancelled" })
      .where(and(eq(outbox.grantId, grant.id), eq(outbox.state, "pending")));
    const failed = await applyGrantEvent(
      relay,
      tx,
      grant.id,
      { type: "provider_gave_up", action: "grant", error: targetError, now },
      "relay",
    );
    if (failed.grant) return failed.grant;
  }
  return grant;
}

/** Where a grant of `flow` goes for this request: its `grant.target` filled in, or why it cannot be. */
export async function renderGrantTarget(
  tx: Tx,
  flow: FlowDefinition,
  request: RequestRow,
  duration: string,
): Promise<{ target: Record<string, string> | null; error: string | null }> {
  if (!flow.grant) return { target: null, error: null };
  try {
    return { target: renderTarget(flow.grant.target, await templateContext(tx, request, duration)), error: null };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { target: null, error: `The provisioning target cannot be worked out for this request: ${e.message}` };
  }
}

/** The grant's next warning after `after` under the relay-wide warnings. */
export function warnAtFor(g: { startsAt: Date; endsAt: Date | null }, settings: GrantSettings, after: Date): Date | null {
  const warnings = settings.warnings.map((w) => ({
    beforeMs: durationMs(w.before) ?? 0,
    minGrantMs: w.minGrant ? durationMs(w.minGrant) : null,
  }));
  return nextWarningAt(g, warnings, after);
}

/**
 * Applies one event to a grant in the caller's transaction: the grant row is
 * locked first, so two events at once (an expiry and a release, a callback
 * and a retry) are applied one after the other, each to the state the
 * other left. Returns the machine's answer and the grant as it is now.
 */
export async function applyGrantEvent(
  relay: Relay,
  tx: Tx,
  grantId: string,
  event: GrantEvent,
  actor: string,
  meta: { ip?: string | null; userAgent?: string | null } = {},
): Promise<{ result: Transition; grant: GrantRow | null }> {
  const [locked] = await tx.select().from(grants).where(eq(grants.id, grantId)).for("update");
  if (!locked) return { result: { ok: false, problem: "not_applicable", detail: "no such grant" }, grant: null };
  const [applied] = await applyGrantEvents(relay, tx, [{ grant: locked, event }], actor, meta);
  return applied as { result: Transition; grant: GrantRow };
}

type Meta = { ip?: string | null; userAgent?: string | null };

/**
 * The unit of work behind every grant transition: events applied to grants
 * the caller has already locked (`FOR UPDATE`), in its transaction, with the
 * statements folded across grants — one UPDATE per distinct change, one read
 * of the requests, one insert of all provider calls, one cancel per action —
 * so ending a thousand grants in one second costs a handful of statements
 * per batch instead of a dozen per grant. The machine decides each grant on
 * its own; only the writing is shared. Results come back in input order.
 */
export async function applyGrantEvents(
  relay: Relay,
  tx: Tx,
  items: { grant: GrantRow; event: GrantEvent }[],
  actor: string,
  meta: Meta = {},
): Promise<{ result: Transition; grant: GrantRow }[]> {
  const out: { result: Transition; grant: GrantRow }[] = items.map(({ grant, event }) => ({
    result: transition(grantFacts(grant), event),
    grant,
  }));
  const changing = out.map((o, i) => ({ o, event: (items[i] as { event: GrantEvent }).event })).filter(({ o }) => o.result.ok);
  if (changing.length === 0) return out;

  // What each grant's row becomes; fields the change leaves as they are are not written, so alike changes fold into one UPDATE.
  let grantSettings: GrantSettings | null = null;
  const groups = new Map<string, { set: Record<string, unknown>; ids: string[] }>();
  for (const { o, event } of changing) {
    const result = o.result as Extract<Transition, { ok: true }>;
    const locked = o.grant;
    const now = event.now;
    const patch: GrantPatch & { grantQueued?: boolean; warnAt?: Date | null; updatedAt: Date } = { ...result.patch, updatedAt: now };
    if (result.effects.some((e) => e.kind === "call" && e.action === "grant")) patch.grantQueued = true;
    const after = { ...locked, ...patch } as GrantRow;
    if (after.state !== "active") patch.warnAt = null;
    else if (patch.endsAt !== undefined || patch.state === "active") {
      grantSettings ??= await loadGrantSettings(tx);
      patch.warnAt = warnAtFor(after, grantSettings, now);
    }
    const set: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(patch)) {
      const current = (locked as Record<string, unknown>)[key];
      const same = value instanceof Date && current instanceof Date ? value.getTime() === current.getTime() : value === current;
      if (!same || key === "updatedAt") set[key] = value;
    }
    const shape = JSON.stringify(Object.entries(set).sort(([a], [b]) => (a < b ? -1 : 1)));
    const group = groups.get(shape) ?? { set, ids: [] };
    group.ids.push(locked.id);
    groups.set(shape, group);
  }
  const updated = new Map<string, GrantRow>();
  for (const { set, ids } of groups.values())
    for (const part of chunks(ids))
      for (const row of await tx.update(grants).set(set).where(inArray(grants.id, part)).returning()) updated.set(row.id, row);
  await announceClockTimes(relay, tx, [...updated.values()]);

  const requestIds = [...new Set([...updated.values()].map((g) => g.requestId))];
  const requestRows = new Map<string, RequestRow>();
  for (const part of chunks(requestIds))
    for (const r of await tx.select().from(requests).where(inArray(requests.id, part))) requestRows.set(r.id, r);

  const work: EffectWork[] = [];
  for (const { o, event } of changing) {
    const grant = updated.get(o.grant.id);
    if (!grant) throw new Error("grant vanished");
    const request = requestRows.get(grant.requestId);
    if (!request) throw new Error("request vanished");
    o.grant = grant;
    work.push({ grant, request, effects: (o.result as Extract<Transition, { ok: true }>).effects, now: event.now });
  }
  await runEffects(relay, tx, work, actor, meta);
  return out;
}

const WEBHOOK_OF: Partial<Record<NoticeKind, WebhookEvent>> = {
  "grant.started": "grant.started",
  "grant.ended": "grant.ended",
  "grant.failed": "grant.failed",
  "grant.extended": "grant.extended",
};

interface EffectWork {
  grant: GrantRow;
  request: RequestRow;
  effects: GrantEffect[];
  now: Date;
}

/**
 * Hands on the machine's effects for many grants at once: cancels first (a
 * grant that is ending must not be provisioned after), then the provider
 * calls, audit events, notices and admin alerts, each kind folded into as
 * few statements as it allows.
 */
async function runEffects(relay: Relay, tx: Tx, work: EffectWork[], actor: string, meta: Meta = {}): Promise<void> {
  const each = <K extends GrantEffect["kind"]>(kind: K) =>
    work.flatMap((w) =>
      w.effects.filter((e): e is Extract<GrantEffect, { kind: K }> => e.kind === kind).map((effect) => ({ ...w, effect })),
    );

  // A call already being sent (leased) is not cancelled under its sender: it stays pending, so the
  // revoke waits for its answer (effects.ts) instead of overtaking it; its sender then finds the grant ending.
  const cancels = each("cancel_calls");
  for (const action of new Set(cancels.map((c) => c.effect.action))) {
    const ids = cancels.filter((c) => c.effect.action === action).map((c) => c.grant.id);
    const now = cancels[0]?.now ?? relay.clock.now();
    for (const part of chunks(ids))
      await tx
        .update(outbox)
        .set({ state: "cancelled", lastError: "no longer wanted: the grant is ending" })
        .where(
          and(
            inArray(outbox.grantId, part),
            eq(outbox.action, action),
            inArray(outbox.state, ["pending", "waiting"]),
            or(isNull(outbox.leasedUntil), lte(outbox.leasedUntil, now)),
          ),
        );
  }

  await queueCalls(
    tx,
    each("call").map((c) => ({ grant: c.grant, request: c.request, action: c.effect.action, generation: c.effect.generation, now: c.now })),
  );

  for (const { grant, effect, now } of each("audit"))
    await appendAudit(tx, {
      at: now,
      actor,
      action: effect.action,
      requestId: grant.requestId,
      grantId: grant.id,
      data: { ...effect.data, state: grant.state },
      ip: meta.ip ?? null,
      userAgent: meta.userAgent ?? null,
    });

  const notices = each("notice");
  if (notices.length) {
    const online = await onlineUsers(
      tx,
      notices.map((n) => n.request.requesterId),
      notices[0]?.now ?? relay.clock.now(),
    );
    for (const { grant, request, effect, now } of notices) {
      await notifyRequester(
        relay,
        tx,
        request,
        effect.notice,
        noticeLine(effect.notice, grant),
        now,
        grant.id,
        online.has(request.requesterId),
      );
      const hook = WEBHOOK_OF[effect.notice];
      if (hook) await publishEvent(relay, tx, hook, request, { grant: { id: grant.id, state: grant.state, reason: grant.endReason } }, now);
    }
  }

  for (const { grant, request, effect, now } of each("alert_admins"))
    await alertAdmins(relay, tx, grant, request, effect.action, effect.error, now);
}

/** Queues provider calls in one insert; a call's key makes queueing it twice a no-op. */
async function queueCalls(
  tx: Tx,
  calls: { grant: GrantRow; request: RequestRow; action: string; generation: number; now: Date }[],
): Promise<void> {
  if (calls.length === 0) return;
  const userIds = [...new Set(calls.map((c) => c.grant.userId))];
  const emails = new Map(
    (await tx.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, userIds))).map((u) => [u.id, u.email]),
  );
  const rows = calls.map(({ grant, request, action, generation, now }) => {
    const where = targetLabel(grant) ?? grant.providerId ?? "";
    const verb = action === "grant" ? "Add" : action === "revoke" ? "Remove" : "Extend";
    const line = `${verb} ${emails.get(grant.userId) ?? grant.userId} (${where})`;
    return {
      channel: "provider",
      to: grant.providerId ?? "",
      subject: line,
      text: line,
      html: "",
      payload: { generation },
      requestId: request.id,
      event: `grant.${action}`,
      grantId: grant.id,
      action,
      key: effectKey(grant.id, action, generation),
      nextAttemptAt: now,
      createdAt: now,
    };
  });
  for (const part of chunks(rows, 500)) await tx.insert(outbox).values(part).onConflictDoNothing({ target: outbox.key });
  // Wakes the outbox worker of every instance after commit.
  await tx.execute(sql`select pg_notify(${EFFECTS_CHANNEL}, '')`);
}

/** The NOTIFY channel that wakes outbox workers when a provider call is queued. */
export const EFFECTS_CHANNEL = "gatehouse_effects";

/** Where the access is given, in words: `acme-scim: group docs-readers`. */
export function targetLabel(g: Pick<GrantRow, "providerId" | "target">): string | null {
  if (!g.providerId) return null;
  const fields = Object.entries(g.target ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return fields ? `${g.providerId}: ${fields}` : g.providerId;
}

function noticeLine(kind: NoticeKind, g: GrantRow): string {
  const until = g.endsAt ? ` until ${g.endsAt.toISOString().slice(11, 16)} UTC` : " until revoked";
  switch (kind) {
    case "grant.started":
      return `Your access is in place${until}. Reload the page to continue.`;
    case "grant.failed":
      return g.failedAction === "revoke"
        ? "Removing your access did not go through; the admins were told."
        : "Your request was approved, but setting up the access did not work. The admins were told.";
    case "grant.extended":
      return `Your access was extended${until}.`;
    case "grant.ending":
      return "Your access is being removed.";
    case "grant.ended":
      return g.endReason === "revoked"
        ? "An admin revoked your access."
        : g.endReason === "released"
          ? "You ended your access."
          : g.endReason === "not_started"
            ? "Your approved access was never started and has lapsed."
            : "Your access has ended.";
    case "grant.expiring":
      return `Your access ends${until}.`;
    default:
      return `Your access is ${g.state}.`;
  }
}

/** A call that gave up: every active admin is mailed; the admin UI shows it too (failed grants and deliveries). */
async function alertAdmins(relay: Relay, tx: Tx, grant: GrantRow, request: RequestRow, action: string, error: string, now: Date) {
  const admins = await tx
    .select()
    .from(users)
    .where(and(eq(users.isAdmin, true), eq(users.active, true)));
  const [requester] = await tx.select().from(users).where(eq(users.id, grant.userId));
  for (const admin of admins) {
    await enqueueMail(
      tx,
      grantFailedMail({
        to: admin.email,
        action: action === "revoke" ? "revoke" : "grant",
        requester: requester?.email ?? "",
        app: grant.app,
        resource: grant.resourceId ?? "(whole app)",
        target: targetLabel(grant) ?? "",
        error,
        link: `${relay.env.publicUrl}/admin/requests/${request.id}`,
      }),
      now,
      !relay.env.SMTP_URL,
      { requestId: request.id, event: "grant.failed" },
    );
  }
}

/** What templates see of a request: the requester (with groups and accounts), the resource, the request. */
async function templateContext(tx: Tx, request: RequestRow, duration: string) {
  const [requester] = await tx.select().from(users).where(eq(users.id, request.requesterId));
  const tagRows = await tx.select({ value: settings.value }).from(settings).where(eq(settings.key, RESOURCE_TAGS_SETTING));
  const groupRows = await tx
    .select({ id: groups.id })
    .from(memberships)
    .innerJoin(groups, eq(groups.id, memberships.groupId))
    .where(eq(memberships.userId, request.requesterId));
  return {
    requester: {
      email: requester?.email ?? "",
      name: requester?.name ?? "",
      groups: groupRows.map((g) => g.id),
      manager: requester?.managerEmail ?? "",
      timezone: requester?.timezone ?? "UTC",
      accounts: requester?.accounts ?? {},
    },
    resource: {
      app: request.app,
      id: request.resourceId ?? "",
      name: request.resourceName ?? "",
      url: request.resourceUrl,
      tags: resourceTagsOf((tagRows[0]?.value as ResourceTag[] | undefined) ?? [], request.app, request.resourceId),
    },
    request: { duration, reason: request.reason, ticket: request.ticket ?? "" },
  };
}
