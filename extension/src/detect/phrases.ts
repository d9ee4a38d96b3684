/**
 * The vocabulary of denial, in the languages the generic detector reads:
 * English, German, French, Spanish, Portuguese, Italian, Dutch, Japanese, Chinese and Korean.
 * Each list is joined into one case-insensitive regular expression so a page
 * costs one scan per text, not one per phrase.
 *
 * Phrases say that *the reader* lacks access ("you don't have access",
 * "Zugriff verweigert"). Words that merely talk about access ("Manage
 * access", "permissions") are deliberately absent: settings pages and help
 * articles use them all the time.
 */
import { STEMS } from "./stems.ts";

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
interface Words {
  /** The language; its stems are STEMS[name] (stems.ts, shared with the content script's first look). */
  name: keyof typeof STEMS;
  /** Denials stated as a status ("Access denied"); see STATUS. */
  status: string[];
  /** Denials said to the reader ("you don't have access"). */
  said: string[];
  /**
   * The reader already asked and waits ("Request sent", "you've requested
   * access"): still blocked, the same situation. Its own stems, since these
   * pages often never say "access".
   */
  pending?: { status: string[]; said: string[] };
  /** Blocked by an organisation's policy rather than a missing grant ("only people in Acme can open this"). */
  org?: string[];
}

/** A language's words with the stems that gate them: the main ones, the pending ones, and the org ones where it has its own. */
interface Part extends Omit<Words, "pending"> {
  stems: RegExp;
  pending?: { stems: RegExp; status: string[]; said: string[] };
  orgStems?: RegExp;
}

