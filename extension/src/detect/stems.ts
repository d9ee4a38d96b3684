/**
 * The stems of the denial vocabulary (phrases.ts), per language: every
 * phrase of a part contains one of its part's stems. They live apart from
 * the phrases because they are all the always-loaded content script needs:
 * a page whose text holds none of them (nor a not-found or HTTP refusal)
 * cannot be judged denied, so the detector itself (catalog, vocabulary,
 * scoring: detector.js) is loaded only for pages that do. See screen.ts.
 */
export const STEMS = {
  English: {
    main: /access|permission|only available to|only allows people|not on the|hidden from you|not cleared|let in|(?:team|group|department|role)s? only|limited to|you asked for|you can.?t (?:deploy|edit|merge|push|publish|download|run)|invited|shared with you|locked (?:to|for) you|been added|can.?t show you|only open to|a member|authori[sz]|allow|permitted|privilege|rights|member|part of|restricted|denied|forbidden|private|let you see|unavailable|not assigned|can.?t (?:access|view|see|open)|cannot|can not|don.?t (?:access|view|see|open)|prevent/i,
    pending: /request|pending|awaiting|waiting for|approv/i,
    org: /saml|identity provider|two-factor|2fa|organi[sz]ation|company|domain|enterprise|only (?:people|users|members|accounts|employees)|restricted|blocked|prevented|disallowed|external|outside|only available to|ip allow|network location|this device|polic(?:y|ies)|compliance|get there from here|only allows|only (?:available|accessible|visible)/i,
  },
  German: {
    main: /zulässig|zugriff|zugang|berechtig|rechte|autorisiert|zugewiesen|nicht verfügbar|eingeschränkt|zugreif|autorisier|richtlinie erlaubt/i,
    pending: /anforderung|anfrage|angefordert|ausstehend|genehmig/i,
    org: /organisation|kann nur von|richtlinie|firmennetzwerk|unternehmensnetzwerk/i,
  },
  French: {
    main: /acc[eè]s\b|n.(?:avez|a|êtes) pas|ne disposez|autorisation|permission (?:refus|requis)|privil[eè]ges|non attribu|pas disponible pour vous|restreinte|accéder|ne pouvez pas|empêchent|autoris|politique basée/i,
    pending: /demand|en attente/i,
    org: /organisation|que par|uniquement/i,
  },
  Spanish: {
    main: /acceso|permiso|autorizad|autorizaci|no tienes|no tiene|necesita|no dispone|privilegios|no asignad|no está disponible para|restringid|acceder|no puedes?|impiden|autorizad|política basada/i,
    pending: /solicit|pendiente/i,
    org: /organizaci|disponible para|es visible|puede(?: ser)? vis|extern[oa]s/i,
  },
  Portuguese: {
    main: /acesso|permiss[aã]o|autoriza[cç]|autorizad|não (?:tem|possui|tens|está|estás)|sem permiss|precisa de|privil[eé]gios|não atribu|não está disponível para|restrit|acessar|impedem|política baseada/i,
    pending: /solicit|pedido|aguardando|pendente/i,
    org: /organiza|dispon[ií]vel para|pode ser/i,
  },
  Italian: {
    main: /accesso|autorizzazion|autorizzat|permess|diritti|non (?:hai|ha|avete|disponi|dispone|sei|è)\b|impedisc/i,
    pending: /richiest|in attesa/i,
    org: /organizzazione/i,
  },
  Dutch: {
    main: /toegang|toestemming|rechten|machtig|bevoegd|geautoriseerd/i,
    pending: /verzoek|aanvraag|aangevraagd|goedkeuring/i,
    org: /organisatie/i,
  },
  Japanese: {
    main: /アクセス|権限|許可|拒否|割り当て|ご利用いただけません|不十分|制限されて|認可|ポリシー/,
    pending: /リクエスト|申請|承認/,
    org: /組織|ポリシー|条件/,
  },
  Chinese: {
    main: /权限|權限|访问|訪問|存取|拒绝|拒絕|无权|無權|请求|請求|申请|申請|组织|組織/,
    pending: /请求|請求|申请|申請|审批|審批|批准/,
  },
  Korean: {
    main: /권한|액세스|접근|거부|요청|승인|조직/,
    pending: /요청|승인/,
  },
} satisfies Record<string, { main: RegExp; pending?: RegExp; org?: RegExp }>;
