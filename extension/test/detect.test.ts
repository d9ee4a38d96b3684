import { readFileSync } from "node:fs";
import { DetectionRuleSchema } from "@gatehouse/shared";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { APP_DENIALS } from "../src/detect/catalog-words.ts";
import { extract } from "../src/detect/extract.ts";
import { CATALOG, compileRules, detect, identifyApp } from "../src/detect/index.ts";
import { readPage } from "../src/detect/page.ts";
import { DENIAL, HINTS, LANGUAGES, ORG_RESTRICTED, PENDING } from "../src/detect/phrases.ts";
import { mayBeDenied } from "../src/detect/screen.ts";

const page = (html: string) => parseHTML(html).document as unknown as Document;
const fixture = readFileSync(new URL("../../test/e2e/fixtures/google-docs-you-need-access.html", import.meta.url), "utf8");

/** A minimal denial page: the app's chrome does not matter to the generic vocabulary. */
const denial = (heading: string, detail = "", title = heading) =>
  page(`<!doctype html><html><head><title>${title}</title></head><body><header><a href="/logout">Sign out</a></header>
  <main><h1>${heading}</h1><p>${detail}</p></main></body></html>`);

describe("detect() on catalog apps", () => {
  it.each([
    [
      "https://docs.google.com/document/d/1Qm7vXcR2pLkT9sWbN4eYhJ8uFzA3dG6oKiE0tP5rBqM/edit",
      "1Qm7vXcR2pLkT9sWbN4eYhJ8uFzA3dG6oKiE0tP5rBqM",
    ],
    ["https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUv/edit#gid=0", "1AbCdEfGhIjKlMnOpQrStUv"],
    ["https://docs.google.com/presentation/u/1/d/1PresentationId_-xyz/view", "1PresentationId_-xyz"],
    ["https://drive.google.com/drive/folders/0BFolderIdAbCdEf", "0BFolderIdAbCdEf"],
    ["https://drive.google.com/open?id=1OpenIdAbCdEfGh", "1OpenIdAbCdEfGh"],
  ])("finds Google's 'You need access' at %s", (url, id) => {
    const d = detect(page(fixture), new URL(url));
    expect(d).toMatchObject({ app: "google-docs", resource: { id, url } });
    expect(d?.message).toContain("You need access. Ask for access, or switch to an account with access.");
    expect(d?.confidence).toBeGreaterThan(0.8);
  });

  // One URL per catalog app, with the resource id its convention (docs/detection.md) gives.
  const RESOURCES: [string, string, string | null][] = [
    ["google-docs", "https://docs.google.com/forms/d/1FormIdAbCdEfGhIj/viewform", "1FormIdAbCdEfGhIj"],
    ["github", "https://github.com/acme-corp/billing-service/pull/12/files", "acme-corp/billing-service"],
    ["gitlab", "https://gitlab.com/acme-corp/platform/deploy-tools/-/merge_requests/4", "acme-corp/platform/deploy-tools"],
    ["bitbucket", "https://bitbucket.org/acme-corp/infra-terraform/src/main/", "acme-corp/infra-terraform"],
    ["notion", "https://www.notion.so/acme-corp/Q3-Pricing-8f2c1e9a4b7d4c0e9a1f3b5d7c9e2a4f", "8f2c1e9a4b7d4c0e9a1f3b5d7c9e2a4f"],
    ["jira", "https://acme-corp.atlassian.net/browse/PAY-2231", "PAY-2231"],
    ["jira", "https://acme-corp.atlassian.net/jira/software/projects/HRIS/boards/12", "HRIS"],
    ["confluence", "https://acme-corp.atlassian.net/wiki/spaces/ENG/pages/2288451607/Postmortem", "2288451607"],
    ["confluence", "https://acme-corp.atlassian.net/wiki/spaces/LEGAL/overview", "LEGAL"],
    ["figma", "https://www.figma.com/board/kT3pW9vLq2Xc8RbN5mZ1aD/Retro?node-id=0-1", "kT3pW9vLq2Xc8RbN5mZ1aD"],
    ["aws-console", "https://us-east-1.console.aws.amazon.com/s3/buckets/acme-prod-invoices?region=us-east-1", "acme-prod-invoices"],
    [
      "aws-console",
      "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/payout-worker?tab=code",
      "payout-worker",
    ],
    [
      "aws-console",
      "https://us-east-1.console.aws.amazon.com/secretsmanager/secret?name=prod%2Fdb%2Fpassword&region=us-east-1",
      "prod/db/password",
    ],
    ["salesforce", "https://acme-corp.lightning.force.com/lightning/r/Opportunity/0068c00001Qx7ZbAAJ/view", "0068c00001Qx7ZbAAJ"],
    ["salesforce", "https://acme-corp.my.salesforce.com/0018c00002Lm4Qw", "0018c00002Lm4Qw"],
    ["slack", "https://app.slack.com/client/T04ACME1234/C06PRIV4567", "C06PRIV4567"],
    ["slack", "https://acme-corp.slack.com/archives/C06PRIV4567/p1712345678", "C06PRIV4567"],
    ["dropbox", "https://www.dropbox.com/scl/fi/7xk2m9qp4tz1vb8hc3nd5/Deck.pdf?rlkey=h2n8&dl=0", "7xk2m9qp4tz1vb8hc3nd5"],
    ["dropbox", "https://www.dropbox.com/home/Globex%20Finance/Audit%202024", "Globex Finance/Audit 2024"],
    ["box", "https://app.box.com/folder/228133014571", "228133014571"],
    ["airtable", "https://airtable.com/appQ7mZ2xK9vB4nT1/tblH3pL8sR6wY0cD5/viwA2kF9jN4qT7xM1", "appQ7mZ2xK9vB4nT1"],
    ["linear", "https://linear.app/acme/issue/ENG-482/fix-retries", "ENG-482"],
    ["sentry", "https://acme-corp.sentry.io/projects/checkout-web/?project=45078", "checkout-web"],
    ["sentry", "https://acme-corp.sentry.io/issues/5098123456/?project=4507821934512128", "5098123456"],
    ["datadog", "https://app.datadoghq.eu/notebook/8812345/incident-review", "8812345"],
    ["grafana", "https://acme.grafana.net/d/be7rq2tz1k3y8f/payments-slo?orgId=1", "be7rq2tz1k3y8f"],
    [
      "azure-portal",
      "https://portal.azure.com/#@acme.onmicrosoft.com/resource/subscriptions/3f2a/resourceGroups/rg-pay/providers/Microsoft.Web/sites/pay-api/overview",
      "/subscriptions/3f2a/resourceGroups/rg-pay/providers/Microsoft.Web/sites/pay-api",
    ],
    ["gcp-console", "https://console.cloud.google.com/compute/instances?project=acme-analytics-prod", "acme-analytics-prod"],
    ["okta", "https://acme-corp.okta.com/app/acme-corp_tableaucloud_1/exk9t2b7xLmQ4vR1d697/sso/saml", "exk9t2b7xLmQ4vR1d697"],
    ["zendesk", "https://acme.zendesk.com/agent/tickets/48211", "48211"],
    ["hubspot", "https://app.hubspot.com/contacts/4412345/record/0-1/90112", "90112"],
    ["miro", "https://miro.com/app/board/uXjVKz8aQ2E=/", "uXjVKz8aQ2E="],
    ["asana", "https://app.asana.com/0/1204567890/1205678901/f", "1205678901"],
    ["trello", "https://trello.com/c/Ab12Cd34/17-launch-checklist", "Ab12Cd34"],
    ["clickup", "https://app.clickup.com/t/86b0xyz12", "86b0xyz12"],
    ["monday", "https://acme-corp.monday.com/boards/4829173650", "4829173650"],
    ["loom", "https://www.loom.com/share/3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c", "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"],
    ["sharepoint", "https://acmecorp.sharepoint.com/:x:/r/sites/Finance/_layouts/15/Doc.aspx?sourcedoc=x", "sites/Finance"],
    ["sharepoint", "https://acmecorp.sharepoint.com/:w:/s/Legal/EaBcD", "sites/Legal"],
    ["onedrive", "https://acmecorp-my.sharepoint.com/:x:/g/personal/dana_acme_com/EQx?e=1", "personal/dana_acme_com"],
    ["vercel", "https://vercel.com/acme/checkout-web/settings", "acme/checkout-web"],
    ["vercel", "https://checkout-web-git-main-acme.vercel.app/", "checkout-web-git-main-acme.vercel.app"],
    ["netlify", "https://app.netlify.com/sites/acme-docs/deploys", "acme-docs"],
    ["heroku", "https://dashboard.heroku.com/apps/acme-billing-api", "acme-billing-api"],
    ["stripe-dashboard", "https://dashboard.stripe.com/acct_1Nx/payments/pi_3PqRsT", "pi_3PqRsT"],
    ["pagerduty", "https://acme.pagerduty.com/service-directory/PX7Y2Z9", "PX7Y2Z9"],
    ["retool", "https://acme.retool.com/apps/5e0f8c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b/Refunds", "5e0f8c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"],
    ["looker", "https://acme.cloud.looker.com/dashboards/1187", "1187"],
    ["tableau", "https://10ay.online.tableau.com/#/site/acme/views/Q3Pipeline/Overview", "Q3Pipeline/Overview"],
    ["metabase", "https://acme.metabaseapp.com/question/412-refunds", "question/412"],
    ["1password", "https://acme.1password.com/vaults/h3k2j1l0m9n8/allitems", "h3k2j1l0m9n8"],
    ["quip", "https://quip.com/Xy12AbCd34Ef/Launch-Plan", "Xy12AbCd34Ef"],
    ["coda", "https://coda.io/d/Team-Hub_dx7Qk2Lm9Pz/Roadmap_su1", "x7Qk2Lm9Pz"],
    ["smartsheet", "https://app.smartsheet.com/sheets/6xQ9mR2vP8", "6xQ9mR2vP8"],
  ];

  it("covers every catalog app", () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(35);
    expect(new Set(RESOURCES.map(([app]) => app))).toEqual(new Set(CATALOG.map((a) => a.id)));
  });

  it.each(RESOURCES)("%s: reads the resource of %s", (app, url, id) => {
    const d = detect(denial("You don't have access to this page", "Ask the owner for access."), new URL(url));
    expect(d).toMatchObject({ app, resource: { id, url } });
  });

  it("gives a readable name where the URL or title carries one", () => {
    const d = detect(denial("You don't have access"), new URL("https://www.figma.com/design/kT3pW9vLq2Xc8RbN5mZ1aD/Billing-Settings-v2"));
    expect(d?.resource.name).toBe("Billing Settings v2");
  });

  it("recognises self-hosted installs by host name and URL shape", () => {
    const doc = denial("Access denied to this dashboard");
    expect(identifyApp(doc, new URL("https://grafana.acme-corp.io/d/be7rq2tz1k3y8f/slo"))?.id).toBe("grafana");
    expect(identifyApp(doc, new URL("https://metabase.acme-corp.com/dashboard/14-kpis"))?.id).toBe("metabase");
    expect(identifyApp(doc, new URL("https://gitlab.initech.io/a/b/-/issues"))?.id).toBe("gitlab");
    expect(identifyApp(doc, new URL("https://grafana.acme-corp.io/"))).toBeNull();
    expect(identifyApp(doc, new URL("https://hr.acme-corp.internal/d/x"))).toBeNull();
  });
});