const WORDS: Words[] = [
  {
    name: "English",
    status: [
      `\\baccess (?:is )?(?:denied|refused|forbidden|restricted|not allowed)\\b`,
      `\\bpermission (?:denied|required|violation)\\b`,
      `\\b(?:insufficient|missing|lacking) (?:privileges|permissions?|access|rights)\\b`,
      `\\bauthori[sz]ation (?:failed|denied|required)\\b`,
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
      `\\byou (?:can${Q}t|cannot|can not|don${Q}t) (?:access|view|see|open|join)(?: or (?:manage|edit|use|change|join))? (?:this|that|the|these|those|it\\b|#[\\w-]+)`,
      `\\b(?:is|are) hidden from you\\b`,
      `\\b(?:is|are) only (?:available|accessible|visible) to (?:members|people|users) (?:of|on|in)\\b`,
      `\\bonly allows (?:people|members|users) (?:on|in|of) (?:the )?[\\w&.-]+(?: [\\w&.-]+){0,3} (?:team|group|workspace) to\\b`,
      `\\b(?:the )?user ['"“]?[\\w.@+-]+['"”]? (?:doesn${Q}t|does not) have (?:the )?['"“]?[\\w -]{1,20}['"”]? permission\\b`,
      `\\bnot cleared for\\b|\\bif you should be (?:let in|given access|allowed in)\\b`,
      `\\b(?:is|are) (?:for|limited to|reserved for) (?:the )?[\\w&.-]+(?: [\\w&.-]+){0,2} (?:team|group|department|role)s? only\\b`,
      `\\b(?:is|are) limited to (?:the )?[\\w&.-]+(?: [\\w&.-]+){0,2} (?:group|team|role)\\b`,
      `\\byou (?:can${Q}t|cannot) (?:deploy|edit|merge|push|publish|download|run)(?: anything)? (?:to|on|in|this|that|the)\\b`,
      `\\b(?:security (?:constraints|restrictions|settings|policies)|your permissions) (?:prevent|do not allow|don${Q}t allow) (?:you from )?(?:access|accessing|viewing|opening)`,
      `\\b(?:is|are) not authori[sz]ed(?: for you)?[.!]`,
      `\\bdoes not exist or (?:is )?not authori[sz]ed\\b`,
      `\\bnot (?:permitted|allowed) to (?:access|view|open)\\b`,
      `\\byou(?:${Q}re| are) unauthori[sz]ed to\\b`,
      `\\bnot allowed by (?:rbac|(?:the |your )?(?:role|access|security) polic(?:y|ies))\\b`,
      `\\bmay not exist,? or you (?:may not|don${Q}t|do not) have\\b`,
      // Not included: "you haven't been added", "hasn't been shared with you", "you're not on the team", "locked to you".
      `\\byou (?:have not|haven${Q}t|were not|weren${Q}t) (?:yet )?been (?:added|invited|given access)\\b`,
      `\\b(?:hasn${Q}t|has not|wasn${Q}t|was not|isn${Q}t|is not|haven${Q}t|have not) (?:been )?shared with you\\b`,
      `\\byou(?:${Q}re| are) not (?:on|in) (?:the|this|that) (?:list|team|project|channel|workspace|board|account|group|org)\\b`,
      `\\b(?:is|are) locked (?:to|for) you\\b|\\bis only open to (?:its|the|their) (?:teammates|members|team)\\b`,
      `\\bask [\\w.-]+(?: [\\w.-]+)?(?:${Q}s)?(?: owners?| admins?)? to (?:share (?:it|this|them)(?: \\w+)? with you|add you|invite you|give you access|send you an invit)`,
      `\\b(?:you|your account|your user)(?: [\\w@.,-]+){0,3} (?:isn${Q}t|is not|aren${Q}t|are not|may not be) (?:a )?members?\\b`,
      `\\bonly (?:people|users|members|guests) who(?:${Q}ve| have) been (?:invited|added)\\b`,
      `\\bwe can${Q}t show you\\b`,
      `\\bis forbidden: user\\b|\\bcannot (?:list|get|watch|create|delete) resource\\b`,
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
      `\\byou need (?:an? )?(?:invitation|invite) to\\b`,
      `\\b(?:doesn${Q}t|does not) exist,? or you (?:don${Q}t|do not) have\\b`,
    ],
    pending: {
      status: [
        `\\b(?:access |your )?request(?: has been| was)? (?:sent|submitted)\\b`,
        `\\baccess requested\\b`,
        `\\b(?:access )?request pending\\b`,
        `\\bpending (?:approval|access request)\\b`,
      ],
      said: [
        `\\byou(?:${Q}ve| have)? (?:already )?(?:requested|asked for) (?:edit |view |viewer |editor )?(?:access|permission|to join|to view)\\b`,
        `\\byour (?:access )?request (?:is|has been) (?:pending|awaiting|waiting|under review|sent|submitted)\\b`,
        `\\b(?:awaiting|waiting for) (?:the )?(?:owner|admin|administrator|approval|approver|an admin)`,
        `\\byour (?:access )?request (?:to (?:join|access|view)|for access) (?:is|has been) (?:pending|sent|submitted|received)\\b`,
        `\\byou asked for\\b.{0,60}\\b(?:rights|access|permissions?|role)\\b|\\buntil\\b.{0,30}\\bapproves\\b`,
        `\\b(?:an? |the |your )?(?:admin|administrator|owner|manager)s? (?:needs|need|has|have) to approve (?:your|this)\\b`,
        `\\b(?:this device|your (?:account|device|request|access)) needs? (?:an? )?(?:admin(?:istrator)?${Q}?s? )?approval\\b`,
      ],
    },
    org: [
      // "Only people in Acme Corp can open this file" (a group's members are a missing grant, not a policy).
      `\\b(?:only|restricted to) (?:people|users|accounts|employees|anyone) (?:in|at|from|within) (?:(?:your |the |this )?(?:organi[sz]ation|company|domain|enterprise|tenant)\\b|[\\w&.-]+(?: [\\w&.-]+){0,3} (?:can|may)\\b)`,
      `\\brestricted to (?:(?:members|people|users) of )?(?:your |the |this |its )?(?:organi[sz]ation|company|domain|enterprise|tenant)\\b`,
      `\\byour (?:organi[sz]ation|company|enterprise|admin(?:istrator)?|it (?:department|team))(?:${Q}s)? (?:security )?(?:policy |policies |settings |admins? |administrators? )?(?:has |have )?(?:restricted|blocked|disabled|turned off|prevents?|does(?:n${Q}t| not) (?:allow|permit))\\b`,
      `\\b(?:blocked|restricted|prevented|not allowed|disallowed) by (?:your |an? |the )?(?:organi[sz]ation|company|enterprise|admin(?:istrator)?|security|conditional access|workspace|it)(?:${Q}s)?(?: (?:policy|policies|settings|admin))?\\b`,
      `\\b(?:external|outside) (?:sharing|access|users?|guests?|collaborators?) (?:is |are |has been )?(?:disabled|not allowed|turned off|restricted|blocked)\\b`,
      `\\bcan only be (?:viewed|opened|accessed|edited|seen|used) by (?:authenticated |signed-in )?(?:people|users|accounts|employees) (?:in|at|from|of|within)\\b`,
      `\\bunder [\\w&.-]+(?: [\\w&.-]+){0,3} polic(?:y|ies)\\b.{0,12}$|\\b(?:data-handling|security|access|compliance) policy [A-Z0-9-]{2,}`,
      `\\bcan only be accessed from (?:devices|client applications|compliant|managed|approved|corporate|trusted)`,
      `\\bcompliance polic(?:y|ies)\\b|\\byou can${Q}t get there from here\\b`,
      `\\bonly (?:available|accessible|visible) to (?:people|users|accounts|employees) (?:in|at|of|from|within)\\b`,
      `\\bonly allows (?:members|people|users|accounts) (?:of|in|from) (?:its|their|the|your) (?:organi[sz]ation|company|domain|enterprise)\\b`,
      `\\byour (?:organi[sz]ation|company)(?:${Q}s)? only (?:lets|allows)\\b`,
      `\\bpolicy only allows\\b|\\bfrom approved (?:ip addresses|networks|devices|locations)\\b`,
      `\\b(?:enabled or )?(?:enforced|requires) saml (?:single sign-on|sso)\\b|\\b(?:you must )?authenticate with\\b.{0,40}\\bidentity provider\\b`,
      `\\b(?:team|organi[sz]ation|workspace|company|account) requires two-factor authentication\\b|\\buntil you enable (?:2fa|two-factor)`,
      `\\brestricted to (?:the )?[\\w&.-]+(?: [\\w&.-]+){0,2} (?:workspace|organi[sz]ation|company|domain|tenant)\\b`,
      `\\b(?:has|have) turned off sharing with (?:people|users|anyone) outside\\b|\\bsharing with (?:people|users) outside (?:the|your) (?:company|organi[sz]ation)\\b`,
      `\\bis for [\\w&.-]+(?: [\\w&.-]+){0,2} (?:users|members|employees|people|accounts) only\\b`,
      `\\b(?:sharing is )?limited to (?:people|users|members|accounts) (?:in|of|from) (?:the |your )?[\\w&.-]+(?: [\\w&.-]+){0,2} (?:workspace|organi[sz]ation|company|domain)\\b`,
      `\\b(?:due to|because of) (?:your |the )?(?:organi[sz]ation(?:al|${Q}s)?|company(?:${Q}s)?|security) polic(?:y|ies)\\b`,
      `\\bip (?:address )?(?:is )?not (?:allowed|permitted)\\b|\\bip allow ?list\\b`,
      `\\b(?:from|on) this (?:network location|network|location|device)\\b`,
      `\\bonly available to (?:the )?(?:members of )?(?:[\\w&.-]+ ){0,3}(?:workspace|organi[sz]ation|company|domain|tenant)\\b`,
      `\\bcan(?:${Q}t|not| not) be (?:shared|accessed|opened|viewed) (?:by people |with people )?outside (?:of )?(?:your |the |this )?(?:organi[sz]ation|company|domain|enterprise)\\b`,
    ],
  },
  {
    name: "German",
    status: [
      `\\b(?:zugriff|zugang) (?:verweigert|abgelehnt|nicht erlaubt|nicht gestattet|nicht möglich)`,
      `\\bunzureichende (?:berechtigungen|rechte|zugriffsrechte)\\b`,
    ],
    said: [
      `\\bkeine (?:berechtigung|zugriffsberechtigung|zugriffsrechte|rechte)\\b`,
      `\\bkeinen (?:zugriff|zugang)\\b`,
      `\\bkein (?:zugriff|zugang) auf (?:dies|den|die|das)\\w*\\b`,
      `\\bnicht (?:berechtigt|autorisiert)\\b`,
      `\\bfehlende (?:berechtigung|rechte)`,
      `\\b(?:ist|sind) (?:durch [\\w-]+ )?nicht zulässig\\b`,
      `\\b(?:sie|du) (?:benötigen|benötigst|brauchen|brauchst) (?:weiterhin |noch )?(?:eine |die )?(?:zugriffsberechtigung|berechtigung|zugriff|zugang)`,
      `\\b(?:zugriff|zugang|berechtigung) erforderlich\\b`,
      `\\bnicht (?:für (?:sie|dich) )?freigegeben\\b`,
      `\\b(?:sie sind|du bist) kein mitglied\\b`,
      `\\b(?:sie können|du kannst) (?:leider )?nicht (?:auf|darauf)\\b.{0,50}\\bzugreifen\\b`,
      `\\bverhindern den zugriff\\b`,
    ],
    pending: {
      status: [
        `\\b(?:zugriffs)?(?:anfrage|anforderung) (?:wurde )?(?:gesendet|gesandt|verschickt|übermittelt)`,
        `\\bzugriff angefordert\\b`,
        `\\banfrage ausstehend\\b`,
      ],
      said: [`\\b(?:sie haben|du hast) (?:bereits )?(?:den )?zugriff angefordert`, `\\b(?:wartet|warten) auf (?:die )?genehmigung`],
    },
    org: [
      `\\b(?:ihre|deine) organisation (?:erlaubt|gestattet|lässt)\\b.{0,60}\\bnicht\\b`,
      `\\brichtlinien? (?:ihrer|deiner) organisation\\b`,
      `\\bnur (?:für )?(?:personen|mitglieder|nutzer|benutzer) (?:in|von|aus|bei) (?:ihrer|deiner|der|dieser) (?:organisation|firma|domain)\\b`,
      `\\baußerhalb (?:ihrer|deiner) organisation\\b`,
      `\\b(?:sicherheits)?richtlinie (?:ihres|deines|des) unternehmens\\b|\\bnur aus dem (?:firmen|unternehmens)netzwerk\\b`,
      `\\bkann nur von (?:personen|nutzern|benutzern|mitgliedern) (?:in|von|aus|der)\\b.{0,60}\\b(?:angezeigt|geöffnet|bearbeitet) werden\\b`,
    ],
  },
  {
    name: "French",
    status: [
      `\\bacc[eè]s (?:refus[ée]|interdit|non autoris[ée]|restreint)`,
      `\\bautorisation (?:requise|refus[ée]e)\\b`,
      `\\bpermission (?:refus[ée]e|requise)\\b`,
    ],
    said: [
      `\\bn${Q}(?:avez|a|êtes) pas (?:accès|l${Q}autorisation|les autorisations|les droits|la permission|les permissions|autoris[ée])`,
      `\\bvous (?:n${Q}avez|ne disposez) pas (?:de l${Q}|de |des |d${Q})?(?:accès|droits|autorisations?|permissions?)`,
      `\\b(?:privilèges|autorisations|droits|permissions) insuffisant(?:e)?s\\b`,
      `\\bvous (?:avez besoin|devez disposer) d${Q}(?:une? )?(?:accès|autorisation)`,
      `\\b(?:accès|autorisation) (?:requis|nécessaire)\\b`,
      `\\bvous n${Q}êtes pas membre\\b`,
      `\\bvous ne pouvez pas (?:accéder|ouvrir|afficher|consulter)\\b`,
      `\\bempêchent l${Q}accès\\b`,
    ],
    pending: {
      status: [`\\bdemande (?:d${Q}accès )?(?:envoyée|transmise|en attente)`],
      said: [`\\bvous avez (?:déjà )?demandé (?:l${Q}|un )?accès`, `\\ben attente (?:d${Q}approbation|de validation|de l${Q}approbation)`],
    },
    org: [
      `\\bvotre organisation (?:n${Q}autorise pas|ne permet pas|a restreint|bloque|a bloqué)`,
      `\\bréservée? aux (?:membres|personnes|utilisateurs) de (?:votre|l${Q}|cette) ?(?:organisation|entreprise|domaine)`,
      `\\b(?:politique|stratégie|règles?) de (?:sécurité de )?votre organisation\\b`,
      `\\ben dehors de votre organisation\\b`,
      `\\bne peut être (?:consulté|ouvert|affiché)e? que par (?:les )?(?:personnes|utilisateurs|membres) de\\b`,
      `\\buniquement (?:disponible|accessible) (?:pour|aux) (?:les )?(?:membres|personnes|utilisateurs) de\\b`,
    ],
  },
  {
    name: "Spanish",
    status: [`\\bacceso (?:denegado|restringido|no autorizado)`, `\\bpermiso denegado\\b`, `\\b(?:privilegios|permisos) insuficientes\\b`],
    said: [
      `\\bno (?:tienes|tiene|tienen|dispone de|dispones de) (?:acceso|permisos?|autorizaci[oó]n)`,
      `\\bno (?:est[aá]s?|est[aá]n) autorizad[oa]s?\\b`,
      `\\bnecesitas? (?:acceso|permisos?)\\b`,
      `\\bse (?:necesita|requiere) (?:acceso|permiso)`,
      `\\bno (?:puede|puedes|pueden|podemos) (?:acceder|abrir|ver) (?:a |al |este|esta|el |la )`,
      `\\bimpiden el acceso\\b`,
      `\\bno (?:eres|es) miembro\\b`,
    ],
    pending: {
      status: [`\\bsolicitud (?:de acceso )?(?:enviada|pendiente)`],
      said: [`\\b(?:ya )?(?:has|ha) solicitado (?:el )?acceso`, `\\bpendiente de (?:aprobación|aprobacion)`],
    },
    org: [
      `\\b(?:tu|su) organizaci[oó]n no (?:permite|admite)`,
      `\\brestringid[oa] a (?:los |las )?(?:miembros|usuarios|personas) de (?:tu|su|la|esta) (?:organizaci[oó]n|empresa|dominio)`,
      `\\bpol[ií]ticas? de (?:tu|su) organizaci[oó]n\\b`,
      `\\bfuera de (?:tu|su) organizaci[oó]n\\b`,
      `\\bsolo (?:permite|pueden|puede)\\b.{0,60}\\b(?:personas|usuarios|miembros) de (?:su|tu|la) organizaci[oó]n`,
      `\\bsolo (?:est[aá] disponible|es visible|puede ser visto|puede verse) (?:para|por) (?:los miembros|las personas|los usuarios) de (?:su|tu|la|esta) (?:organizaci[oó]n|empresa)`,
      `\\bimpide que (?:personas|usuarios) extern[oa]s\\b`,
    ],
  },
  {
    name: "Portuguese",
    status: [`\\bacesso (?:negado|restrito|não autorizado)`, `\\bpermiss[aã]o negada\\b`, `\\b(?:privilégios|permissões) insuficientes\\b`],
    said: [
      `\\b(?:você|voce|vc) não (?:tem|possui) (?:acesso|permiss[aã]o|autoriza[cç][aã]o)`,
      `\\bnão (?:tem|possui|tens) (?:acesso|permiss[aã]o)`,
      `\\bsem permiss[aã]o\\b`,
      `\\bnão (?:está|estás) autorizad[oa]\\b`,
      `\\bprecisa de (?:acesso|permiss[aã]o)\\b`,
      `\\b(?:acesso|permiss[aã]o) necess[aá]ri[oa]\\b`,
      `\\bnão (?:é|és) membro\\b`,
      `\\b(?:você |voce )?não (?:pode|consegue|podemos) (?:acessar|abrir|visualizar)\\b`,
      `\\bimpedem o acesso\\b`,
    ],
    pending: {
      status: [`\\b(?:solicita[cç][aã]o|pedido) (?:de acesso )?(?:enviad[oa]|pendente)`],
      said: [`\\b(?:você|voce) (?:já )?solicitou (?:o )?acesso`, `\\baguardando (?:a )?aprova[cç][aã]o`],
    },
    org: [
      `\\b(?:sua|a) organiza[cç][aã]o não (?:permite|autoriza)`,
      `\\brestrit[oa] a (?:membros|usuários|pessoas) d[ae] (?:sua |esta )?(?:organiza[cç][aã]o|empresa|dom[ií]nio)`,
      `\\bpol[ií]ticas? da (?:sua )?organiza[cç][aã]o\\b`,
      `\\bfora da (?:sua )?organiza[cç][aã]o\\b`,
      `\\bs[oó] pode ser (?:visualizad|acessad|abert|respondid|vist)[oa] por (?:usuários|pessoas|membros) (?:na|da|de|do) (?:sua |esta )?(?:organiza|empresa|dom[ií]nio|equipe)`,
      `\\bs[oó] est[aá] dispon[ií]vel para (?:os membros|as pessoas|os usuários) d[ae] (?:sua |esta )?(?:organiza|empresa)`,
      `\\bdispon[ií]vel apenas para (?:usuários|pessoas|membros) d[ae] (?:sua |esta )?organiza`,
    ],
  },
  {
    name: "Italian",
    status: [
      `\\baccesso (?:negato|non consentito|non autorizzato|limitato)`,
      `\\b(?:autorizzazione|permesso) negat[oa]\\b`,
      `\\b(?:privilegi|permessi|autorizzazioni) insufficienti\\b`,
    ],
    said: [
      `\\bnon (?:hai|ha|avete|disponi|dispone) (?:di )?(?:accesso|l${Q}accesso|l${Q}autorizzazione|autorizzazioni|i permessi|il permesso|permessi|i diritti)`,
      `\\bnon (?:sei|è) autorizzat[oa]\\b`,
      `\\b(?:hai bisogno|è necessario disporre) (?:di |dell${Q})?(?:accesso|autorizzazione)`,
      `\\bimpedisc\\w+ l${Q}accesso\\b`,
      `\\bnon è possibile (?:visualizzare|accedere|aprire)\\b`,
    ],
    pending: {
      status: [`\\brichiesta (?:di accesso )?(?:inviata|in attesa)`],
      said: [`\\bin attesa di approvazione\\b`, `\\bhai già richiesto (?:l${Q})?accesso`],
    },
    org: [
      `\\bdisponibile solo per (?:gli |i )?(?:utenti|membri|persone)\\b.{0,40}\\borganizzazione\\b`,
      `\\bla tua organizzazione non (?:consente|permette)`,
      `\\b(?:riservat|limitat)[oa] ai (?:membri|utenti) (?:della|dell${Q}) ?(?:tua |questa )?(?:organizzazione|azienda)`,
    ],
  },
  {
    name: "Dutch",
    status: [`\\btoegang (?:geweigerd|verboden|niet toegestaan)`, `\\bonvoldoende (?:rechten|machtigingen|bevoegdheden)\\b`],
    said: [
      `\\bgeen (?:toegang|toestemming|rechten|machtiging|bevoegdheid|toegangsrechten)\\b`,
      `\\bniet (?:gemachtigd|bevoegd|geautoriseerd)\\b`,
      `\\b(?:je|u) (?:hebt|heeft) (?:toegang|toestemming) nodig\\b`,
    ],
    pending: {
      status: [`\\b(?:toegangs)?(?:verzoek|aanvraag) (?:is )?(?:verzonden|verstuurd|ingediend)`, `\\btoegang aangevraagd\\b`],
      said: [
        `\\bwacht(?:en)? op goedkeuring\\b`,
        `\\b(?:je|u) (?:hebt|heeft) (?:al )?toegang aangevraagd\\b`,
        `\\b(?:je|uw) verzoek\\b.{0,40}\\b(?:gestuurd|verzonden|verstuurd)\\b`,
      ],
    },
    org: [
      `\\b(?:je|uw) organisatie staat\\b.{0,50}\\bniet toe\\b`,
      `\\balleen (?:voor )?(?:leden|gebruikers|mensen) (?:van|binnen) (?:je|uw|de|deze) organisatie\\b`,
    ],
  },
  {
    name: "Japanese",
    status: ["アクセス(?:が|は)?拒否"],
    said: [
      "(?:アクセス|閲覧|表示|編集)?(?:する)?権限(?:が|は)(?:ありません|ない)",
      "アクセス権(?:限)?(?:が|は)(?:ありません|ない)",
      "アクセスできません",
      "許可されていません",
      "権限が必要です",
      "アクセス権(?:限)?が必要",
      "(?:アクセス)?許可(?:が|は)(?:ありません|ない)",
      "アクセス(?:する)?(?:権限|許可)を(?:持って|お持ちで)(?:いません|ない)",
      "メンバーではありません",
      "(?:閲覧|参照)できません",
      "閲覧する権限",
    ],
    pending: {
      status: ["リクエスト(?:を|が)送信(?:しました|されました)", "リクエスト済み", "申請済み", "承認待ち"],
      said: ["アクセス(?:権)?を(?:リクエスト|申請)しました", "(?:オーナー|管理者)の承認を待って"],
    },
    org: [
      "組織の(?:ポリシー|設定|管理者)によ",
      "組織外",
      "組織(?:内|の)(?:ユーザー|メンバー)(?:のみ|だけ)",
      "(?:社内)?(?:セキュリティ)?ポリシーにより",
      "(?:アクセス|サインイン)(?:する)?ための条件を満たしていません",
      "条件付きアクセス",
    ],
  },
  {
    name: "Chinese",
    status: ["(?:访问|訪問|存取)(?:被|遭)?(?:拒绝|拒絕)", "拒绝访问", "拒絕存取"],
    said: [
      "(?:您|你)?(?:没有|沒有)(?:访问|訪問|查看|檢視|编辑|編輯|存取)?(?:权限|權限)",
      "(?:没有|沒有)[^。！？\\n]{1,16}(?:权限|權限)",
      "(?:无权|無權)(?:访问|訪問|查看|檢視|存取)",
      "(?:无法|無法)(?:访问|訪問|存取)(?:此|该|該)",
      "需要(?:访问|訪問|存取)?(?:权限|權限)",
    ],
    pending: {
      status: ["(?:请求|請求|申请|申請)已(?:发送|發送|提交)", "已(?:发送|發送|提交)(?:请求|請求|申请|申請)"],
      said: ["等待(?:所有者|管理员|管理員)?(?:批准|审批|審批)", "已申请访问", "已申請存取"],
    },
    org: ["(?:组织|組織)(?:的)?(?:策略|政策)", "仅限.{0,12}(?:组织|組織)", "(?:组织|組織)外部"],
  },
  {
    name: "Korean",
    status: ["(?:액세스|접근)(?:이|가)? 거부"],
    said: ["권한이 없습니다", "(?:액세스|접근) 권한이 없", "(?:액세스|접근)할 수 없습니다", "권한이 필요합니다"],
    pending: {
      status: ["요청(?:을|이) (?:보냈습니다|전송되었습니다)"],
      said: ["(?:액세스|접근)(?:를|을)? 요청했습니다", "승인 대기"],
    },
    org: ["조직(?:의)? 정책", "조직 외부", "조직 (?:구성원|사용자)만"],
  },
];

