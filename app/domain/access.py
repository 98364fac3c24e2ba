"""The access matrix (roles.md): who may do what in each tab of the guide.

This table is the single source of the platform's rights. At start-up it becomes the FAB roles
(one per profile) and their permissions; the navigation, the views, the API and the "Matrice des
droits" page all read it. Changing a cell here changes the application.

Icons, as in the guide:
  👁  consult and search      → can_read
  ✏  consult, search, edit   → can_read, can_edit, can_delete and the tab's actions
  ➕  create                  → can_create
"""

import functools
from dataclasses import dataclass

# --- Profiles -----------------------------------------------------------------------------------
CERTIF_PRO = "Administrateur Certif Pro"
CERTIFICATEUR = "Certificateur"
MEMBRE_JURY = "Membre de jury"
ADMIN_RESEAU = "Administrateur réseau"
SUPERVISEUR_RESEAU = "Superviseur réseau"
ADMIN_ORGANISME = "Administrateur organisme"
UTILISATEUR_ORGANISME = "Utilisateur organisme"
ADMIN_ETABLISSEMENT = "Administrateur établissement"
UTILISATEUR_ETABLISSEMENT = "Utilisateur établissement"

# Perimeter levels (roles.md "Périmètre")
NATIONAL = "national"
CERTIFICATEUR_LEVEL = "certificateur"
RESEAU = "reseau"
ORGANISME = "organisme"
ETABLISSEMENT = "etablissement"

# --- Tabs (one FAB resource each; every view and API of a tab shares it) ------------------------
EVALUATIONS = "Evaluations"
FORMATIONS = "Formations"
CERTIFICATION = "Certification"
STATS = "Stats"
ORGANISMES = "FicheOrganisme"
ETABLISSEMENTS = "FicheEtablissement"
HABILITATIONS = "HabilitationEtablissement"
UTILISATEURS = "MesUtilisateurs"
RATTACHEMENTS = "MesDemandesRattachement"
RESEAUX = "MonReseau"
ADMINISTRATION = "Administration"  # certifiers, lists of values, news, matrix page: Certif Pro

# Not a tab of the guide: every profile reads the news (Actualités) of its dashboard (COMMON_PERMISSIONS
# below); Certif Pro writes them (special right gerer_actualites), through the page and the API alike.
ACTUALITES = "Actualites"

TABS = (
    EVALUATIONS,
    FORMATIONS,
    CERTIFICATION,
    STATS,
    ORGANISMES,
    ETABLISSEMENTS,
    HABILITATIONS,
    UTILISATEURS,
    RATTACHEMENTS,
    RESEAUX,
    ADMINISTRATION,
)

TAB_LABELS = {
    EVALUATIONS: "EVALUATIONS",
    FORMATIONS: "FORMATIONS",
    CERTIFICATION: "CERTIFICATION",
    STATS: "STATS",
    ORGANISMES: "FICHE ORGANISME",
    ETABLISSEMENTS: "FICHE ETABLISSEMENT",
    HABILITATIONS: "HABILITATION ETABLISSEMENT",
    UTILISATEURS: "Mes utilisateurs",
    RATTACHEMENTS: "Mes demandes de rattachement",
    RESEAUX: "Mon Réseau",
    ADMINISTRATION: "Administration",
    ACTUALITES: "Actualités",
}


# --- The matrix (roles.md, read together with guide §4, §7–11, §17–18) --------------------------
@dataclass(frozen=True)
class Row:
    """One profile's line of the matrix: the icons of each tab."""

    evaluations: str = ""
    formations: str = ""
    certification: str = ""
    stats: str = ""
    organismes: str = ""
    etablissements: str = ""
    habilitations: str = ""
    utilisateurs: str = ""
    rattachements: str = ""
    reseaux: str = ""
    administration: str = ""


# Tab → its field in a Row (and the prefix of the tab's named rights: "evaluations.modifier").
TAB_KEYS = {
    EVALUATIONS: "evaluations",
    FORMATIONS: "formations",
    CERTIFICATION: "certification",
    STATS: "stats",
    ORGANISMES: "organismes",
    ETABLISSEMENTS: "etablissements",
    HABILITATIONS: "habilitations",
    UTILISATEURS: "utilisateurs",
    RATTACHEMENTS: "rattachements",
    RESEAUX: "reseaux",
    ADMINISTRATION: "administration",
}