describe("private-resource 404s", () => {
  const GITHUB_404 = (login: string) => `<!doctype html><html><head><title>Page not found · GitHub</title>
<meta name="user-login" content="${login}"></head><body><img alt="404 “This is not the web page you are looking for”" src="x.png"></body></html>`;

  it("count on GitHub only on a repository URL while signed in", () => {
    expect(detect(page(GITHUB_404("dana")), new URL("https://github.com/acme-corp/billing-service/pull/12"))).toMatchObject({
      app: "github",
      resource: { id: "acme-corp/billing-service" },
    });
    expect(detect(page(GITHUB_404("")), new URL("https://github.com/acme-corp/billing-service"))).toBeNull();
    expect(detect(page(GITHUB_404("dana")), new URL("https://github.com/settings/billing"))).toBeNull();
    expect(detect(page(GITHUB_404("dana")), new URL("https://github.com/acme-corp"))).toBeNull();
  });

  it("do not count on apps that answer a real 404 that way", () => {
    const notFound = page(
      `<html><head><title>Page not found</title></head><body><a href="/logout">Sign out</a><h1>404</h1><p>Page not found</p></body></html>`,
    );
    expect(detect(notFound, new URL("https://www.notion.so/acme/Plan-8f2c1e9a4b7d4c0e9a1f3b5d7c9e2a4f"))).toBeNull();
    expect(detect(notFound, new URL("https://wiki.acme.internal/some/page"))).toBeNull();
  });
});