const PARTS: Part[] = WORDS.map((w) => {
  const stems: { main: RegExp; pending?: RegExp; org?: RegExp } = STEMS[w.name];
  const { pending, ...rest } = w;
  return {
    ...rest,
    stems: stems.main,
    ...(pending ? { pending: { ...pending, stems: stems.pending ?? stems.main } } : {}),
    ...(stems.org ? { orgStems: stems.org } : {}),
  };
});

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
  PARTS.flatMap((p) => [
    { stems: p.stems, phrases: p.status },
    ...(p.pending ? [{ stems: p.pending.stems, phrases: p.pending.status }] : []),
  ]),
  true,
);

export const DENIAL = new Vocabulary(PARTS.map((p) => ({ stems: p.stems, phrases: [...p.status, ...p.said] })));

/** The reader's request is already with the app's owner: "Request sent", "Zugriff angefordert". */
export const PENDING = new Vocabulary(
  PARTS.flatMap((p) => (p.pending ? [{ stems: p.pending.stems, phrases: [...p.pending.status, ...p.pending.said] }] : [])),
);

/** An organisation's policy, not a missing grant, stands in the way. */
export const ORG_RESTRICTED = new Vocabulary(PARTS.flatMap((p) => (p.org ? [{ stems: p.orgStems ?? p.stems, phrases: p.org }] : [])));

