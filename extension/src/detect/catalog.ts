import type { Extract } from "./extract.ts";

/**
 * The apps Gatehouse knows by name. Data only: where each app lives, how its
 * URLs name a resource, and the few ways it says "denied" that the generic
 * vocabulary (phrases.ts) does not cover. docs/detection.md documents every
 * entry's resource convention; keep the two in step.
 */
export interface CatalogApp {
  id: string;
  name: string;
  /** Host patterns (see hosts.ts). */
  hosts: string[];
  /** Only paths matching this belong to the app (Confluence lives under /wiki on Atlassian hosts). */
  path?: RegExp;
  /** How a self-hosted install is recognised on a company domain. */
  selfHosted?: {
    /** First label of the host, e.g. `gitlab` in gitlab.acme-corp.io. */
    label?: RegExp;
    /** A label other products use too: it counts only on a URL with the app's `/-/` separator. */
    looseLabel?: RegExp;
    /** A selector only this app's pages carry, matched in <head> and against <body> itself. */
    marker?: string;
    /** The app's title suffix, counted only together with a resource URL. */
    title?: RegExp;
  };
  resource: Extract[];
  /** A readable name: from the title (group 1) or from a URL slug. */
  resourceName?: { title?: RegExp; slug?: Extract[] };
  /** App-specific denial wording the generic phrases miss. */
  phrases?: RegExp;
  /** The app answers a missing permission with "not found" (only on resource URLs, only signed in). */
  notFoundDenies?: boolean;
  /** Selectors that prove someone is signed in. */
  signedIn?: string;
}

const lower = (s: string) => s.toLowerCase();
const noDashes = (s: string) => s.replace(/-/g, "").toLowerCase();

const GITHUB_RESERVED =
  "settings|orgs|organizations|search|marketplace|explore|topics|notifications|pulls|issues|login|logout|signup|sessions|new|features|pricing|about|enterprise|enterprises|sponsors|codespaces|apps|users|collections|trending|dashboard|account|security|site|customer-stories|readme|team|join|password_reset|contact";
const GITLAB_RESERVED = "users|explore|dashboard|help|admin|search|groups|-|api|oauth|profile|projects";

