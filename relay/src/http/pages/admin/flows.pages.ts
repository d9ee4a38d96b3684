import { Hono } from "hono";
import { html } from "hono/html";
import { deleteFlow, moveFlow, saveFlow, setFlowEnabled } from "../../../admin/edits.ts";
import { type FlowInput, type FormValues, fieldOf, flowToForm, formToFlow, withStep } from "../../../admin/flow-form.ts";
import { editPolicy, type PolicyEdit, readPolicy } from "../../../admin/policy-edit.ts";
import type { Relay } from "../../../context.ts";
import { requestMeta } from "../../auth.ts";
import type { FieldErrors } from "../fields.ts";
import { FlowEditorView, FlowListView } from "./flows.views.ts";
import { formValues } from "./forms.ts";
import { issuesToFields } from "./issues.ts";
import { type AdminContext, type AdminEnv, adminPage } from "./layout.ts";

/** Flows: the ordered list (first match wins), and the editor. */
export function flowPages(relay: Relay) {
  const meta = (c: AdminContext) => requestMeta(c, relay.env.TRUST_PROXY);

  const list = async (c: AdminContext, errors?: FieldErrors) => {
    const config = await readPolicy(relay);
    const view = FlowListView({
      flows: config.flows ?? [],
      fallback: config.fallback ?? { enabled: true, max: "4h" },
      errors,
      csrf: c.get("csrf"),
    });
    return c.html(adminPage(c, "flows", "Access flows", view), errors ? 422 : 200);
  };

  const editor = (c: AdminContext, originalId: string | null, form: FormValues, errors?: FieldErrors, preview?: FlowInput) =>
    c.html(
      adminPage(
        c,
        "flows",
        originalId ? `Flow ${form.name}` : "New flow",
        FlowEditorView({ originalId, form, errors, preview, csrf: c.get("csrf") }),
      ),
      errors ? 422 : 200,
    );

  const submit = async (c: AdminContext, originalId: string | null) => {
    const form = await formValues(c);
    const intent = form.intent ?? "save";
    delete form.intent;
    if (intent === "add_step") return editor(c, originalId, withStep(form, "add"), undefined, formToFlow(form));
    if (intent.startsWith("remove_step:")) return editor(c, originalId, withStep(form, { remove: Number(intent.slice(12)) }));
    if (originalId) form.id = originalId;
    const flow = formToFlow(form);
    const result = await editPolicy(relay, c.get("admin").user, meta(c), saveFlow(originalId, flow));
    if (!result.ok) return editor(c, originalId, form, issuesToFields(result.issues, result.focus, fieldOf), flow);
    return c.redirect(`/admin/flows?done=flow-saved&stranded=${result.strandedRequests}`, 303);
  };

  /** A one-button change from the list; problems are shown on the list. */
  const listEdit = async (c: AdminContext, edit: PolicyEdit, done: string) => {
    const result = await editPolicy(relay, c.get("admin").user, meta(c), edit);
    if (!result.ok)
      return list(
        c,
        issuesToFields(result.issues, [], () => ""),
      );
    return c.redirect(`/admin/flows?done=${done}&stranded=${result.strandedRequests}`, 303);
  };

  return new Hono<AdminEnv>()
    .get("/admin/flows", (c) => list(c))
    .get("/admin/flows/new", (c) => editor(c, null, flowToForm(null)))
    .post("/admin/flows/new", (c) => submit(c, null))
    .get("/admin/flows/:id", async (c) => {
      const flow = (await readPolicy(relay)).flows?.find((f) => f.id === c.req.param("id"));
      if (!flow)
        return c.html(adminPage(c, "flows", "No such flow", html`<h1>No such flow</h1><p><a href="/admin/flows">All flows</a></p>`), 404);
      return editor(c, flow.id, flowToForm(flow), undefined, flow);
    })
    .post("/admin/flows/:id", (c) => submit(c, c.req.param("id")))
    .post("/admin/flows/:id/move", async (c) => {
      const form = await formValues(c);
      return listEdit(c, moveFlow(c.req.param("id"), form.by === "-1" ? -1 : 1), "flow-moved");
    })
    .post("/admin/flows/:id/toggle", async (c) => {
      const form = await formValues(c);
      return listEdit(c, setFlowEnabled(c.req.param("id"), form.enabled === "true"), "flow-toggled");
    })
    .post("/admin/flows/:id/delete", (c) => listEdit(c, deleteFlow(c.req.param("id")), "flow-deleted"));
}