MATRIX = {
    CERTIF_PRO: Row(
        evaluations="✏➕",
        formations="✏➕",
        certification="✏➕",
        stats="👁",
        organismes="✏➕",
        etablissements="✏➕",
        habilitations="✏➕",
        utilisateurs="✏➕",
        rattachements="✏➕",
        reseaux="✏➕",
        administration="✏➕",
    ),
    CERTIFICATEUR: Row(evaluations="👁", certification="✏➕", stats="👁", habilitations="✏"),
    MEMBRE_JURY: Row(evaluations="👁", certification="✏"),
    ADMIN_RESEAU: Row(
        evaluations="✏➕",
        formations="✏➕",
        certification="👁",
        stats="👁",
        organismes="✏➕",
        etablissements="✏➕",
        habilitations="✏➕",
        utilisateurs="✏➕",
        rattachements="✏➕",
        reseaux="✏",
    ),
    SUPERVISEUR_RESEAU: Row(
        certification="👁",
        organismes="✏➕",
        etablissements="✏➕",
        habilitations="✏➕",
        utilisateurs="👁",
        rattachements="👁",
        reseaux="✏",
    ),
    ADMIN_ORGANISME: Row(
        evaluations="✏➕",
        formations="✏➕",
        certification="👁",
        stats="👁",
        organismes="✏",
        etablissements="✏➕",
        habilitations="✏➕",
        utilisateurs="✏➕",
        rattachements="✏➕",
    ),
    UTILISATEUR_ORGANISME: Row(
        evaluations="✏➕",
        formations="✏➕",
        certification="👁",
        organismes="👁",
        etablissements="👁",
        habilitations="👁",
        rattachements="✏➕",
    ),
    ADMIN_ETABLISSEMENT: Row(
        evaluations="✏➕",
        formations="✏➕",
        certification="👁",
        etablissements="✏",
        habilitations="👁",
        utilisateurs="✏➕",
        rattachements="✏➕",
    ),
    UTILISATEUR_ETABLISSEMENT: Row(
        evaluations="✏➕",
        formations="✏➕",
        certification="👁",
        etablissements="👁",
        habilitations="👁",
        rattachements="✏➕",
    ),
}

# Perimeter of each profile and, for the OF profiles, their rank (0 = highest) for role granting.
PERIMETER_LEVEL = {
    CERTIF_PRO: NATIONAL,
    CERTIFICATEUR: CERTIFICATEUR_LEVEL,
    MEMBRE_JURY: CERTIFICATEUR_LEVEL,
    ADMIN_RESEAU: RESEAU,
    SUPERVISEUR_RESEAU: RESEAU,
    ADMIN_ORGANISME: ORGANISME,
    UTILISATEUR_ORGANISME: ORGANISME,
    ADMIN_ETABLISSEMENT: ETABLISSEMENT,
    UTILISATEUR_ETABLISSEMENT: ETABLISSEMENT,
}
OF_PROFILES = (
    ADMIN_RESEAU,
    SUPERVISEUR_RESEAU,
    ADMIN_ORGANISME,
    UTILISATEUR_ORGANISME,
    ADMIN_ETABLISSEMENT,
    UTILISATEUR_ETABLISSEMENT,
)
BACK_OFFICE_PROFILES = (CERTIF_PRO, CERTIFICATEUR, MEMBRE_JURY)
PROFILES = BACK_OFFICE_PROFILES + OF_PROFILES

OF_WITH_FILES = (
    ADMIN_RESEAU,
    ADMIN_ORGANISME,
    UTILISATEUR_ORGANISME,
    ADMIN_ETABLISSEMENT,
    UTILISATEUR_ETABLISSEMENT,
)  # the OF profiles that work on candidate files (✏ on EVALUATIONS)


# Special rights inside a tab (roles.md "Special rights"): name → (tab, profiles). Each is also the FAB
# permission "can_<name>" on the tab's resource.
@dataclass(frozen=True)
class Special:
    """A special right: its tab (FAB resource), the profiles holding it, its label on « Matrice des droits »."""

    tab: str
    profiles: frozenset[str] | set[str]
    label: str