export const CATALOG: CatalogApp[] = [
  {
    id: "google-docs",
    name: "Google Docs",
    hosts: ["docs.google.com", "drive.google.com"],
    resource: [
      { re: /^\/(?:document|spreadsheets|presentation|forms|file|drawings)\/(?:u\/\d+\/)?d\/(?:e\/)?([\w-]{10,})/ },
      { re: /^\/drive\/(?:u\/\d+\/)?(?:folders|mobile\/folders)\/([\w-]{10,})/ },
      { from: "?id", re: /^([\w-]{10,})$/ },
    ],
    resourceName: { title: /^(.+?) - Google (?:Docs|Sheets|Slides|Forms|Drive)$/ },
  },
  {
    id: "github",
    name: "GitHub",
    hosts: ["github.com", "www.github.com"],
    resource: [
      {
        re: new RegExp(
          `^/(?!(?:${GITHUB_RESERVED})(?:/|$))([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/([A-Za-z0-9._-]+?)(?:\\.git)?(?:/|$)`,
          "i",
        ),
        to: "$1/$2",
      },
    ],
    notFoundDenies: true,
    signedIn: 'meta[name="user-login"]:not([content=""])',
  },
  {
    id: "gitlab",
    name: "GitLab",
    hosts: ["gitlab.com"],
    selfHosted: {
      // A bare "git." or "code." host may be Gitea, Gogs or Bitbucket Data Center: only GitLab's `/-/` separator tells.
      label: /^gitlab$/,
      looseLabel: /^(?:git|code|scm)$/,
      marker: 'meta[content="GitLab"], meta[property="og:site_name"][content="GitLab"], body[data-page^="projects:"]',
      title: /· GitLab$/,
    },
    resource: [
      {
        // Project path: every segment up to `/-/` (GitLab's separator before project pages); `-` is never a group.
        re: new RegExp(`^/(?!(?:${GITLAB_RESERVED})/)([\\w.-]+(?:/(?!-(?:/|$))[\\w.-]+)+?)(?:/-(?:/.*)?|/)?$`),
        map: (s) => s.replace(/\.git$/, ""),
      },
    ],
    notFoundDenies: true,
    signedIn:
      'body[data-current-user-id], [data-testid="user-menu"], [data-testid="user-dropdown"], .header-user-dropdown-toggle, [data-qa-selector="user_menu"], a[href="/-/user_settings/profile"], [data-testid="user-avatar-content"]',
  },
  {
    id: "bitbucket",
    name: "Bitbucket",
    hosts: ["bitbucket.org"],
    resource: [{ re: /^\/(?!(?:account|dashboard|workspace|site|product|socialauth|repo)\/)([\w.-]+)\/([\w.-]+)/, to: "$1/$2" }],
  },
  {
    id: "notion",
    name: "Notion",
    hosts: ["notion.so", "www.notion.so", "*.notion.site", "notion.com", "www.notion.com"],
    resource: [
      { re: /([0-9a-f]{32})\/?$/i, map: lower },
      { re: /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i, map: noDashes },
      { from: "?p", re: /^([0-9a-f-]{32,36})$/i, map: noDashes },
    ],
    resourceName: { slug: [{ re: /\/([^/]+)-[0-9a-f]{32}\/?$/i }] },
  },
  {
    id: "confluence",
    name: "Confluence",
    hosts: ["*.atlassian.net"],
    path: /^\/wiki(?:\/|$)/,
    selfHosted: {
      label: /^(confluence|wiki|docs)$/,
      marker: 'meta[name="confluence-base-url"], meta[name="ajs-base-url"][content*="confluence"], #com-atlassian-confluence',
      title: / - Confluence$/,
    },
    resource: [
      { re: /\/pages\/(?:edit-v2\/)?(\d+)/ },
      { from: "?pageId", re: /^(\d+)$/ },
      { re: /\/spaces\/([^/?#]+)/ },
      { re: /^\/display\/([^/?#]+)/ },
      { from: "?spaceKey" },
    ],
    resourceName: { slug: [{ re: /\/pages\/\d+\/([^/?#]+)/ }, { re: /^\/display\/[^/]+\/([^/?#]+)/ }] },
  },
  {
    id: "jira",
    name: "Jira",
    hosts: ["*.atlassian.net", "*.jira.com"],
    selfHosted: {
      label: /^(jira|issues|tickets|tracker)$/,
      marker: 'meta[name="application-name"][content="JIRA" i], meta[name="ajs-version-number"], #jira',
      title: / - (?:Jira|JIRA)$/,
    },
    resource: [
      { re: /\/browse\/([A-Z][A-Z0-9_]+-\d+)/i, map: (s) => s.toUpperCase() },
      { from: "?selectedIssue", re: /^([A-Z][A-Z0-9_]+-\d+)$/i },
      // Jira Service Management's customer portal: /servicedesk/customer/portal/<n>/<KEY-123>
      { re: /\/portal\/\d+\/([A-Z][A-Z0-9_]+-\d+)/i, map: (s) => s.toUpperCase() },
      { re: /\/projects\/([A-Z][A-Z0-9_]+)(?:\/|$)/i, map: (s) => s.toUpperCase() },
      { re: /\/browse\/([A-Z][A-Z0-9_]+)\/?$/i, map: (s) => s.toUpperCase() },
    ],
    resourceName: { title: /^\[[A-Z0-9_]+-\d+\] (.+?) - Jira$/ },
  },
  {
    id: "figma",
    name: "Figma",
    hosts: ["figma.com", "www.figma.com"],
    resource: [{ re: /^\/(?:design|file|board|proto|slides|deck|site|make)\/([A-Za-z0-9]+)/ }],
    resourceName: { slug: [{ re: /^\/(?:design|file|board|proto|slides|deck|site|make)\/[A-Za-z0-9]+\/([^/?#]+)/ }] },
  },
  {
    id: "aws-console",
    name: "AWS Management Console",
    hosts: ["console.aws.amazon.com", "*.console.aws.amazon.com", "*.console.amazonaws-us-gov.com"],
    resource: [
      { re: /^\/s3\/buckets\/([^/?#]+)/ },
      { from: "hash", re: /(?:^|\/)functions\/([^/?#]+)/, decode: true },
      { from: "?name", decode: true },
      { from: "hash", re: /dashboards(?::name=|\/dashboard\/)([^/?#;&]+)/, decode: true },
      { from: "hash", re: /instanceId=(i-[0-9a-f]+)/ },
      { from: "hash", re: /database:id=([^;&/]+)/ },
      { from: "hash", re: /table\?name=([^&/]+)/, decode: true },
      { from: "hash", re: /\/roles\/details\/([^/?#]+)/, decode: true },
      { from: "hash", re: /\/users\/details\/([^/?#]+)/, decode: true },
      { from: "hash", re: /\/clusters\/([^/?#]+)/, decode: true },
    ],
    phrases: /\bis not authori[sz]ed to perform\b|\bno identity-based policy allows\b/i,
  },
  {
    id: "salesforce",
    name: "Salesforce",
    hosts: ["*.lightning.force.com", "*.my.salesforce.com", "*.salesforce.com", "*.force.com"],
    resource: [
      { re: /^\/lightning\/r\/(?:[\w]+\/)?([a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)(?:\/|$)/ },
      { re: /^\/([a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)(?:\/|$)/ },
      // Experience Cloud sites: /<site>/s/<object>/<id>/<slug>.
      { re: /^\/(?:[\w-]+\/)?s\/[\w-]+\/([a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)(?:\/|$)/ },
    ],
  },
  {
    id: "slack",
    name: "Slack",
    hosts: ["app.slack.com", "*.slack.com"],
    resource: [{ re: /^\/(?:client|huddle)\/[A-Z0-9]+\/([A-Z0-9]{8,})/ }, { re: /^\/archives\/([A-Z0-9]{8,})/ }],
  },
  {
    id: "dropbox",
    name: "Dropbox",
    hosts: ["dropbox.com", "www.dropbox.com"],
    resource: [{ re: /^\/scl\/f[io]\/([A-Za-z0-9]+)/ }, { re: /^\/s[h]?\/([A-Za-z0-9]+)/ }, { re: /^\/home\/(.+?)\/?$/, decode: true }],
    resourceName: { slug: [{ re: /^\/scl\/f[io]\/[A-Za-z0-9]+\/([^/?#]+)/ }, { re: /\/([^/]+)\/?$/ }] },
  },
  {
    id: "box",
    name: "Box",
    hosts: ["app.box.com", "*.app.box.com", "*.box.com"],
    resource: [{ re: /^\/s\/([A-Za-z0-9]+)/ }, { re: /^\/file\/(\d+)/ }, { re: /^\/folder\/(\d+)/ }],
    phrases: /\bunavailable to you\b/i,
  },
  {
    id: "airtable",
    name: "Airtable",
    hosts: ["airtable.com", "www.airtable.com"],
    resource: [{ re: /\/(app[A-Za-z0-9]{14})(?:\/|$)/ }],
  },
  {
    id: "linear",
    name: "Linear",
    hosts: ["linear.app"],
    resource: [{ re: /\/issue\/([A-Z][A-Z0-9]*-\d+)/i, map: (s) => s.toUpperCase() }, { re: /\/project\/([\w-]+)/ }],
    resourceName: { slug: [{ re: /\/issue\/[A-Z0-9]+-\d+\/([^/?#]+)/i }] },
  },
  {
    id: "sentry",
    name: "Sentry",
    hosts: ["sentry.io", "*.sentry.io"],
    selfHosted: { label: /^sentry$/ },
    resource: [{ re: /\/issues\/(\d+)/ }, { re: /\/projects\/(?:[\w-]+\/)?([\w-]+)\/?$/ }, { re: /\/projects\/([\w-]+)/ }],
  },
  {
    id: "datadog",
    name: "Datadog",
    hosts: ["app.datadoghq.com", "*.datadoghq.com", "*.datadoghq.eu", "app.ddog-gov.com", "*.datad0g.com"],
    resource: [{ re: /\/dashboard\/([\w-]+)/ }, { re: /\/notebook\/(\d+)/ }, { re: /\/monitors\/(\d+)/ }],
    resourceName: { slug: [{ re: /\/(?:dashboard|notebook)\/[\w-]+\/([^/?#]+)/ }] },
  },
  {
    id: "grafana",
    name: "Grafana",
    hosts: ["*.grafana.net"],
    selfHosted: { label: /^(grafana|metrics|dashboards?)$/, marker: "body.app-grafana", title: / - Grafana$/ },
    resource: [{ re: /^\/d(?:-solo)?\/([\w-]+)/ }],
    resourceName: { slug: [{ re: /^\/d\/[\w-]+\/([^/?#]+)/ }] },
  },
  {
    id: "azure-portal",
    name: "Azure portal",
    hosts: ["portal.azure.com", "portal.azure.us", "portal.azure.cn", "*.portal.azure.com"],
    resource: [
      {
        from: "hash",
        re: /(\/subscriptions\/[^/]+(?:\/resourceGroups\/[^/]+(?:\/providers\/[^/]+\/[^/]+\/[^/]+)?)?)/i,
      },
    ],
  },
  {
    id: "gcp-console",
    name: "Google Cloud console",
    hosts: ["console.cloud.google.com"],
    resource: [{ from: "?project" }],
  },
  {
    id: "okta",
    name: "Okta",
    hosts: ["*.okta.com", "*.oktapreview.com", "*.okta-emea.com", "*.okta-gov.com"],
    resource: [{ re: /^\/(?:home|app)\/[\w-]+\/([A-Za-z0-9]{12,})(?:\/|$)/ }],
    phrases: /\bapp not assigned\b|\bnot assigned to (?:this|the) app/i,
  },
  {
    id: "zendesk",
    name: "Zendesk",
    hosts: ["*.zendesk.com"],
    resource: [{ re: /\/agent\/tickets\/(\d+)/ }, { re: /\/hc\/[\w-]+\/articles\/(\d+)/ }],
  },
  {
    id: "hubspot",
    name: "HubSpot",
    hosts: ["app.hubspot.com", "app-*.hubspot.com"],
    resource: [
      { re: /^\/contacts\/\d+\/record\/[\w-]+\/(\d+)/ },
      { re: /^\/contacts\/\d+\/(?:contact|company|deal|ticket)\/(\d+)/ },
      { re: /^\/reports-dashboard\/\d+\/view\/(\d+)/ },
      { re: /^\/[\w-]+\/(\d+)(?:\/|$)/ },
    ],
  },
  {
    id: "miro",
    name: "Miro",
    hosts: ["miro.com", "*.miro.com"],
    resource: [{ re: /^\/app\/board\/([^/?#]+)/ }],
  },
  {
    id: "asana",
    name: "Asana",
    hosts: ["app.asana.com"],
    resource: [{ re: /\/task\/(\d+)/ }, { re: /^\/0\/[^/]+\/(\d+)(?:\/|$)/ }, { re: /\/project\/(\d+)/ }, { re: /^\/0\/(\d+)(?:\/|$)/ }],
  },
  {
    id: "trello",
    name: "Trello",
    hosts: ["trello.com"],
    resource: [{ re: /^\/[bc]\/([A-Za-z0-9]+)/ }],
    resourceName: { slug: [{ re: /^\/[bc]\/[A-Za-z0-9]+\/(?:\d+-)?([^/?#]+)/ }] },
    notFoundDenies: true,
    signedIn:
      '[data-testid="header-member-menu-button"], [data-testid="header-member-menu-avatar"], [aria-label*="account" i][aria-label*="open" i]',
  },
  {
    id: "clickup",
    name: "ClickUp",
    hosts: ["app.clickup.com"],
    resource: [
      { re: /\/t\/(?:\d+\/)?([A-Za-z0-9-]+)\/?$/ },
      { re: /\/v\/li\/([\w-]+)/ },
      { re: /\/v\/f\/([\w-]+)/ },
      { re: /\/v\/s\/([\w-]+)/ },
    ],
  },
  {
    id: "monday",
    name: "monday.com",
    hosts: ["*.monday.com"],
    resource: [{ re: /\/boards\/(\d+)/ }],
  },
  {
    id: "loom",
    name: "Loom",
    hosts: ["loom.com", "www.loom.com"],
    resource: [{ re: /^\/(?:share|embed)\/([0-9a-f]{16,})/i }],
  },
  {
    id: "onedrive",
    name: "OneDrive",
    hosts: ["*-my.sharepoint.com", "onedrive.live.com", "1drv.ms"],
    resource: [{ re: /\/(personal\/[^/?#]+)/ }, { from: "?resid" }, { from: "?id" }],
  },
  {
    id: "sharepoint",
    name: "SharePoint",
    hosts: ["*.sharepoint.com"],
    resource: [
      { re: /^\/:\w+:\/r\/(sites|teams)\/([^/?#]+)/i, to: "$1/$2" },
      { re: /^\/:\w+:\/s\/([^/?#]+)/i, to: "sites/$1" },
      { re: /^\/(sites|teams)\/([^/?#]+)/i, to: "$1/$2" },
    ],
  },
  {
    id: "vercel",
    name: "Vercel",
    hosts: ["vercel.com", "*.vercel.app"],
    resource: [
      { from: "host", re: /^(.+\.vercel\.app)$/ },
      {
        re: /^\/(?!(?:dashboard|login|signup|new|docs|account|teams|integrations|templates|guides|blog|pricing|help|changelog|api)(?:\/|$))([\w-]+)\/([\w.-]+)/,
        to: "$1/$2",
      },
    ],
  },
  {
    id: "netlify",
    name: "Netlify",
    hosts: ["app.netlify.com"],
    resource: [{ re: /\/(?:sites|projects)\/([\w-]+)/ }],
  },
  {
    id: "heroku",
    name: "Heroku",
    hosts: ["dashboard.heroku.com"],
    resource: [{ re: /^\/apps\/([\w-]+)/ }, { re: /^\/pipelines\/([\w-]+)/ }],
  },
  {
    id: "stripe-dashboard",
    name: "Stripe Dashboard",
    hosts: ["dashboard.stripe.com"],
    resource: [
      {
        re: /\/((?:pi|cus|in|sub|sub_sched|ch|py|re|po|prod|price|cs|seti|si|txn|tr|evt|pm|src|card|ba|ii|il|dp|du|cn|plink|promo|coupon|tax|qt|inv|cbtxn)_[A-Za-z0-9]+)/,
      },
      { re: /\/(acct_[A-Za-z0-9]+)/ },
    ],
  },
  {
    id: "pagerduty",
    name: "PagerDuty",
    hosts: ["*.pagerduty.com"],
    resource: [
      { re: /\/(?:service-directory|services|incidents|schedules|escalation_policies)\/([A-Z0-9]{5,})/ },
      { from: "hash", re: /^\/?(P[A-Z0-9]{5,})$/ },
    ],
  },
  {
    id: "retool",
    name: "Retool",
    hosts: ["*.retool.com"],
    selfHosted: { label: /^(retool|tools|internal-tools)$/, title: / \| Retool$/ },
    resource: [
      { re: /\/apps\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i },
      { re: /\/apps\/(?:[^/?#]+\/)*([^/?#]+)/, decode: true },
    ],
  },
  {
    id: "looker",
    name: "Looker",
    hosts: ["*.looker.com", "*.cloud.looker.com", "lookerstudio.google.com"],
    selfHosted: { label: /^(looker|bi)$/ },
    resource: [{ re: /\/dashboards(?:-next|-legacy)?\/([\w:]+)/ }, { re: /\/looks\/(\d+)/ }],
    // "We couldn't find the dashboard … or you may not have permission": Looker hides what you may not see.
    notFoundDenies: true,
  },
  {
    id: "tableau",
    name: "Tableau",
    hosts: ["*.online.tableau.com", "online.tableau.com"],
    selfHosted: { label: /^(tableau|analytics|reports)$/ },
    resource: [{ from: "href", re: /\/views\/([^/?#]+)\/([^/?#]+)/, to: "$1/$2", decode: true }],
  },
  {
    id: "metabase",
    name: "Metabase",
    hosts: ["*.metabaseapp.com"],
    selfHosted: { label: /^(metabase|mb|bi)$/, title: /· Metabase$| - Metabase$/ },
    resource: [{ re: /^\/(dashboard|question|collection|model)\/(\d+)/, to: "$1/$2" }],
    resourceName: { slug: [{ re: /^\/(?:dashboard|question|collection|model)\/\d+-([^/?#]+)/ }] },
  },
  {
    id: "1password",
    name: "1Password",
    hosts: ["*.1password.com", "*.1password.eu", "*.1password.ca"],
    resource: [{ re: /\/vaults\/([A-Za-z0-9]+)/ }],
  },
  {
    id: "quip",
    name: "Quip",
    hosts: ["quip.com", "*.quip.com"],
    resource: [{ re: /^\/(?!(?:account|settings|browse|blob|api|-|home)(?:\/|$))([A-Za-z0-9]{8,14})(?:\/|$)/ }],
    resourceName: { slug: [{ re: /^\/[A-Za-z0-9]{8,14}\/([^/?#]+)/ }] },
  },
  {
    id: "coda",
    name: "Coda",
    hosts: ["coda.io"],
    resource: [{ re: /^\/d\/[^/]*_d([\w-]+?)(?:\/|$)/ }],
    resourceName: { slug: [{ re: /^\/d\/([^/]*)_d[\w-]+/ }] },
  },
  {
    id: "smartsheet",
    name: "Smartsheet",
    hosts: ["app.smartsheet.com", "app.smartsheet.eu", "app.smartsheetgov.com"],
    resource: [{ re: /\/sheets\/([\w]+)/ }, { re: /\/(?:dashboards|reports)\/([\w]+)/ }],
  },
];
