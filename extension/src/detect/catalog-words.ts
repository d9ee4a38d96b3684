/**
 * The big apps' own denial strings in the languages their UIs ship in (at
 * least en, de, fr, es, ja and pt-BR): what each app's localised denial page
 * says, written from the apps' help centres and their translated UIs. The
 * generic vocabulary (phrases.ts) already reads most of them; these carry the
 * app's own turns of phrase it would miss ("App nicht zugewiesen", "ご利用い
 * ただけません", "Privilèges insuffisants") and make sure no translation of a
 * catalog app is left to chance. A unit test checks every string on a page at
 * the app's own URL.
 */
export type UiLanguage = "en" | "de" | "fr" | "es" | "ja" | "pt-BR";

export const APP_DENIALS: Record<string, Record<UiLanguage, string[]>> = {
  "google-docs": {
    en: ["You need access", "You need permission", "switch to an account with access"],
    de: ["Sie benötigen eine Zugriffsberechtigung", "zu einem Konto mit Zugriffsberechtigung wechseln"],
    fr: ["Vous avez besoin d'une autorisation", "Vous devez disposer d'une autorisation"],
    es: ["Necesitas permiso", "Necesitas acceso"],
    ja: ["アクセス権が必要です", "アクセス権限が必要です"],
    "pt-BR": ["Você precisa de permissão", "Você precisa de acesso"],
  },
  sharepoint: {
    en: ["You need permission to access this site", "Access required"],
    de: ["Sie benötigen die Berechtigung zum Zugriff auf diese Website", "Zugriff erforderlich"],
    fr: ["Vous devez disposer d'une autorisation pour accéder à ce site", "Accès requis"],
    es: ["Necesita permiso para acceder a este sitio", "Se requiere acceso"],
    ja: ["このサイトにアクセスするには許可が必要です", "アクセスが必要です"],
    "pt-BR": ["Você precisa de permissão para acessar este site", "Acesso necessário"],
  },
  onedrive: {
    en: ["You need permission to access this item"],
    de: ["Sie benötigen die Berechtigung zum Zugriff auf dieses Element"],
    fr: ["Vous avez besoin d'une autorisation pour accéder à cet élément"],
    es: ["Necesita permiso para acceder a este elemento"],
    ja: ["このアイテムにアクセスするには許可が必要です"],
    "pt-BR": ["Você precisa de permissão para acessar este item"],
  },
  dropbox: {
    en: ["You don't have access to this folder", "You don't have access to this file"],
    de: ["Sie haben keinen Zugriff auf diesen Ordner", "Kein Zugriff auf diese Datei"],
    fr: ["Vous n'avez pas accès à ce dossier", "Vous n'avez pas accès à ce fichier"],
    es: ["No tienes acceso a esta carpeta", "No tienes acceso a este archivo"],
    ja: ["このフォルダへのアクセス権がありません", "このファイルにアクセスできません"],
    "pt-BR": ["Você não tem acesso a esta pasta", "Você não tem acesso a este arquivo"],
  },
  box: {
    en: ["is unavailable to you", "This shared file or folder link has been removed or is unavailable to you"],
    de: ["ist für Sie nicht verfügbar", "wurde entfernt oder ist für Sie nicht verfügbar"],
    fr: ["n'est pas disponible pour vous", "a été supprimé ou n'est pas disponible pour vous"],
    es: ["no está disponible para usted", "se ha eliminado o no está disponible para usted"],
    ja: ["このアイテムはご利用いただけません", "削除されたか、ご利用いただけません"],
    "pt-BR": ["não está disponível para você", "foi removido ou não está disponível para você"],
  },
  figma: {
    en: ["You don't have access to this file", "Ask the file owner for access"],
    de: ["Du hast keinen Zugriff auf diese Datei", "Bitte den Eigentümer der Datei um Zugriff"],
    fr: ["Vous n'avez pas accès à ce fichier", "Demandez l'accès au propriétaire du fichier"],
    es: ["No tienes acceso a este archivo", "Pide acceso al propietario del archivo"],
    ja: ["このファイルへのアクセス権がありません", "ファイルのオーナーにアクセス権をリクエスト"],
    "pt-BR": ["Você não tem acesso a este arquivo", "Peça acesso ao proprietário do arquivo"],
  },
  miro: {
    en: ["You don't have access to this board"],
    de: ["Du hast keinen Zugriff auf dieses Board"],
    fr: ["Vous n'avez pas accès à ce tableau"],
    es: ["No tienes acceso a este tablero"],
    ja: ["このボードへのアクセス権がありません"],
    "pt-BR": ["Você não tem acesso a este quadro"],
  },
  notion: {
    en: ["You don't have access to this page", "No access to this page"],
    de: ["Du hast keinen Zugriff auf diese Seite", "Kein Zugriff auf diese Seite"],
    fr: ["Vous n'avez pas accès à cette page", "Aucun accès à cette page"],
    es: ["No tienes acceso a esta página", "Sin acceso a esta página"],
    ja: ["このページへのアクセス権がありません", "このページにアクセスできません"],
    "pt-BR": ["Você não tem acesso a esta página", "Sem acesso a esta página"],
  },
  confluence: {
    en: ["You don't have permission to view this page", "This page is restricted"],
    de: ["Sie haben keine Berechtigung zum Anzeigen dieser Seite", "Diese Seite ist eingeschränkt"],
    fr: ["Vous n'avez pas l'autorisation de consulter cette page", "Cette page est restreinte"],
    es: ["No tienes permiso para ver esta página", "Esta página está restringida"],
    ja: ["このページを表示する権限がありません", "このページは制限されています"],
    "pt-BR": ["Você não tem permissão para visualizar esta página", "Esta página é restrita"],
  },
  jira: {
    en: ["You don't have permission to view this issue", "You don't have access to this project"],
    de: ["Sie haben keine Berechtigung, diesen Vorgang anzuzeigen", "Sie haben keinen Zugriff auf dieses Projekt"],
    fr: ["Vous n'avez pas l'autorisation de consulter ce ticket", "Vous n'avez pas accès à ce projet"],
    es: ["No tienes permiso para ver esta incidencia", "No tienes acceso a este proyecto"],
    ja: ["この課題を表示する権限がありません", "このプロジェクトへのアクセス権がありません"],
    "pt-BR": ["Você não tem permissão para visualizar este item", "Você não tem acesso a este projeto"],
  },
  slack: {
    en: ["You don't have access to this channel"],
    de: ["Du hast keinen Zugriff auf diesen Channel"],
    fr: ["Vous n'avez pas accès à cette chaîne"],
    es: ["No tienes acceso a este canal"],
    ja: ["このチャンネルへのアクセス権がありません"],
    "pt-BR": ["Você não tem acesso a este canal"],
  },
  salesforce: {
    en: ["Insufficient Privileges"],
    de: ["Unzureichende Berechtigungen"],
    fr: ["Privilèges insuffisants"],
    es: ["Privilegios insuficientes"],
    ja: ["権限が不十分です"],
    "pt-BR": ["Privilégios insuficientes"],
  },
  okta: {
    en: ["App not assigned"],
    de: ["App nicht zugewiesen"],
    fr: ["Application non attribuée"],
    es: ["Aplicación no asignada"],
    ja: ["アプリが割り当てられていません"],
    "pt-BR": ["Aplicativo não atribuído"],
  },
  airtable: {
    en: ["You don't have access to this base"],
    de: ["Du hast keinen Zugriff auf diese Base"],
    fr: ["Vous n'avez pas accès à cette base"],
    es: ["No tienes acceso a esta base"],
    ja: ["このベースへのアクセス権がありません"],
    "pt-BR": ["Você não tem acesso a esta base"],
  },
  asana: {
    en: ["You don't have access to this task"],
    de: ["Du hast keinen Zugriff auf diese Aufgabe"],
    fr: ["Vous n'avez pas accès à cette tâche"],
    es: ["No tienes acceso a esta tarea"],
    ja: ["このタスクにアクセスする権限がありません"],
    "pt-BR": ["Você não tem acesso a esta tarefa"],
  },
  "azure-portal": {
    en: ["does not have authorization to perform action", "You don't have permission to view this"],
    de: ["verfügt nicht über die Autorisierung zum Ausführen der Aktion", "Sie haben keine Berechtigung zum Anzeigen"],
    fr: ["n'a pas l'autorisation d'effectuer l'action", "Vous n'avez pas l'autorisation d'afficher"],
    es: ["no tiene autorización para realizar la acción", "No tiene permiso para ver"],
    ja: ["アクションを実行する認可がありません", "表示するためのアクセス許可がありません"],
    "pt-BR": ["não tem autorização para executar a ação", "Você não tem permissão para exibir"],
  },
  "gcp-console": {
    en: ["You need additional access", "You don't have permissions to view"],
    de: ["Sie benötigen zusätzlichen Zugriff", "Sie haben keine Berechtigung zum Ansehen"],
    fr: ["Vous avez besoin d'un accès supplémentaire", "Vous ne disposez pas des autorisations nécessaires"],
    es: ["Necesitas acceso adicional", "No tienes permisos para ver"],
    ja: ["追加のアクセス権が必要です", "表示する権限がありません"],
    "pt-BR": ["Você precisa de acesso adicional", "Você não tem permissão para visualizar"],
  },
  "aws-console": {
    en: ["is not authorized to perform", "no identity-based policy allows"],
    de: ["ist nicht autorisiert, folgende Aktion auszuführen", "keine identitätsbasierte Richtlinie erlaubt"],
    fr: ["n'est pas autorisé à effectuer", "aucune politique basée sur l'identité n'autorise"],
    es: ["no está autorizado a realizar", "ninguna política basada en identidad permite"],
    ja: ["を実行する権限がありません", "アイデンティティベースのポリシーで許可されていない"],
    "pt-BR": ["não está autorizado a realizar", "nenhuma política baseada em identidade permite"],
  },
  monday: {
    en: ["You don't have permission to view this board"],
    de: ["Du hast keine Berechtigung, dieses Board anzuzeigen"],
    fr: ["Vous n'avez pas la permission de voir ce tableau"],
    es: ["No tienes permiso para ver este tablero"],
    ja: ["このボードを閲覧する権限がありません"],
    "pt-BR": ["Você não tem permissão para visualizar este quadro"],
  },
  tableau: {
    en: ["You do not have permission to access this view", "Permission required"],
    de: ["Sie haben keine Berechtigung für den Zugriff auf diese Ansicht", "Berechtigung erforderlich"],
    fr: ["Vous n'avez pas l'autorisation d'accéder à cette vue", "Autorisation requise"],
    es: ["No tiene permiso para acceder a esta vista", "Se requiere permiso"],
    ja: ["このビューにアクセスする権限がありません", "権限が必要です"],
    "pt-BR": ["Você não tem permissão para acessar esta exibição", "Permissão necessária"],
  },
  zendesk: {
    en: ["You don't have access to this ticket", "You are not authorized to view this page"],
    de: ["Sie haben keinen Zugriff auf dieses Ticket", "Sie sind nicht berechtigt, diese Seite anzuzeigen"],
    fr: ["Vous n'avez pas accès à ce ticket", "Vous n'êtes pas autorisé à consulter cette page"],
    es: ["No tiene acceso a este ticket", "No está autorizado para ver esta página"],
    ja: ["このチケットにアクセスする権限がありません", "このページを表示する権限がありません"],
    "pt-BR": ["Você não tem acesso a este ticket", "Você não está autorizado a visualizar esta página"],
  },
  hubspot: {
    en: ["You don't have permission to view this record", "You don't have access to this"],
    de: ["Sie haben keine Berechtigung, diesen Datensatz anzuzeigen"],
    fr: ["Vous n'avez pas l'autorisation d'afficher cette fiche"],
    es: ["No tienes permiso para ver este registro"],
    ja: ["このレコードを表示する権限がありません"],
    "pt-BR": ["Você não tem permissão para visualizar este registro"],
  },
  smartsheet: {
    en: ["You don't have permission to access this sheet", "Request access to this sheet"],
    de: ["Sie haben keine Berechtigung zum Zugriff auf dieses Blatt"],
    fr: ["Vous n'avez pas l'autorisation d'accéder à cette feuille"],
    es: ["No tiene permiso para acceder a esta hoja"],
    ja: ["このシートにアクセスする権限がありません"],
    "pt-BR": ["Você não tem permissão para acessar esta planilha"],
  },
};

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** One expression for an app's strings in every language: whitespace and apostrophes as pages type them. */
export function appDenialPattern(id: string): RegExp | undefined {
  const words = APP_DENIALS[id];
  if (!words) return undefined;
  const alternatives = Object.values(words)
    .flat()
    .map((w) => literal(w).replace(/\s+/g, "\\s+").replace(/'/g, "['’]"));
  return new RegExp(alternatives.join("|"), "i");
}
