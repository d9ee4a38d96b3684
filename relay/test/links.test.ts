import { eq } from "drizzle-orm";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { approvals, grants, magicLinkUses, requests } from "../src/db/schema/index.ts";
import { LINK_AUDIENCE, signDecisionLink } from "../src/keys/signing.ts";
import { bearer, docsRequest, engines, json, linkFrom, mailsTo, PUBLIC_URL, postWithCsrf, signedInSuite, submitForm } from "./harness.ts";

/** A GitHub request: the security group (Priya, Sam) approves, any one of them. */
const githubRequest = (repo: string) => ({
  app: "github",
  resource: { id: repo, name: repo, url: `https://github.com/${repo}` },
  message: "404",
  duration: "1h",
  reason: "On-call fix",
});

describe.each(engines)("decision links ($name)", (engine) => {
  const suite = signedInSuite(engine, "dana@acme.test", { LINK_TTL: "1h" });

  async function newRequest(repo: string) {
    const res = await suite.t.app.request("/api/v1/requests", json(githubRequest(repo), bearer(suite.token)));
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const link = async (email: string) => {
      const mails = await mailsTo(suite.t, email);
      const mail = mails.find((m) => m.text.includes(repo));
      return linkFrom(mail?.text ?? "", "/decide/");
    };
    return { id, priya: await link("priya@acme.test"), sam: await link("sam@acme.test") };
  }

  const problemOf = async (res: Response) => /data-problem="([a-z_]+)"/.exec(await res.text())?.[1];
  const stateOf = async (id: string) => (await suite.t.relay.database.db.select().from(requests).where(eq(requests.id, id)))[0]?.state;

  it("decides once; the link then says it was used, and the other approver's link died", async () => {
    const r = await newRequest("acme-corp/one");
    expect((await submitForm(suite.t, r.priya, { decision: "approve", duration: "1h" })).status).toBe(200);
    const again = await suite.t.app.request(r.priya);
    expect(again.status).toBe(410);
    expect(await problemOf(again)).toBe("used");
    const other = await suite.t.app.request(r.sam);
    expect(await problemOf(other)).toBe("decided");
    const replayed = await postWithCsrf(suite.t, r.sam, { decision: "reject" });
    expect(replayed.status).toBe(410);
    expect(await problemOf(replayed)).toBe("decided");
    expect(await suite.t.relay.database.db.select().from(grants).where(eq(grants.requestId, r.id))).toHaveLength(1);
  });

  it("refuses a tampered link and changes nothing", async () => {
    const r = await newRequest("acme-corp/two");
    const [head, payload, sig] = r.priya.split("/decide/")[1]?.split(".") ?? [];
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "00000000-0000-4000-8000-000000000000" })).toString("base64url");
    const flipped = `${sig?.[0] === "A" ? "B" : "A"}${sig?.slice(1)}`;
    for (const bad of [`/decide/${head}.${forged}.${sig}`, `/decide/${head}.${payload}.${flipped}`, "/decide/not-a-jwt"]) {
      const res = await suite.t.app.request(bad);
      expect(res.status).toBe(400);
      expect(await problemOf(res)).toBe("invalid");
    }
    expect(await stateOf(r.id)).toBe("pending");
  });

  it("refuses a link signed by a key that is not the relay's", async () => {
    const r = await newRequest("acme-corp/three");
    const claims = JSON.parse(Buffer.from(r.priya.split(".")[1] ?? "", "base64url").toString());
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const foreign = await new SignJWT({ rid: claims.rid, stp: claims.stp })
      .setProtectedHeader({ alg: "EdDSA", kid: (await exportJWK(publicKey)).x ?? "k", typ: "gatehouse-link+jwt" })
      .setIssuer(PUBLIC_URL)
      .setAudience(LINK_AUDIENCE)
      .setSubject(claims.sub)
      .setJti("foreign")
      .setExpirationTime("1h")
      .sign(privateKey);
    expect(await problemOf(await suite.t.app.request(`/decide/${foreign}`))).toBe("invalid");
    const res = await postWithCsrf(suite.t, `/decide/${foreign}`, { decision: "approve", duration: "1h" });
    expect(res.status).toBe(400);
    expect(await stateOf(r.id)).toBe("pending");
  });

  it("refuses an expired link", async () => {
    const r = await newRequest("acme-corp/four");
    suite.t.clock.advance(60 * 60_000 + 1000);
    const res = await suite.t.app.request(r.priya);
    expect(res.status).toBe(410);
    expect(await problemOf(res)).toBe("expired");
    expect(await stateOf(r.id)).toBe("pending");
  });

  it("binds a link to its approver: one approver's link cannot decide as another", async () => {
    const r = await newRequest("acme-corp/five");
    // A validly signed link for Lee, who is not an approver of this request.
    const [lee] = await suite.t.relay.database.db
      .execute<{ id: string }>("select id from users where email = 'lee@acme.test'")
      .then((x) => ("rows" in x ? (x.rows as { id: string }[]) : (x as unknown as { id: string }[])));
    const link = await signDecisionLink(
      suite.t.relay.keys,
      PUBLIC_URL,
      { approverId: lee?.id ?? "", requestId: r.id, step: 0, round: 0, jti: "lee-link" },
      suite.t.clock.now(),
      3600,
    );
    const res = await suite.t.app.request(`/decide/${link}`);
    expect(res.status).toBe(403);
    expect(await problemOf(res)).toBe("not_approver");
    expect(await stateOf(r.id)).toBe("pending");
  });

  it("binds a link to its request: an approver's link made out for another request decides nothing there", async () => {
    const mine = await newRequest("acme-corp/cross-a");
    // A docs request, which Lee approves; Priya's validly signed link names it, step and round included.
    const other = await suite.t.app.request("/api/v1/requests", json(docsRequest("1CrossRequestDocAbCdEf"), bearer(suite.token)));
    const otherId = ((await other.json()) as { id: string }).id;
    const claims = JSON.parse(Buffer.from(mine.priya.split("/decide/")[1]?.split(".")[1] ?? "", "base64url").toString()) as { sub: string };
    const forged = await signDecisionLink(
      suite.t.relay.keys,
      PUBLIC_URL,
      { approverId: claims.sub, requestId: otherId, step: 0, round: 0, jti: "cross-request" },
      suite.t.clock.now(),
      3600,
    );
    const res = await postWithCsrf(suite.t, `/decide/${forged}`, { decision: "approve", duration: "1h" });
    expect(res.status).toBe(403);
    expect(await problemOf(res)).toBe("not_approver");
    expect(await stateOf(otherId)).toBe("pending");
    // And a link cannot be pointed at another request by editing it: the signature covers the request id.
    const [h, p, sig] = mine.priya.split("/decide/")[1]?.split(".") ?? [];
    const body = JSON.parse(Buffer.from(p ?? "", "base64url").toString()) as Record<string, unknown>;
    const edited = `/decide/${h}.${Buffer.from(JSON.stringify({ ...body, rid: otherId })).toString("base64url")}.${sig}`;
    expect(await problemOf(await suite.t.app.request(edited))).toBe("invalid");
  });

  it("needs the page's CSRF token: a cross-site POST decides nothing", async () => {
    const r = await newRequest("acme-corp/six");
    const path = r.priya;
    const noToken = await suite.t.app.request(path, {
      method: "POST",
      headers: { origin: PUBLIC_URL, "content-type": "application/x-www-form-urlencoded" },
      body: "decision=approve&duration=1h",
    });
    expect(noToken.status).toBe(403);
    const crossSite = await suite.t.app.request(path, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: "decision=approve&duration=1h",
    });
    expect(crossSite.status).toBe(403);
    expect(await stateOf(r.id)).toBe("pending");
    expect(await suite.t.relay.database.db.select().from(magicLinkUses).where(eq(magicLinkUses.requestId, r.id))).toHaveLength(0);
  });

  it("rejects a duration the flow does not allow", async () => {
    const r = await newRequest("acme-corp/seven");
    const res = await submitForm(suite.t, r.priya, { decision: "approve", duration: "1000d" });
    expect(res.status).toBe(400);
    expect(await stateOf(r.id)).toBe("pending");
  });

  it("records a decision once when it arrives twice at the same moment", async () => {
    const r = await newRequest("acme-corp/race");
    const results = await Promise.all([
      submitForm(suite.t, r.priya, { decision: "approve", duration: "1h" }),
      submitForm(suite.t, r.priya, { decision: "approve", duration: "1h" }),
      submitForm(suite.t, r.sam, { decision: "reject" }),
      submitForm(suite.t, r.sam, { decision: "approve", duration: "1h" }),
    ]);
    const ok = results.filter((x) => x.status === 200);
    expect(ok).toHaveLength(1);
    const decided = await suite.t.relay.database.db.select().from(approvals).where(eq(approvals.requestId, r.id));
    expect(decided.filter((a) => a.state === "approved" || a.state === "rejected")).toHaveLength(1);
    expect(await suite.t.relay.database.db.select().from(magicLinkUses).where(eq(magicLinkUses.requestId, r.id))).toHaveLength(1);
    expect((await suite.t.relay.database.db.select().from(grants).where(eq(grants.requestId, r.id))).length).toBeLessThanOrEqual(1);
  });
});
