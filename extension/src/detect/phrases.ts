/**
 * The vocabulary of denial, in the languages the generic detector reads:
 * English, German, French, Spanish, Portuguese, Italian, Dutch and Japanese.
 * Each list is joined into one case-insensitive regular expression so a page
 * costs one scan per text, not one per phrase.
 *
 * Phrases say that *the reader* lacks access ("you don't have access",
 * "Zugriff verweigert"). Words that merely talk about access ("Manage
 * access", "permissions") are deliberately absent: settings pages and help
 * articles use them all the time.
 */
const Q = "['’]"; // apostrophes as typed and as typeset
const NOT = `(?:do(?:n${Q}t| not)|did(?:n${Q}t| not))`;

/** Spaces in the phrases match any whitespace, line breaks between blocks included. */
const spaced = (list: string[]) => list.map((p) => p.replace(/ /g, "\\s+"));

function phrases(list: string[]): RegExp {
  return new RegExp(spaced(list).join("|"), "i");
}

/**
 * The vocabulary in parts, one per language, each with the stems every one of
 * its phrases contains. A part is compiled only when a page contains one of
 * its stems: an English page never compiles the Japanese expressions, and a
 * page that mentions no access at all compiles none.
 */
interface Part {
  name: string;
  stems: RegExp;
  /** Denials stated as a status ("Access denied"); see STATUS. */
  status: string[];
  /** Denials said to the reader ("you don't have access"). */
  said: string[];
}

