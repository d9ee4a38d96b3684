import { Hono } from "hono";
import { html } from "hono/html";
import type { Relay } from "../../../context.ts";
import { grantOfRequest, retryGrant, revokeGrant } from "../../../grants/admin.ts";
import { adminEndRequest, listRequests, REQUEST_LISTS, type RequestList, requestRecord } from "../../../requests/admin.ts";
import { requestMeta } from "../../auth.ts";
import { isUuid } from "../params.ts";
import { formValues } from "./forms.ts";
import { type AdminEnv, adminPage } from "./layout.ts";
import { RequestListView, RequestView } from "./requests.views.ts";

const isList = (s: string | undefined): s is RequestList => (REQUEST_LISTS as readonly (string | undefined)[]).includes(s);

/** Requests: the open ones by default, any state on demand; each with its whole approval path. */
export function requestPages(relay: Relay) {
  return new Hono<AdminEnv>()
    .get("/admin/requests", async (c) => {
      const state = c.req.query("state");
      const list = isList(state) ? state : "open";
      return c.html(adminPage(c, "requests", "Requests", RequestListView({ list, rows: await listRequests(relay, list) })));
    })
    .get("/admin/requests/:id", async (c) => {
      const id = c.req.param("id");
      const record = isUuid(id) ? await requestRecord(relay, id) : null;
      if (!record) return c.html(adminPage(c, "requests", "Not found", html`<h1>No such request</h1>`), 404);
      return c.html(adminPage(c, "requests", "Request", RequestView({ record, csrf: c.get("csrf") })));
    })
    .post("/admin/requests/:id/grant", async (c) => {
      const id = c.req.param("id");
      const form = await formValues(c);
      if (!isUuid(id)) return c.redirect("/admin/requests", 303);
      const grant = await grantOfRequest(relay, id);
      if (!grant) return c.redirect(`/admin/requests/${id}`, 303);
      const admin = c.get("admin").user.email;
      const meta = requestMeta(c, relay.env.TRUST_PROXY);
      const result =
        form.action === "retry"
          ? await retryGrant(relay, admin, grant.id, meta)
          : await revokeGrant(relay, admin, grant.id, (form.reason ?? "").trim().slice(0, 1000), meta);
      const done = result.ok ? (form.action === "retry" ? "grant-retried" : "grant-revoked") : "grant-unchanged";
      return c.redirect(`/admin/requests/${id}?done=${done}`, 303);
    })
    .post("/admin/requests/:id/end", async (c) => {
      const id = c.req.param("id");
      const form = await formValues(c);
      const action = form.action === "deny" ? "deny" : form.action === "cancel" ? "cancel" : null;
      if (!isUuid(id) || !action) return c.redirect("/admin/requests", 303);
      const note = (form.note ?? "").trim().slice(0, 1000);
      const done = await adminEndRequest(relay, c.get("admin").user, id, action, note, requestMeta(c, relay.env.TRUST_PROXY));
      return c.redirect(`/admin/requests/${id}?done=${done ? `request-${action}` : "request-not-open"}`, 303);
    });
}