/**
 * A pending-request page often says no more than "Request sent"; a support
 * form says that too. Only with one of these words around is it about access.
 */
export const ACCESS_CONTEXT =
  /access|permission|approv|owner|admin|zugriff|genehmig|berechtig|accès|approbation|acceso|aprobaci|acesso|aprova|accesso|approvazione|toegang|goedkeuring|アクセス|承認|権限|权限|權限|访问|批准|액세스|권한|승인/i;

/** Per language, for the test that keeps stems and phrases in step. */
export const LANGUAGES = PARTS.map((p) => ({
  name: p.name,
  stems: p.stems,
  vocabulary: new Vocabulary([{ stems: /(?:)/, phrases: [...p.status, ...p.said] }]),
  org: p.org ? { stems: p.orgStems ?? p.stems, vocabulary: new Vocabulary([{ stems: /(?:)/, phrases: p.org }]) } : null,
  pending: p.pending
    ? { stems: p.pending.stems, vocabulary: new Vocabulary([{ stems: /(?:)/, phrases: [...p.pending.status, ...p.pending.said] }]) }
    : null,
}));

/**
 * A cheap first look: any language's stems. Segments without any (most of
 * the web) never run, or even compile, the vocabulary.
 */
export const HINTS = new RegExp(
  PARTS.flatMap((p) => [p.stems.source, ...(p.pending ? [p.pending.stems.source] : []), ...(p.orgStems ? [p.orgStems.source] : [])]).join(
    "|",
  ),
  "i",
);

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
  `\\b(?:bei ihrem konto )?anmelden,? um\\b.{0,40}\\bfortzufahren\\b`,
  "サインインして",
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
  /^[^A-Za-z0-9\u00C0-\u024F\u3040-\u9FFF\uAC00-\uD7AF]*(?:(?:error|http|status)?\s*(?:403|401)(?:\s*[-:–]?\s*(?:forbidden|unauthori[sz]ed|access denied))?|forbidden|unauthori[sz]ed)[^A-Za-z0-9\u00C0-\u024F\u3040-\u9FFF\uAC00-\uD7AF]*$/im;