SPECIAL_RIGHTS: dict[str, Special] = {
    "rouvrir_evaluation": Special(
        EVALUATIONS, {ADMIN_ORGANISME, ADMIN_RESEAU, CERTIF_PRO}, "Rouvrir une évaluation finalisée"
    ),
    # Once the file is at the certifier, only the network and Certif Pro may correct an evaluation (guide §18).
    "rouvrir_evaluation_apres_envoi": Special(
        EVALUATIONS, {ADMIN_RESEAU, CERTIF_PRO}, "Rouvrir une évaluation après l'envoi en certification"
    ),
    "annuler_envoi": Special(EVALUATIONS, {ADMIN_RESEAU, CERTIF_PRO}, "Annuler un envoi en certification"),
    # After the sending the file is read-only for the OF (guide §14); Certif Pro may still correct it.
    "modifier_dossier_envoye": Special(EVALUATIONS, {CERTIF_PRO}, "Modifier un dossier envoyé en certification"),
    "changer_actif": Special(
        ETABLISSEMENTS, {CERTIF_PRO}, "Activer / désactiver un organisme ou un établissement, changer son réseau"
    ),
    "decider_habilitation": Special(HABILITATIONS, {CERTIF_PRO, CERTIFICATEUR}, "Décider des demandes d'habilitation"),
    # A certifier decides only the requests addressed to it; Certif Pro decides any.
    "decider_toute_habilitation": Special(
        HABILITATIONS, {CERTIF_PRO}, "Décider des demandes d'habilitation adressées à tout certificateur"
    ),
    # The habilitation dossier (habilitation.md §1–3): the organisation files it, the instance instructs it, gives
    # its opinion and decides; Certif Pro names an instructor and each instance keeps its own calendar.
    "deposer_dossier_habilitation": Special(
        HABILITATIONS, {ADMIN_RESEAU, ADMIN_ORGANISME}, "Déposer un dossier d'habilitation et y répondre"
    ),
    "instruire_habilitation": Special(
        HABILITATIONS, {CERTIF_PRO, CERTIFICATEUR}, "Instruire un dossier d'habilitation (complément, audition)"
    ),
    "rendre_avis_habilitation": Special(
        HABILITATIONS, {CERTIF_PRO, CERTIFICATEUR}, "Rendre l'avis motivé sur un dossier d'habilitation"
    ),
    "classer_dossier_habilitation": Special(
        HABILITATIONS,
        {CERTIF_PRO, CERTIFICATEUR, ADMIN_RESEAU, ADMIN_ORGANISME},
        "Classer sans suite un dossier d'habilitation",
    ),
    "gerer_campagnes": Special(
        HABILITATIONS, {CERTIF_PRO, CERTIFICATEUR}, "Ouvrir les campagnes de dépôt et planifier les réunions"
    ),
    "nommer_instructeur": Special(HABILITATIONS, {CERTIF_PRO}, "Nommer l'instructeur d'un dossier d'habilitation"),
    # Audits and compliance procedures: the instance opens, reports and decides; the organisation answers.
    "auditer_habilitation": Special(
        HABILITATIONS, {CERTIF_PRO, CERTIFICATEUR}, "Auditer une habilitation et décider de sa mise en conformité"
    ),
    # Changes of situation: the organisation declares them, Certif Pro takes note or keeps the habilitation.
    "declarer_changement": Special(
        HABILITATIONS, {ADMIN_RESEAU, ADMIN_ORGANISME}, "Déclarer un changement de situation de l'organisme"
    ),
    "traiter_changement": Special(
        HABILITATIONS, {CERTIF_PRO}, "Prendre acte d'un changement de situation, maintenir une habilitation"
    ),
    # The life of an accorded habilitation: the instance suspends, lifts the suspension, withdraws.
    "suspendre_habilitation": Special(
        HABILITATIONS, {CERTIF_PRO, CERTIFICATEUR}, "Suspendre, rétablir ou retirer une habilitation"
    ),
    "decider_rattachement": Special(RATTACHEMENTS, {CERTIF_PRO}, "Décider des demandes de rattachement"),
    # The key icon of the national search: an OF asks Certif Pro for a file of another establishment.
    "demander_rattachement": Special(
        RATTACHEMENTS,
        set(OF_PROFILES) - {SUPERVISEUR_RESEAU},
        "Demander le rattachement d'un dossier trouvé par la recherche nationale",
    ),
    "changer_certificateur": Special(CERTIFICATION, {CERTIF_PRO}, "Changer le certificateur d'un dossier"),
    # The CERTIFICATION tab's ✏➕ is for jury sessions; the certifiers themselves are Certif Pro's records.
    "gerer_certificateurs": Special(CERTIFICATION, {CERTIF_PRO}, "Créer et modifier les certificateurs"),
    # A certifier sees every file sent to it; a jury member only those assigned to its certifier's sessions.
    "voir_dossiers_non_affectes": Special(
        CERTIFICATION, {CERTIF_PRO, CERTIFICATEUR}, "Voir les dossiers envoyés qui ne sont encore affectés à aucun jury"
    ),
    # A certifier plans its own juries; Certif Pro plans them for any certifier.
    "planifier_jury_tout_certificateur": Special(
        CERTIFICATION, {CERTIF_PRO}, "Planifier un jury pour tout certificateur"
    ),
    # The two sides of the « Echanges » tab.
    "echanger_cote_certificateur": Special(
        CERTIFICATION, {CERTIF_PRO, CERTIFICATEUR, MEMBRE_JURY}, "Echanger avec l'organisme au nom du certificateur"
    ),
    "echanger_cote_organisme": Special(
        EVALUATIONS, set(OF_WITH_FILES), "Echanger avec le certificateur au nom de l'organisme"
    ),
    "enregistrer_envoi_certificat": Special(
        CERTIFICATION, {CERTIF_PRO, CERTIFICATEUR}, "Enregistrer les envois de certificats"
    ),
    # A session's outputs (issue 18): its minutes (PDF), the list of its files (.xlsx), the batch of its
    # certificates for the printing provider (PDF); the jury members sit on the sessions and sign the minutes.
    "sorties_session_jury": Special(
        CERTIFICATION,
        {CERTIF_PRO, CERTIFICATEUR, MEMBRE_JURY},
        "Télécharger le procès-verbal, la liste des dossiers et les certificats d'une session de jury",
    ),
    "sieger_au_jury": Special(CERTIFICATION, {MEMBRE_JURY}, "Siéger à une session de jury de son certificateur"),
    # Users of any profile and perimeter (the others grant equal or lower profiles in their perimeter).
    "gerer_tous_utilisateurs": Special(
        UTILISATEURS, {CERTIF_PRO}, "Gérer les utilisateurs de tout profil et de tout périmètre"
    ),
    # Who hears of the life of their network / organisation (new files, reminders, habilitation decisions).
    "recevoir_avis_reseau": Special(
        RESEAUX, {ADMIN_RESEAU}, "Etre averti de la vie du réseau (candidatures, rappels, habilitations)"
    ),
    "recevoir_avis_organisme": Special(
        ORGANISMES, {ADMIN_ORGANISME}, "Etre averti des décisions d'habilitation de l'organisme"
    ),
    # Back-office profiles see every tab; OF profiles see the evaluation tabs once habilitated.
    "onglets_sans_habilitation": Special(
        EVALUATIONS, set(BACK_OFFICE_PROFILES), "Voir les onglets d'évaluation sans habilitation"
    ),
    "gerer_referentiels": Special(ADMINISTRATION, {CERTIF_PRO}, "Modifier les référentiels et listes de valeurs"),
    "voir_redevances": Special(ADMINISTRATION, {CERTIF_PRO}, "Voir les redevances"),
    # Issue 18 §5: an OF sees what it will be invoiced (its organisation, its network's organisations), read-only.
    "voir_ses_redevances": Special(
        ORGANISMES, {ADMIN_RESEAU, ADMIN_ORGANISME}, "Voir le relevé des redevances de son organisme ou de son réseau"
    ),
    "consulter_journal_recherches": Special(
        ADMINISTRATION, {CERTIF_PRO}, "Consulter le journal des recherches nationales"
    ),
    "gerer_mails": Special(ADMINISTRATION, {CERTIF_PRO}, "Voir les mails en échec et les renvoyer"),
    "gerer_baremes": Special(ADMINISTRATION, {CERTIF_PRO}, "Modifier le barème des redevances"),
    # Personal data (donnees-personnelles.md): Certif Pro is the controller, the organisations its processors.
    "gerer_donnees_personnelles": Special(
        ADMINISTRATION,
        {CERTIF_PRO},
        "Modifier la notice d'information, les durées de conservation et le registre des traitements",
    ),
    "exporter_donnees_personnelles": Special(
        EVALUATIONS,
        {CERTIF_PRO, ADMIN_RESEAU, ADMIN_ORGANISME, ADMIN_ETABLISSEMENT},
        "Télécharger toutes les données d'une personne (droit d'accès)",
    ),
    # The whole file in one ZIP (issue 18): whoever reads the file in its perimeter, the OF and the certifier side.
    "telecharger_dossier_complet": Special(
        EVALUATIONS,
        {CERTIF_PRO, CERTIFICATEUR, MEMBRE_JURY, *OF_WITH_FILES},
        "Télécharger le dossier complet d'un candidat (ZIP)",
    ),
    "voir_consultations": Special(EVALUATIONS, {CERTIF_PRO}, "Consulter le journal des consultations d'un dossier"),
    "anonymiser_candidature": Special(EVALUATIONS, {CERTIF_PRO}, "Anonymiser un dossier (droit à l'effacement)"),
    "gerer_actualites": Special(ACTUALITES, {CERTIF_PRO}, "Publier les actualités"),
}