describe("the generic detector", () => {
  it.each([
    ["en", "Access denied", "You don't have permission to view Compensation Bands 2025."],
    ["de", "Zugriff verweigert", "Sie haben keine Berechtigung, diese Seite aufzurufen."],
    ["fr", "Accès refusé", "Vous n’avez pas l’autorisation d’accéder à cette page."],
    ["es", "Acceso denegado", "No tienes permiso para ver esta página."],
    ["pt", "Acesso negado", "Você não tem permissão para acessar esta página."],
    ["it", "Accesso negato", "Non hai l'autorizzazione per visualizzare questa pagina."],
    ["nl", "Toegang geweigerd", "U heeft geen toegang tot deze pagina."],
    ["ja", "アクセスが拒否されました", "このページを表示する権限がありません。"],
  ])("reads a denial in %s", (_lang, heading, detail) => {
    const d = detect(denial(heading, detail), new URL("https://hr.acme-corp.internal/compensation/bands"));
    expect(d).toMatchObject({ app: "generic", resource: { id: "hr.acme-corp.internal" } });
    expect(d?.message).toContain(heading);
  });

  it("weighs structure: an HTTP 403 title with a request-access button", () => {
    const doc = page(`<html><head><title>403 Forbidden</title></head><body><h1>403</h1><button>Request access</button></body></html>`);
    expect(detect(doc, new URL("https://ops.globex.internal/admin/payroll"))?.app).toBe("generic");
  });

  it.each([
    [
      "a sign-in form",
      `<title>Sign in</title><h1>Sign in to continue</h1><p>You need access? Sign in first.</p><form><input type="password"></form>`,
    ],
    ["a rate limit", `<title>Too Many Requests</title><h1>429 Too Many Requests</h1><p>You have been rate limited.</p>`],
    ["a server error", `<title>500 Internal Server Error</title><h1>Internal Server Error</h1><p>Something went wrong.</p>`],
    [
      "a help article quoting the message",
      `<title>Fix “You don't have access” errors</title><h1>If you see “You don't have access”</h1><p>Ask your admin.</p>`,
    ],
    [
      "an exception title",
      `<title>PermissionDenied: You do not have permission to perform this action.</title><h1>PermissionDenied: You do not have permission to perform this action.</h1>`,
    ],
    [
      "an issue comment that quotes an error",
      `<title>Uploads failing</title><h1>Uploads failing for EU tenants</h1><p>The worker gets "Access Denied" when writing.</p><pre>Access Denied</pre>`,
    ],
    ["a paywall", `<title>Upgrade</title><h1>Upgrade to Professional to access this feature</h1><button>Request access</button>`],
  ])("ignores %s", (_what, body) => {
    const doc = page(`<!doctype html><html><head>${body.match(/<title>.*<\/title>/)?.[0] ?? ""}</head><body>${body}</body></html>`);
    expect(detect(doc, new URL("https://app.example-saas.com/workspace/42"))).toBeNull();
  });

  it("ignores a phrase quoted twice (a forum post repeating an error)", () => {
    const doc = page(
      `<html><head><title>Forum</title></head><body><main><h1>Question</h1><p>Every time I get “You don't have access to this page. You don't have access to this page.” – help?</p></main></body></html>`,
    );
    expect(detect(doc, new URL("https://forum.example.org/t/123"))).toBeNull();
  });

  it("reads a lone 403 status line in an alert as a refusal", () => {
    const doc = page(
      `<html><head><title>Pods - Dashboard</title></head><body><main><h1>Pods</h1><p>Workloads in this namespace.</p><div role="alert"><span>⚠</span><div>403 Forbidden</div><code>pods is forbidden</code></div></main></body></html>`,
    );
    expect(detect(doc, new URL("https://k8s.ops.acme.internal/#/pod"))?.app).toBe("generic");
  });

  it("keeps what it reports within the relay's limits", () => {
    const long = `https://hr.acme-corp.internal/x?${"q=1&".repeat(1200)}`;
    const d = detect(denial("Access denied"), new URL(long));
    expect(d?.resource.url).toBe("https://hr.acme-corp.internal/x");
    const named = detect(
      denial("You don't have access", "", `${"Budget ".repeat(100)} - Google Docs`),
      new URL("https://docs.google.com/document/d/1AbCdEfGhIjKlMn/edit"),
    );
    expect(named?.resource.name?.length).toBeLessThanOrEqual(200);
  });

  it("ignores help-centre URLs that describe denials", () => {
    const doc = denial("Access denied", "Here is what to do when you see this message.", "Access denied errors | Help Center");
    expect(detect(doc, new URL("https://support.example-saas.com/hc/en-us/articles/1234-access-denied"))).toBeNull();
  });

  it("ignores non-web URLs", () => {
    expect(detect(denial("Access denied"), new URL("file:///tmp/x.html"))).toBeNull();
  });
});