const PARTS: Part[] = [
  {
    name: "English",
    stems:
      /access|permission|authori[sz]|allow|permitted|privilege|rights|member|part of|restricted|denied|forbidden|private|let you see|unavailable|not assigned|can.?t (?:access|view|see|open)|cannot|can not|don.?t (?:access|view|see|open)/i,
    status: [
      `\\baccess (?:is )?(?:denied|refused|forbidden|restricted|not allowed)\\b`,
      `\\bpermission (?:denied|required|violation)\\b`,
      `\\b(?:insufficient|missing|lacking) (?:privileges|permissions?|access|rights)\\b`,
      `\\brestricted (?:content|page|file|resource|area)\\b`,
    ],
    said: [
      `\\byou ${NOT} have (?:the )?(?:required |necessary |sufficient |enough )?(?:access|permissions?|rights|privileges|authori[sz]ation)\\b`,
      `\\byou ${NOT} have (?:the )?(?:level of )?access\\b`,
      `\\byou (?:currently )?(?:have|got) no (?:access|permissions?)\\b`,
      `\\b(?:you|this account|that account|your account|your role|your user) (?:does|do)(?:n${Q}t| not) have (?:access|permission)`,
      `\\byou(?:${Q}ll)? need (?:to have |to request )?(?:additional |more |the right |edit |view )?(?:access|permissions?|authori[sz]ation)\\b`,
      `\\b(?:you(?:${Q}re| are)|user is|you have not been|you haven${Q}t been) not (?:authori[sz]ed|allowed|permitted)\\b`,
      `\\b(?:you(?:${Q}re| are)|user is) not (?:authori[sz]ed|allowed|permitted)\\b`,
      `\\bis not authori[sz]ed to\\b`,
      `\\bnot authori[sz]ed to (?:access|view|see|perform|open|use)\\b`,
      `\\byou(?:${Q}re| are) not (?:a member|part) of (?:this|the|that)\\b`,
      `\\bonly (?:members|invited people|people with access|people in|users with access)\\b.{0,40}\\b(?:can|may) (?:access|view|see|open)\\b`,
      `\\byou (?:can${Q}t|cannot|can not|don${Q}t) (?:access|view|see|open) (?:this|that|the)\\b`,
      `\\bcan${Q}t let you see\\b`,
      `\\byou may not have (?:access|permission)\\b`,
      `\\bunavailable to you\\b`,
      `\\b(?:this|the) (?:page|file|doc|document|board|channel|space|project|repository|item|folder|sheet|dashboard|record|vault|site|app|video|base|view|workbook|task|ticket) is (?:private|restricted)\\b`,
      `\\bno access to (?:this|that|the)\\b`,
      `\\bask (?:the |an? |your )?(?:owner|admin|administrator|workspace admin|site admin|organi[sz]ation admin)s? (?:for|to grant you) (?:access|permission)`,
      `\\bnot assigned to (?:this|the) (?:app|application)\\b`,
      `\\brequired permissions?:`,
      `\\bdo(?:es)?n${Q}t have permission\\b`,
      `\\bwithout (?:the )?(?:required )?permission\\b`,
    ],
  },
  {
    name: "German",
    stems: /zugriff|zugang|berechtig|rechte|autorisiert/i,
    status: [`\\b(?:zugriff|zugang) (?:verweigert|abgelehnt|nicht erlaubt|nicht gestattet)`],
    said: [
      `\\bkeine (?:berechtigung|zugriffsberechtigung|zugriffsrechte|rechte)\\b`,
      `\\bkeinen (?:zugriff|zugang)\\b`,
      `\\bnicht (?:berechtigt|autorisiert)\\b`,
      `\\bfehlende (?:berechtigung|rechte)`,
    ],
  },
  {
    name: "French",
    stems: /acc[eè]s\b|n.(?:avez|a|êtes) pas|ne disposez|autorisation|permission (?:refus|requis)/i,
    status: [
      `\\bacc[eè]s (?:refus[ée]|interdit|non autoris[ée]|restreint)`,
      `\\bautorisation (?:requise|refus[ée]e)\\b`,
      `\\bpermission (?:refus[ée]e|requise)\\b`,
    ],
    said: [
      `\\bn${Q}(?:avez|a|êtes) pas (?:accès|l${Q}autorisation|les autorisations|les droits|la permission|les permissions|autoris[ée])`,
      `\\bvous (?:n${Q}avez|ne disposez) pas (?:de |des |d${Q})?(?:accès|droits|autorisations?|permissions?)`,
    ],
  },
  {
    name: "Spanish",
    stems: /acceso|permiso|autorizad|autorizaci|no tienes|no tiene|necesita|no dispone/i,
    status: [`\\bacceso (?:denegado|restringido|no autorizado)`, `\\bpermiso denegado\\b`],
    said: [
      `\\bno (?:tienes|tiene|tienen|dispone de|dispones de) (?:acceso|permisos?|autorizaci[oó]n)`,
      `\\bno (?:est[aá]s?|est[aá]n) autorizad[oa]s?\\b`,
      `\\bnecesitas? (?:acceso|permisos?)\\b`,
    ],
  },
  {
    name: "Portuguese",
    stems: /acesso|permiss[aã]o|autoriza[cç]|autorizad|não (?:tem|possui|tens|está|estás)|sem permiss|precisa de/i,
    status: [`\\bacesso (?:negado|restrito|não autorizado)`, `\\bpermiss[aã]o negada\\b`],
    said: [
      `\\b(?:você|voce|vc) não (?:tem|possui) (?:acesso|permiss[aã]o|autoriza[cç][aã]o)`,
      `\\bnão (?:tem|possui|tens) (?:acesso|permiss[aã]o)`,
      `\\bsem permiss[aã]o\\b`,
      `\\bnão (?:está|estás) autorizad[oa]\\b`,
      `\\bprecisa de (?:acesso|permiss[aã]o)\\b`,
    ],
  },
  {
    name: "Italian",
    stems: /accesso|autorizzazion|autorizzat|permess|diritti|non (?:hai|ha|avete|disponi|dispone|sei|è)\b/i,
    status: [`\\baccesso (?:negato|non consentito|non autorizzato|limitato)`, `\\b(?:autorizzazione|permesso) negat[oa]\\b`],
    said: [
      `\\bnon (?:hai|ha|avete|disponi|dispone) (?:di )?(?:accesso|l${Q}accesso|l${Q}autorizzazione|autorizzazioni|i permessi|il permesso|permessi|i diritti)`,
      `\\bnon (?:sei|è) autorizzat[oa]\\b`,
    ],
  },
  {
    name: "Dutch",
    stems: /toegang|toestemming|rechten|machtig|bevoegd|geautoriseerd/i,
    status: [`\\btoegang (?:geweigerd|verboden|niet toegestaan)`],
    said: [
      `\\bgeen (?:toegang|toestemming|rechten|machtiging|bevoegdheid|toegangsrechten)\\b`,
      `\\bniet (?:gemachtigd|bevoegd|geautoriseerd)\\b`,
    ],
  },
  {
    name: "Japanese",
    stems: /アクセス|権限|許可|拒否/,
    status: ["アクセス(?:が|は)?拒否"],
    said: [
      "(?:アクセス|閲覧|表示|編集)?(?:する)?権限(?:が|は)(?:ありません|ない)",
      "アクセス権(?:限)?(?:が|は)(?:ありません|ない)",
      "アクセスできません",
      "許可されていません",
      "権限が必要です",
    ],
  },
];

