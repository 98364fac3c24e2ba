"""The access matrix (roles.md): who may do what in each tab of the guide.

This table is the single source of the platform's rights. At start-up it becomes the FAB roles
(one per profile) and their permissions; the navigation, the views, the API and the "Matrice des
droits" page all read it. Changing a cell here changes the application.

Icons, as in the guide:
  👁  consult and search      → can_read
  ✏  consult, search, edit   → can_read, can_edit, can_delete and the tab's actions
  ➕  create                  → can_create
"""
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

TABS = (EVALUATIONS, FORMATIONS, CERTIFICATION, STATS, ORGANISMES, ETABLISSEMENTS, HABILITATIONS,
        UTILISATEURS, RATTACHEMENTS, RESEAUX, ADMINISTRATION)

TAB_LABELS = {
    EVALUATIONS: "EVALUATIONS", FORMATIONS: "FORMATIONS", CERTIFICATION: "CERTIFICATION", STATS: "STATS",
    ORGANISMES: "FICHE ORGANISME", ETABLISSEMENTS: "FICHE ETABLISSEMENT",
    HABILITATIONS: "HABILITATION ETABLISSEMENT", UTILISATEURS: "Mes utilisateurs",
    RATTACHEMENTS: "Mes demandes de rattachement", RESEAUX: "Mon Réseau", ADMINISTRATION: "Administration",
    ACTUALITES: "Actualités",
}

# --- The matrix (roles.md, read together with guide §4, §7–11, §17–18) --------------------------
#                         EVAL   FORM   CERTIF  STATS  ORGA   ETAB   HABIL  UTIL   RATTACH RESEAU ADMIN
MATRIX = {
    CERTIF_PRO:            ("✏➕", "✏➕", "✏➕", "👁", "✏➕", "✏➕", "✏➕", "✏➕", "✏➕", "✏➕", "✏➕"),
    CERTIFICATEUR:         ("👁", "",   "✏➕", "👁", "",   "",   "✏",  "",   "",   "",   ""),
    MEMBRE_JURY:           ("👁", "",   "✏",  "",   "",   "",   "",   "",   "",   "",   ""),
    ADMIN_RESEAU:          ("✏➕", "✏➕", "👁", "👁", "✏➕", "✏➕", "✏➕", "✏➕", "✏➕", "✏",  ""),
    SUPERVISEUR_RESEAU:    ("",   "",   "👁", "",   "✏➕", "✏➕", "✏➕", "👁", "👁", "✏",  ""),
    ADMIN_ORGANISME:       ("✏➕", "✏➕", "👁", "👁", "✏",  "✏➕", "✏➕", "✏➕", "✏➕", "",   ""),
    UTILISATEUR_ORGANISME: ("✏➕", "✏➕", "👁", "",   "👁", "👁", "👁", "",   "✏➕", "",   ""),
    ADMIN_ETABLISSEMENT:   ("✏➕", "✏➕", "👁", "",   "",   "✏",  "👁", "✏➕", "✏➕", "",   ""),
    UTILISATEUR_ETABLISSEMENT: ("✏➕", "✏➕", "👁", "", "",   "👁", "👁", "",   "✏➕", "",   ""),
}

# Perimeter of each profile and, for the OF profiles, their rank (0 = highest) for role granting.
PERIMETER_LEVEL = {
    CERTIF_PRO: NATIONAL, CERTIFICATEUR: CERTIFICATEUR_LEVEL, MEMBRE_JURY: CERTIFICATEUR_LEVEL,
    ADMIN_RESEAU: RESEAU, SUPERVISEUR_RESEAU: RESEAU, ADMIN_ORGANISME: ORGANISME,
    UTILISATEUR_ORGANISME: ORGANISME, ADMIN_ETABLISSEMENT: ETABLISSEMENT,
    UTILISATEUR_ETABLISSEMENT: ETABLISSEMENT,
}
OF_PROFILES = (ADMIN_RESEAU, SUPERVISEUR_RESEAU, ADMIN_ORGANISME, UTILISATEUR_ORGANISME,
               ADMIN_ETABLISSEMENT, UTILISATEUR_ETABLISSEMENT)
BACK_OFFICE_PROFILES = (CERTIF_PRO, CERTIFICATEUR, MEMBRE_JURY)
PROFILES = BACK_OFFICE_PROFILES + OF_PROFILES