describe("admin-defined rules", () => {
  const rules = (raw: unknown[]) => compileRules(raw, page("<html><body></body></html>"));

  it("apply before the catalog and the generic detector, with their own resource pattern", () => {
    const { rules: compiled, problems } = rules([
      {
        app: "acme-hr",
        name: "Acme HR",
        hosts: ["*.acme-corp.internal"],
        text: ["nicht freigegeben"],
        resource: [{ from: "path", pattern: "^/compensation/([^/]+)", template: "comp:$1" }],
      },
    ]);
    expect(problems).toEqual([]);
    const doc = page(`<html><body><div class="x">Dieser Bereich ist nicht freigegeben.</div></body></html>`);
    const d = detect(doc, new URL("https://hr.acme-corp.internal/compensation/bands/2025"), { rules: compiled });
    expect(d).toMatchObject({ app: "acme-hr", appName: "Acme HR", resource: { id: "comp:bands", name: null } });
    expect(d?.message).toBe("Dieser Bereich ist nicht freigegeben.");
    // The generic detector alone would not call this page denied.
    expect(detect(doc, new URL("https://hr.acme-corp.internal/compensation/bands/2025"))).toBeNull();
  });

  it("can name the app of an internal tool and leave the decision to the generic detector", () => {
    const { rules: compiled } = rules([{ app: "acme-wiki", hosts: ["wiki.acme.internal"] }]);
    const d = detect(denial("Access denied"), new URL("https://wiki.acme.internal/x"), { rules: compiled });
    expect(d).toMatchObject({ app: "acme-wiki", resource: { id: "wiki.acme.internal" } });
  });

  it("match on a visible selector", () => {
    const { rules: compiled } = rules([{ app: "acme-crm", hosts: ["crm.acme.io"], selectors: ["#no-permission"] }]);
    const visible = page(`<html><body><div id="no-permission">Nope</div></body></html>`);
    const hiddenEl = page(`<html><body><div id="no-permission" hidden>Nope</div></body></html>`);
    expect(detect(visible, new URL("https://crm.acme.io/a"), { rules: compiled })?.app).toBe("acme-crm");
    expect(detect(hiddenEl, new URL("https://crm.acme.io/a"), { rules: compiled })).toBeNull();
  });

  it("ask every rule for the host, not only the first", () => {
    const { rules: compiled } = rules([
      { app: "hr-payroll", hosts: ["hr.acme.io"], text: ["payroll is locked"] },
      { app: "hr-reviews", hosts: ["hr.acme.io"], text: ["reviews are private"] },
    ]);
    const doc = page("<html><body><p>Sorry, reviews are private.</p></body></html>");
    expect(detect(doc, new URL("https://hr.acme.io/reviews"), { rules: compiled })?.app).toBe("hr-reviews");
  });

  it("use the first visible match of a selector", () => {
    const { rules: compiled } = rules([{ app: "acme-crm", hosts: ["crm.acme.io"], selectors: [".denied"] }]);
    const doc = page(
      `<html><body><template><div class="denied">x</div></template><div class="denied" hidden>Old</div><div class="denied">No entry</div></body></html>`,
    );
    expect(detect(doc, new URL("https://crm.acme.io/"), { rules: compiled })?.message).toBe("No entry");
  });

  it("refuse patterns that could freeze a browser", () => {
    const { rules: compiled, problems } = rules([
      { app: "nested", hosts: ["a.acme.io"], path: "^/(\\w+/?)*$" },
      { app: "stars", hosts: ["*-*-*-*-x.acme.io"] },
    ]);
    expect(compiled).toEqual([]);
    expect(problems.map((p) => p.app)).toEqual(["nested", "stars"]);
    expect(DetectionRuleSchema.safeParse({ app: "x", hosts: ["a.io"], path: "(a+)+$" }).success).toBe(false);
    expect(DetectionRuleSchema.safeParse({ app: "x", hosts: ["*-*.a.io"] }).success).toBe(false);
    expect(DetectionRuleSchema.safeParse({ app: "x", hosts: ["tools-*.a.io", "*.b.io"], path: "^/(admin|hr)/" }).success).toBe(true);
  });

  it("report a broken rule and keep the others", () => {
    const { rules: compiled, problems } = rules([
      { app: "bad-regex", hosts: ["a.acme.io"], path: "([unclosed" },
      { app: "bad-selector", hosts: ["b.acme.io"], selectors: ["div[[["] },
      { app: "Bad Id", hosts: ["c.acme.io"] },
      { app: "no-hosts", hosts: [] },
      { app: "bad-host", hosts: ["http://x/y"] },
      { app: "good", hosts: ["d.acme.io"], text: ["keine rechte"] },
    ]);
    expect(compiled.map((r) => r.app)).toEqual(["good"]);
    expect(problems.map((p) => p.app)).toEqual(["bad-regex", "bad-selector", "Bad Id", "no-hosts", "bad-host"]);
    expect(problems[0]?.message).toMatch(/not a valid regular expression/);
    // The good rule still works, and detection of everything else is untouched.
    expect(detect(page("<html><body><p>Keine Rechte.</p></body></html>"), new URL("https://d.acme.io/"), { rules: compiled })?.app).toBe(
      "good",
    );
    expect(detect(denial("Access denied"), new URL("https://a.acme.io/"), { rules: compiled })?.app).toBe("generic");
  });
});