/** Anything with `exec` and `test`: a RegExp, or a Vocabulary. */
export interface Matcher {
  exec(text: string): RegExpExecArray | null;
  test(text: string): boolean;
}

/**
 * Matches like one expression made of all the parts, but compiles a part
 * only the first time a text contains one of its stems.
 */
export class Vocabulary implements Matcher {
  readonly #parts: { stems: RegExp; source: string; re: RegExp | null }[];
  constructor(parts: { stems: RegExp; phrases: string[] }[], anchored = false) {
    this.#parts = parts
      .filter((p) => p.phrases.length > 0)
      .map((p) => {
        const body = spaced(p.phrases).join("|");
        return { stems: p.stems, source: anchored ? `^(?:${body})` : body, re: null };
      });
  }
  exec(text: string): RegExpExecArray | null {
    let best: RegExpExecArray | null = null;
    for (const part of this.#parts) {
      if (!part.stems.test(text)) continue;
      part.re ??= new RegExp(part.source, "i");
      const m = part.re.exec(text);
      if (m && (best === null || m.index < best.index)) best = m;
    }
    return best;
  }
  test(text: string): boolean {
    return this.exec(text) !== null;
  }
  /** The whole vocabulary as one expression, ignoring stems (for tests). */
  ungated(): RegExp {
    return new RegExp(this.#parts.map((p) => p.source).join("|"), "i");
  }
}

/**
 * Denials stated as a status, not addressed to anyone ("Access denied",
 * "Zugriff verweigert"). Running text mentions them all the time ("I got
 * access denied yesterday"), so outside titles and headings they count only
 * where a sentence starts with them. Anchored: it tells whether a match *is* one.
 */
export const STATUS = new Vocabulary(
  PARTS.map((p) => ({ stems: p.stems, phrases: p.status })),
  true,
);

export const DENIAL = new Vocabulary(PARTS.map((p) => ({ stems: p.stems, phrases: [...p.status, ...p.said] })));

/** Per language, for the test that keeps stems and phrases in step. */
export const LANGUAGES = PARTS.map((p) => ({
  name: p.name,
  stems: p.stems,
  vocabulary: new Vocabulary([{ stems: /(?:)/, phrases: [...p.status, ...p.said] }]),
}));

/**
 * A cheap first look: any language's stems. Segments without any (most of
 * the web) never run, or even compile, the vocabulary.
 */
export const HINTS = new RegExp(PARTS.map((p) => p.stems.source).join("|"), "i");

/** The label of a button or link that asks for access. */
export const REQUEST_ACCESS = phrases([
  `\\b(?:request|ask for|get|send (?:a )?request for|request edit|request view) (?:edit |view |viewer |editor )?(?:access|permission)\\b`,
  `\\brequest to (?:join|access|view)\\b`,
  `\\b(?:zugriff|zugang|berechtigung) (?:anfordern|beantragen)\\b`,
  `\\bdemander (?:l${Q}|un )?(?:accès|autorisation)`,
  `\\b(?:solicitar|pedir) (?:el )?acceso\\b`,
  `\\b(?:solicitar|pedir) acesso\\b`,
  `\\brichied(?:i|ere) (?:l${Q})?accesso\\b`,
  `\\btoegang (?:aanvragen|vragen)\\b`,
  "アクセス(?:権限?)?を(?:リクエスト|申請|要求)",
]);

/** HTTP-like wording a denial page often shows as its heading or title. */
export const HTTP_DENIAL =
  /\b(?:403|401)\b|\bforbidden\b|\bunauthori[sz]ed\b|\bverboten\b|\binterdit\b|\bprohibido\b|\bproibido\b|\bvietato\b|\bverboden\b|禁止/i;

export const NOT_FOUND = phrases([
  `\\b404\\b`,
  `\\bnot found\\b`,
  `\\b(?:page|file|item|board|repository|project) (?:doesn${Q}t|does not|could not|couldn${Q}t|can${Q}t|cannot) (?:exist|be found|be located)`,
  `\\bnot the web page you are looking for\\b`,
  `\\bcouldn${Q}t find\\b`,
  `\\bnicht gefunden\\b`,
  `\\bintrouvable\\b`,
  `\\bno (?:se )?(?:ha )?encontr(?:ad[oa]|ó)\\b`,
  `\\bnão encontrad[oa]\\b`,
  `\\bnon trovat[oa]\\b`,
  `\\bniet gevonden\\b`,
  "見つかりません",
]);

/** Situations that look like a denial but want something else from the reader. */
export const SIGN_IN = phrases([
  `\\b(?:sign|log) ?in to (?:continue|access|view|see|open|your account)\\b`,
  `\\b(?:please )?(?:sign|log) ?in(?: again)?\\b.{0,30}\\b(?:continue|account|password)\\b`,
  `\\bneed to (?:sign|log) ?in\\b`,
  `\\bsession (?:has )?expired\\b`,
  `\\bverify your email\\b`,
  `\\bbitte (?:melden sie sich|anmelden)\\b`,
  `\\bconnectez-vous\\b`,
  `\\binicia(?:r)? sesi[oó]n\\b`,
  `\\bfaça login\\b`,
  `\\baccedi\\b`,
  `\\blog (?:opnieuw )?in\\b`,
  "ログインしてください",
]);

export const RATE_LIMIT = phrases([
  `\\btoo many requests\\b`,
  `\\brate[- ]limit`,
  `\\b429\\b`,
  `\\bslow down\\b`,
  `\\bzu viele anfragen\\b`,
  `\\btrop de requêtes\\b`,
  `\\bdemasiadas solicitudes\\b`,
]);

export const SERVER_ERROR = phrases([
  `\\b(?:500|502|503|504)\\b`,
  `\\binternal server error\\b`,
  `\\bbad gateway\\b`,
  `\\bservice (?:temporarily )?unavailable\\b`,
  `\\bgateway time-?out\\b`,
  `\\bsomething went wrong\\b`,
  `\\b(?:under|scheduled) maintenance\\b`,
]);

export const PAYWALL = phrases([
  `\\bupgrade (?:to|your|now)\\b`,
  `\\b(?:free )?trial (?:has )?(?:ended|expired)\\b`,
  `\\bavailable on (?:the )?\\w+ plans?\\b`,
  `\\b(?:requires|on) an? (?:paid|higher|business|enterprise|pro|premium) plan\\b`,
]);

export const GONE = phrases([
  `\\b(?:has been|was|been) (?:deleted|removed|archived|trashed)\\b`,
  `\\bin the trash\\b`,
  `\\b(?:link|invitation|invite) (?:has )?expired\\b`,
  `\\bno longer (?:exists|available)\\b`,
]);

// No `u` flag on these small expressions: Unicode mode makes every expression
// slower to compile, and the content script compiles them on each page load.

/** A line that is nothing but an HTTP refusal: "403 Forbidden", "Error 401", "Forbidden". */
export const STATUS_LINE =
  /^[^A-Za-z0-9\u00C0-\u024F\u3040-\u9FFF]*(?:(?:error|http|status)?\s*(?:403|401)(?:\s*[-:–]?\s*(?:forbidden|unauthori[sz]ed|access denied))?|forbidden|unauthori[sz]ed)[^A-Za-z0-9\u00C0-\u024F\u3040-\u9FFF]*$/im;

/** Titles of articles about denials, not denials: "Troubleshooting 403 errors", "How to fix …". */
export const HELP_TITLE =
  /\b(?:troubleshoot\w*|how to|how do i|fix(?:ing)?|guide|faq|what to do|why (?:do|does|can.?t|am|is)|(?:403|401) errors)\b/i;

/** Paths of help centres and documentation: they describe denials rather than enact them. */
export const HELP_PATH = /\/(?:help|hc|docs?|support|kb|knowledge(?:-?base)?|articles?|learn|guides?|faq|community|blog|academy)(?:\/|$)/i;

/** A phrase right after "will see", "the error", "says" is reported speech, not the page speaking. */
export const REPORTED_BEFORE =
  /\b(?:see|sees|seeing|saw|shows?|showing|displays?|get|gets|getting|got|receive|receives|message|error|errors|reads?|says?|saying|like|text|called)\s*[:,]?\s*$/i;

/** Offers to switch accounts are part of denial pages, not sign-in prompts. */
export const SWITCH_ACCOUNT = /\b(?:different|another|other) account\b|\bswitch (?:accounts?|users?)\b|\bsign(?:ed)? out\b/i;

/** A denial phrase directly after an opening quote is being quoted, not said. */
export const OPEN_QUOTE = /["“„«‘'「『]\s*$/;

/** A heading that starts with an exception name ("PermissionDenied: …") is a log, not a refusal. */
const EXCEPTION = "(?:[\\w$]+\\.)*[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*(?:Error|Exception|Denied|Forbidden|Fault)";
export const EXCEPTION_TITLE = new RegExp(`^\\s*${EXCEPTION}\\b`);
/** …and a phrase right after one is the exception's message. */
export const EXCEPTION_BEFORE = new RegExp(`${EXCEPTION}\\s*[:(-]?\\s*$`);