READ, EDIT, CREATE, DELETE = "can_read", "can_edit", "can_create", "can_delete"

# ✏ is "consult, search, edit". Deleting a structure, a request, a user or a certifier is Certif Pro's
# alone: the others ask for a deactivation (guide §8: « La désactivation peut être demandée … »).
DELETE_RESERVED_TABS = {ORGANISMES, ETABLISSEMENTS, RESEAUX, HABILITATIONS, UTILISATEURS, CERTIFICATION, ADMINISTRATION}


def icons_to_permissions(icons: str) -> set[str]:
    permissions = set()
    if "👁" in icons or "✏" in icons:
        permissions.add(READ)
    if "✏" in icons:
        permissions.update({EDIT, DELETE})
    if "➕" in icons:
        permissions.update({READ, CREATE})
    return permissions


def cell(profile: str, tab: str) -> str:
    return getattr(MATRIX[profile], TAB_KEYS[tab])


def permissions_of(profile: str) -> set[tuple[str, str]]:
    """(permission, resource) pairs granted to a profile, as FAB stores them."""
    pairs = {
        (permission, tab)
        for tab in TABS
        for permission in icons_to_permissions(cell(profile, tab))
        if not (permission == DELETE and tab in DELETE_RESERVED_TABS and profile != CERTIF_PRO)
    }
    for action, special in SPECIAL_RIGHTS.items():
        if profile in special.profiles:
            pairs.add(("can_" + action, special.tab))
    return pairs