describe("the cheap first look (HINTS)", () => {
  it("lets through every denial the big expression would find", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../test/fixtures/denied-pages/manifest.json", import.meta.url), "utf8")) as {
      message: string | null;
    }[];
    const samples = [
      ...manifest.map((e) => e.message ?? ""),
      "You're not part of this workspace",
      "Vous ne disposez pas des droits nécessaires",
      "Non hai i permessi per questa pagina",
      "Você não tem permissão",
      "You can't see this file",
      "Leider keine Rechte",
    ];
    const whole = DENIAL.ungated();
    for (const text of samples) {
      if (whole.test(text)) expect(HINTS.test(text), text).toBe(true);
      // Each language's phrases carry that language's stems, or the part would never compile.
      for (const lang of LANGUAGES) if (lang.vocabulary.test(text)) expect(lang.stems.test(text), `${lang.name}: ${text}`).toBe(true);
    }
    expect(samples.filter((t) => whole.test(t)).length).toBeGreaterThan(50);
    expect(samples.filter((t) => DENIAL.test(t))).toEqual(samples.filter((t) => whole.test(t)));
  });
});

describe("kinds of refusal", () => {
  const at = new URL("https://tools.acme-corp.internal/reports/q3");
  it.each([
    ["Request sent", "You'll get an email when the owner approves your request.", "en"],
    ["You've already requested access", "The owner hasn't answered yet.", "en"],
    ["Zugriff angefordert", "Sie erhalten eine E-Mail, sobald der Eigentümer Ihre Anfrage genehmigt.", "de"],
    ["Demande envoyée", "Vous recevrez un e-mail lorsque le propriétaire aura approuvé votre demande d'accès.", "fr"],
    ["Solicitud enviada", "Recibirás un correo cuando el propietario apruebe tu acceso.", "es"],
    ["Solicitação enviada", "Você receberá um e-mail quando o proprietário aprovar seu acesso.", "pt-BR"],
    ["リクエストを送信しました", "オーナーが承認するとメールでお知らせします。", "ja"],
    ["请求已发送", "所有者批准后，您将收到电子邮件。", "zh"],
    ["요청을 보냈습니다", "소유자가 승인하면 이메일로 알려 드립니다.", "ko"],
  ])("a request already pending is a refusal of its own kind: %s (%s)", (heading, detail) => {
    expect(detect(denial(heading, detail), at)).toMatchObject({ kind: "pending" });
  });

  it("a support form's 'request sent' is not about access", () => {
    expect(detect(denial("Request sent", "Our support team will get back to you within two business days."), at)).toBeNull();
  });

  it.each([
    [
      "You can't open this file",
      "Only people in Acme Corp can open this file. Your organization's policy doesn't allow external accounts.",
    ],
    ["Access blocked", "This board is restricted to your organization. Contact your admin."],
    ["Zugriff verweigert", "Die Richtlinien Ihrer Organisation erlauben den Zugriff von diesem Gerät nicht."],
    ["Accès refusé", "La politique de sécurité de votre organisation bloque ce partage."],
    ["アクセスできません", "組織のポリシーにより、このファイルは組織外のユーザーと共有できません。"],
  ])("an organisation's policy in the way is 'org-restricted': %s", (heading, detail) => {
    expect(detect(denial(heading, detail), at)).toMatchObject({ kind: "org-restricted" });
  });

  it("a group's members only is a missing grant, not a policy", () => {
    const d = detect(denial("Access denied", "This area is only for members of the HR group. Ask the owner for access."), at);
    expect(d).toMatchObject({ kind: "access" });
  });

  it.each([
    ["访问被拒绝", "您没有查看此页面的权限。"],
    ["您没有权限", "请联系管理员。"],
    ["액세스 거부", "이 페이지에 대한 액세스 권한이 없습니다."],
    ["권한이 없습니다", "관리자에게 문의하세요."],
  ])("reads Chinese and Korean denials: %s", (heading, detail) => {
    expect(detect(denial(heading, detail), at)).not.toBeNull();
  });

  it("keeps pending and organisation phrases' stems in their parts", () => {
    const samples = [
      "Request sent",
      "Your access request is pending",
      "Zugriff angefordert",
      "Demande envoyée",
      "Solicitud enviada",
      "Pedido enviado",
      "リクエストを送信しました",
      "请求已发送",
      "요청을 보냈습니다",
      "Only people in Acme can view this",
      "Ihre Organisation erlaubt das nicht",
      "組織のポリシーにより",
    ];
    for (const text of samples) {
      if (PENDING.test(text) || ORG_RESTRICTED.test(text)) expect(HINTS.test(text), text).toBe(true);
      for (const lang of LANGUAGES) {
        if (lang.pending?.vocabulary.test(text)) expect(lang.pending.stems.test(text), `${lang.name}: ${text}`).toBe(true);
        if (lang.org?.vocabulary.test(text)) expect(lang.org.stems.test(text), `${lang.name}: ${text}`).toBe(true);
      }
    }
    expect(samples.filter((t) => PENDING.test(t) || ORG_RESTRICTED.test(t)).length).toBe(samples.length);
  });
});