/** Titles of articles about denials, not denials: "Troubleshooting 403 errors", "How to fix …", "Comment résoudre …". */
export const HELP_TITLE =
  /\b(?:troubleshoot\w*|how to|how do i|fix(?:ing)?|guide|faq|what to do|why (?:do|does|can.?t|am|is)|(?:403|401) errors|comment (?:résoudre|corriger|réparer)|dépann\w+|cómo (?:solucionar|resolver|corregir)|solución de problemas|como (?:resolver|corrigir|solucionar)|solução de problemas|fehlerbehebung|so beheben sie|wie (?:behebe|löse)|beheben|come risolvere|problemen oplossen)\b|(?:解決方法|対処法|トラブルシューティング|の原因|如何解决|解决方法|해결 방법)/i;

/** Section headings of a troubleshooting article: "Symptoms", "Cause", "Resolution", "Ursache", "Lösung"… */
export const ARTICLE_SECTION =
  /^(?:symptoms?|causes?|resolution|solution|workaround|more information|ursache|lösung|symptome|weitere informationen|cause|résolution|solution de contournement|causa|solución|síntomas|sintomas|solução|oorzaak|oplossing|原因|解決策|解決方法|対処方法|対処法|症状|现象|解决方案|解决方法|증상|원인|해결 방법)\s*:?$/i;