# Every profile receives notifications (domain.md §9): one resource for the page and the API; each user
# only ever sees their own (app/security/perimeter.py).
NOTIFICATIONS = "Notifications"

# One's own exports (the API's follow-up of an export prepared in the background): each user only ever sees theirs.
EXPORTS = "MesExports"

# Technical pages every logged-in profile reaches (the API's OpenAPI document and its viewer), and one's
# own notifications.
COMMON_PERMISSIONS = {
    ("can_get", "OpenApi"),
    ("can_show", "SwaggerView"),
    (READ, NOTIFICATIONS),
    (EDIT, NOTIFICATIONS),
    (READ, ACTUALITES),
    (READ, EXPORTS),
}


def fab_roles() -> dict[str, list[tuple[str, str]]]:
    """FAB_ROLES: role name → [(resource, permission)] (matched exactly by our security manager)."""
    return {
        profile: sorted((tab, perm) for perm, tab in permissions_of(profile) | COMMON_PERMISSIONS)
        for profile in PROFILES
    }


@functools.cache
def _granted(profile: str) -> frozenset[tuple[str, str]]:
    return frozenset(permissions_of(profile) | COMMON_PERMISSIONS)


def profile_allows(profile: str | None, permission: str, tab: str) -> bool:
    """The FAB pair (permission, resource) as the matrix grants it."""
    return profile in MATRIX and (permission, tab) in _granted(profile)