describe("the big apps' own denial strings in their UI languages", () => {
  const AT: Record<string, string> = {
    "google-docs": "https://docs.google.com/document/d/1LocalisedDocAbCdEfGh/edit",
    sharepoint: "https://acme.sharepoint.com/sites/Finance/Shared%20Documents/Forms/AllItems.aspx",
    onedrive: "https://acme-my.sharepoint.com/personal/dana_acme_com/Documents/plan.docx",
    dropbox: "https://www.dropbox.com/scl/fo/a1b2c3d4e5f6g7h8i9j0k/h?rlkey=x",
    box: "https://app.box.com/s/7h3k2l1m0n9b8v7c6x5z4",
    figma: "https://www.figma.com/design/kT3pW9vLq2Xc8RbN5mZ1aD/Checkout",
    miro: "https://miro.com/app/board/uXjVN1a2b3c=/",
    notion: "https://www.notion.so/acme/Plan-8f2c1e9a4b7d4c0e9a1f3b5d7c9e2a4f",
    confluence: "https://acme.atlassian.net/wiki/spaces/ENG/pages/2288451607/Postmortem",
    jira: "https://acme.atlassian.net/browse/PAY-2231",
    slack: "https://app.slack.com/client/T04ACME1234/C06PRIV4567",
    salesforce: "https://acme.lightning.force.com/lightning/r/Opportunity/0068c00001Qx7ZbAAJ/view",
    okta: "https://acme.okta.com/app/acme_payroll/exk1a2b3c4d5e6f7g8h9/sso/saml",
    airtable: "https://airtable.com/appAbCdEfGhIjKlMn/tblX/viw",
    asana: "https://app.asana.com/0/1204567890123456/1204567890654321",
    "azure-portal":
      "https://portal.azure.com/#@acme.onmicrosoft.com/resource/subscriptions/8c41e7d2-3a5b-4f6e-9d1c-0b2a7e4f6c83/resourceGroups/rg-pay/overview",
    "gcp-console": "https://console.cloud.google.com/iam-admin/iam?project=acme-billing-prod",
    "aws-console": "https://us-east-1.console.aws.amazon.com/s3/buckets/acme-prod-invoices?region=us-east-1",
    monday: "https://acme.monday.com/boards/4012345678",
    tableau: "https://eu-west-1a.online.tableau.com/#/site/acme/views/Revenue/Overview",
    zendesk: "https://acme.zendesk.com/agent/tickets/48213",
    hubspot: "https://app.hubspot.com/contacts/7712345/record/0-1/51234",
    smartsheet: "https://app.smartsheet.com/sheets/7gP2mQ9xRv4Wc8Hj3Lk6Nb1Ts5Yd",
  };
  const cases = Object.entries(APP_DENIALS).flatMap(([app, langs]) =>
    Object.entries(langs).flatMap(([lang, words]) => words.map((w) => [app, lang, w] as const)),
  );
  it("covers en, de, fr, es, ja and pt-BR for each app", () => {
    for (const [app, langs] of Object.entries(APP_DENIALS)) {
      expect(Object.keys(langs).sort(), app).toEqual(["de", "en", "es", "fr", "ja", "pt-BR"]);
      expect(AT[app], app).toBeDefined();
    }
  });
  it.each(cases)("%s (%s): “%s”", (app, _lang, words) => {
    const doc = page(
      `<html><head><title>${app}</title></head><body><header><a href="/logout">Sign out</a></header><main><h1>${words}</h1></main></body></html>`,
    );
    // The content script's first look lets it through, and the detector reads it as the app's denial.
    expect(mayBeDenied(readPage(doc))).toBe(true);
    expect(detect(doc, new URL(AT[app] as string))).toMatchObject({ app });
  });
});

describe("the content script's first look", () => {
  it("lets through every page the detector would call denied, and keeps out pages with no sign of one", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../test/fixtures/denied-pages/manifest.json", import.meta.url), "utf8")) as {
      file: string;
      url: string;
    }[];
    let denied = 0;
    for (const e of manifest) {
      const html = readFileSync(new URL(`../../test/fixtures/denied-pages/${e.file}`, import.meta.url), "utf8");
      const doc = page(html);
      // Scripts do not run here: this reads the static markup, a superset check all the same.
      if (detect(doc, new URL(e.url))) {
        denied++;
        expect(mayBeDenied(readPage(doc)), e.file).toBe(true);
      }
    }
    expect(denied).toBeGreaterThan(40);
    const ordinary = page(
      "<html><head><title>Quarterly roadmap</title></head><body><main><h1>Roadmap</h1><p>Ship the billing worker and the new onboarding flow.</p></main></body></html>",
    );
    expect(mayBeDenied(readPage(ordinary))).toBe(false);
  });
});

describe("extract()", () => {
  it("reads query parameters inside a fragment router's hash", () => {
    expect(extract(new URL("https://x.io/#/view?project=p1"), [{ from: "?project" }])).toBe("p1");
  });
});