# Special rights inside a tab (roles.md "Special rights"): action → (tab, profiles).
SPECIAL_RIGHTS = {
    "rouvrir_evaluation": (EVALUATIONS, {ADMIN_ORGANISME, ADMIN_RESEAU, CERTIF_PRO}),
    # Once the file is at the certifier, only the network and Certif Pro may correct an evaluation (guide §18).
    "rouvrir_evaluation_apres_envoi": (EVALUATIONS, {ADMIN_RESEAU, CERTIF_PRO}),
    "annuler_envoi": (EVALUATIONS, {ADMIN_RESEAU, CERTIF_PRO}),
    "changer_actif": (ETABLISSEMENTS, {CERTIF_PRO}),
    "decider_habilitation": (HABILITATIONS, {CERTIF_PRO, CERTIFICATEUR}),
    "decider_rattachement": (RATTACHEMENTS, {CERTIF_PRO}),
    "changer_certificateur": (CERTIFICATION, {CERTIF_PRO}),
    # The CERTIFICATION tab's ✏➕ is for jury sessions; the certifiers themselves are Certif Pro's records.
    "gerer_certificateurs": (CERTIFICATION, {CERTIF_PRO}),
    "gerer_referentiels": (ADMINISTRATION, {CERTIF_PRO}),
    "voir_redevances": (ADMINISTRATION, {CERTIF_PRO}),
    "gerer_baremes": (ADMINISTRATION, {CERTIF_PRO}),
    "gerer_actualites": (ACTUALITES, {CERTIF_PRO}),
}

SPECIAL_RIGHT_LABELS = {
    "rouvrir_evaluation": "Rouvrir une évaluation finalisée",
    "rouvrir_evaluation_apres_envoi": "Rouvrir une évaluation après l'envoi en certification",
    "annuler_envoi": "Annuler un envoi en certification",
    "changer_actif": "Activer / désactiver un organisme ou un établissement, changer son réseau",
    "decider_habilitation": "Décider des demandes d'habilitation",
    "decider_rattachement": "Décider des demandes de rattachement",
    "changer_certificateur": "Changer le certificateur d'un dossier",
    "gerer_certificateurs": "Créer et modifier les certificateurs",
    "gerer_referentiels": "Modifier les référentiels et listes de valeurs",
    "voir_redevances": "Voir les redevances",
    "gerer_baremes": "Modifier le barème des redevances",
    "gerer_actualites": "Publier les actualités",
}

READ, EDIT, CREATE, DELETE = "can_read", "can_edit", "can_create", "can_delete"

# ✏ is "consult, search, edit". Deleting a structure, a request, a user or a certifier is Certif Pro's
# alone: the others ask for a deactivation (guide §8: « La désactivation peut être demandée … »).
DELETE_RESERVED_TABS = {ORGANISMES, ETABLISSEMENTS, RESEAUX, HABILITATIONS, UTILISATEURS, CERTIFICATION,
                        ADMINISTRATION}


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
    return MATRIX[profile][TABS.index(tab)]


def permissions_of(profile: str) -> set[tuple[str, str]]:
    """(permission, resource) pairs granted to a profile, as FAB stores them."""
    pairs = {(permission, tab) for tab in TABS for permission in icons_to_permissions(cell(profile, tab))
             if not (permission == DELETE and tab in DELETE_RESERVED_TABS and profile != CERTIF_PRO)}
    for action, (tab, profiles) in SPECIAL_RIGHTS.items():
        if profile in profiles:
            pairs.add(("can_" + action, tab))
    return pairs


# Every profile receives notifications (domain.md §9): one resource for the page and the API; each user
# only ever sees their own (app/security/perimeter.py).
NOTIFICATIONS = "Notifications"

# Technical pages every logged-in profile reaches (the API's OpenAPI document and its viewer), and one's
# own notifications.
COMMON_PERMISSIONS = {("can_get", "OpenApi"), ("can_show", "SwaggerView"),
                      (READ, NOTIFICATIONS), (EDIT, NOTIFICATIONS), (READ, ACTUALITES)}


def fab_roles() -> dict[str, list[tuple[str, str]]]:
    """FAB_ROLES: role name → [(resource, permission)] (matched exactly by our security manager)."""
    return {profile: sorted((tab, perm) for perm, tab in permissions_of(profile) | COMMON_PERMISSIONS)
            for profile in PROFILES}


def profile_allows(profile: str, permission: str, tab: str) -> bool:
    return (permission, tab) in permissions_of(profile)


# --- Role granting (roles.md: equal or lower, inside one's own perimeter) -----------------------
def grantable_profiles(granter_profile: str) -> list[str]:
    """Profiles a user of `granter_profile` may give to a user they create or edit."""
    if granter_profile == CERTIF_PRO:
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
    """For the "Matrice des droits" page."""
    return [MatrixRow(p, PERIMETER_LEVEL[p], MATRIX[p]) for p in PROFILES]


PERIMETER_LABELS = {
    NATIONAL: "national", CERTIFICATEUR_LEVEL: "certificateur", RESEAU: "réseau",
    ORGANISME: "organisme", ETABLISSEMENT: "établissement",
}