# --- Named rights: every "who may" of the platform, read through `may()` ---------------------------
@dataclass(frozen=True)
class Right:
    tab: str
    permission: str  # the FAB permission on the tab's resource
    label: str


VERBS = {
    READ: ("lire", "Consulter"),
    EDIT: ("modifier", "Modifier"),
    CREATE: ("creer", "Créer"),
    DELETE: ("supprimer", "Supprimer"),
}
RIGHTS: dict[str, Right] = {
    f"{key}.{verb}": Right(tab, permission, f"{label} — {TAB_LABELS[tab]}")
    for tab, key in TAB_KEYS.items()
    for permission, (verb, label) in VERBS.items()
}
RIGHTS["actualites.lire"] = Right(ACTUALITES, READ, "Lire les actualités")
RIGHTS["notifications.lire"] = Right(NOTIFICATIONS, READ, "Lire ses notifications")
RIGHTS.update({name: Right(special.tab, "can_" + name, special.label) for name, special in SPECIAL_RIGHTS.items()})
# Nobody holds it: what only the platform's own jobs do (automatic abandon).
SYSTEM = "systeme"


def profile_of(who) -> str | None:
    """A user (anything with `.profil`), a profile name, or None."""
    if who is None or isinstance(who, str):
        return who
    return getattr(who, "profil", None)


def may(who, right: str) -> bool:
    """The one question of the platform: may this user (or profile) do this? `right` is a name of RIGHTS."""
    if right == SYSTEM:
        return False
    granted = RIGHTS[right]
    return profile_allows(profile_of(who), granted.permission, granted.tab)


def holders(right: str) -> list[str]:
    """The profiles that hold a right (for "who hears about it")."""
    return [p for p in PROFILES if may(p, right)]


def check_rights_exist(names) -> None:
    """Start-up check: every right named elsewhere (state machines, views) exists here."""
    unknown = sorted(set(names) - set(RIGHTS) - {SYSTEM})
    if unknown:
        raise RuntimeError(f"Droits inconnus de la matrice (app/domain/access.py) : {', '.join(unknown)}")


# --- Role granting (roles.md: equal or lower, inside one's own perimeter) -----------------------
def grantable_profiles(granter_profile: str) -> list[str]:
    """Profiles a user of `granter_profile` may give to a user they create or edit."""
    if may(granter_profile, "gerer_tous_utilisateurs"):
        return list(PROFILES)
    if not profile_allows(granter_profile, CREATE, UTILISATEURS):
        return []
    if granter_profile not in OF_PROFILES:
        return []
    rank = OF_PROFILES.index(granter_profile)
    granter_level = LEVEL_ORDER.index(PERIMETER_LEVEL[granter_profile])
    # Equal or lower rank, and never a profile whose perimeter is wider than one's own.
    return [p for p in OF_PROFILES[rank:] if LEVEL_ORDER.index(PERIMETER_LEVEL[p]) >= granter_level]


LEVEL_ORDER = (NATIONAL, CERTIFICATEUR_LEVEL, RESEAU, ORGANISME, ETABLISSEMENT)


@dataclass(frozen=True)
class MatrixRow:
    profile: str
    perimeter: str
    cells: tuple


def matrix_rows() -> list[MatrixRow]:
    """For the "Matrice des droits" page: one row per profile, its cells in the order of TABS."""
    return [MatrixRow(p, PERIMETER_LEVEL[p], tuple(cell(p, t) for t in TABS)) for p in PROFILES]


PERIMETER_LABELS = {
    NATIONAL: "national",
    CERTIFICATEUR_LEVEL: "certificateur",
    RESEAU: "réseau",
    ORGANISME: "organisme",
    ETABLISSEMENT: "établissement",
}