/** A question: a Q&A title or a help article's heading, about a denial rather than one. */
export const QUESTION_END = /[?？]\s*$/;

/** The sentence so far is a hypothetical: "If you open a file that you don't have permission to…". */
export const CONDITIONAL_BEFORE =
  /(?:^|[.!?;:。！？]\s*|\n)[^.!?;:。！？\n]*\b(?:if|when|whenever|in case|wenn|falls|sobald|si|se|cuando|quando|als|wanneer|qualora)\b[^.!?;:。！？\n]*$/i;

/** What follows a status that makes it a label or a count: "Access denied events", "-Ereignisse", "と表示される". */
export const LABEL_AFTER =
  /^[\s“”"»」』'’)-]*(?:events?|errors?|counts?|logs?|attempts?|requests?\b|responses?|rates?|metrics?|alerts?|per\b|by (?:app|user|service|day|hour|department|team)|trend|over time|in the last|ereignisse|fehler|anzahl|événements|erreurs|eventos|errores|erros|イベント|件数|エラー|回数|と(?:表示|出|言われ|なっ)|というエラー|错误|事件|次数|이벤트|오류)/i;

/** A status followed by a path or an error code is a log line: "Permission denied: '/var/log/app.log'", "(publickey)". */
export const LOGGED_AFTER = /^\s*(?::\s*['"“‘/\\]|\((?:publickey|errno|os error|code)\b)/i;

/** Paths of help centres and documentation: they describe denials rather than enact them. */
export const HELP_PATH =
  /\/(?:help|hc|docs?|support|kb|knowledge(?:-?base|-?center)?|articles?|learn|guides?|tutorials?|faq|community|blog|academy|questions|answers?|troubleshoot(?:ing)?|wiki\/[^/]*(?:error|troubleshoot))(?:\/|$)/i;

/** A help centre at the root of the site (after a locale): `/help/…`, `/pt-br/help/…`, `/hc/en-us/…` — not an app's `/app/docs/<id>`. */
export const HELP_ROOT =
  /^\/(?:[a-z]{2}(?:[-_][a-z]{2,4})?\/)?(?:help|hc|docs?|support|kb|knowledge(?:-?base|-?center)?|articles?|learn|guides?|tutorials?|faq|community|blog|academy|questions|answers?|troubleshoot(?:ing)?)(?:\/|$)/i;

/** Hosts of help centres, documentation and Q&A sites (for pages no catalog app claims: docs.google.com is Google Docs). */
export const HELP_HOST =
  /^(?:support|help|helpcenter|learn|developers?|community|kb|answers|forums?|discuss|repost|status|stackoverflow|superuser|serverfault|askubuntu)\.|(?:^|\.)(?:stackoverflow\.com|stackexchange\.com|teratail\.com|qiita\.com|zenn\.dev|reddit\.com|medium\.com|dev\.to)$/i;

/** A phrase in parentheses or after a comparison is a gloss in a query or a legend: "status = 403 (permission denied)". */
export const GLOSS_BEFORE = /\(\s*$|[=≠<>]\s*[\w."'-]*\s*$/;

/** Korean, Japanese and Chinese state the subject: "members without permission cannot access…" speaks of others, not to the reader. */
export const OTHERS_BEFORE =
  /(?:구성원|사용자|멤버|회원|직원|계정|ユーザー|メンバー|利用者|社員|アカウント|用户|成员|使用者|员工|账号)(?:은|는|이|가|は|が)?[^。.!?\n]{0,60}$|\b(?:people|users|members|groups|guests|anyone|everyone|others|viewers|collaborators|quem|quienes|quien|wer|chi|usuários?|usuarios?|utilisateurs?|benutzer|nutzer|utenti|utente|gebruikers?|colaboradores|mitarbeiter)\b[^.!?\n]{0,40}$/i;

/** A sharing dialog describes who may open a file ("Restricted — only people with access can open with the link"); it refuses no one. */
export const SHARE_DIALOG =
  /\b(?:copy link|general access|add people|people with access|anyone with the link|link kopieren|copier le lien|copiar (?:enlace|link)|リンクをコピー|复制链接)\b/gi;

/** The rest of a CJK sentence makes it a hypothetical: "…と設定している場合があります", "如果…", "…경우". */
export const CONDITIONAL_AFTER = /^[^。！？\n]{0,60}(?:場合|ことがあります|かもしれません|可能会|경우)/;

/** A phrase right after "will see", "the error", "says" is reported speech, not the page speaking. */
export const REPORTED_BEFORE =
  /\b(?:see|sees|seeing|saw|shows?|showing|displays?|get|gets|getting|got|receive|receives|message|error|errors|reads?|says?|saying|like|text|called|reason|cause|status|type|filter|grund|ursache|typ|raison|motif|motivo|causa|tipo|estado|reden)\s*[:,]?\s*$|\b(?:informando|dizendo|avisando|indicando|diciendo|disant|indiquant) que\s*$|\bmit dem hinweis,?\s*(?:dass)?\s*$/i;

/** "次のメッセージが表示されることがあります：…", "会显示以下提示：", "다음 메시지가 표시됩니다": the message quoted by a help page. */
export const REPORTED_CJK_BEFORE =
  /(?:メッセージ|エラー|表示され(?:る(?:ことがあります)?|ます)|提示|显示|顯示|消息|메시지|오류|표시됩니다)[^。\n]{0,4}[。：:、\s]*$/;

/** Offers to switch accounts are part of denial pages, not sign-in prompts. */
export const SWITCH_ACCOUNT = /\b(?:different|another|other) account\b|\bswitch (?:accounts?|users?)\b|\bsign(?:ed)? out\b/i;

/** A denial phrase directly after an opening quote is being quoted, not said. */
export const OPEN_QUOTE = /(?:^|[\s([{:,;])["'‘]\s*$|[“„«「『]\s*$/;

/** A heading that starts with an exception name ("PermissionDenied: …") is a log, not a refusal. */
const EXCEPTION = "(?:[\\w$]+\\.)*[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*(?:Error|Exception|Denied|Forbidden|Fault)";
export const EXCEPTION_TITLE = new RegExp(`^\\s*${EXCEPTION}\\b`);
/** …and a phrase right after one is the exception's message. */
export const EXCEPTION_BEFORE = new RegExp(`${EXCEPTION}\\s*[:(-]?\\s*$`);
