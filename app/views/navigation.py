"""The guide's navigation (quality.md): top tabs and the "Mon Réseau ▾" menu, from the access matrix."""

from dataclasses import dataclass

from flask import current_app, g, request, url_for

from app.domain import access


@dataclass
class NavItem:
    label: str
    href: str
    prefix: str


# Tab → (label, endpoint). A tab appears only when the profile has at least 👁 on it and its page exists; an
# entry naming a right of the matrix (access.RIGHTS) instead of a tab appears for the profiles holding it.
TOP_TABS = [
    (access.EVALUATIONS, "EVALUATIONS", "CandidatureView.list"),
    (access.FORMATIONS, "FORMATIONS", "FormationsView.list"),
    (access.CERTIFICATION, "CERTIFICATION", "CertificateurView.list"),
    (access.STATS, "STATS", "StatsView.index"),
    (access.HABILITATIONS, "HABILITATIONS", "DemandeHabilitationView.list"),
    (access.ADMINISTRATION, "ADMINISTRATION", "AdministrationView.index"),
]
RESEAU_MENU = [
    (access.RESEAUX, "Mon Réseau", "ReseauView.mon_reseau"),
    (access.ORGANISMES, "Mes Organismes", "OrganismeView.list"),
    (access.ETABLISSEMENTS, "Mes Etablissements", "EtablissementView.list"),
    (access.UTILISATEURS, "Mes Utilisateurs", "UtilisateurView.list"),
    (access.RATTACHEMENTS, "Mes demandes de rattachement", "DemandeRattachementView.list"),
    ("voir_ses_redevances", "Mes redevances", "MesRedevancesView.index"),
]


_made: dict[tuple, list[NavItem]] = {}


def _items(profile, entries):
    """The entries a profile may use, made once per application, profile and set of entries (the matrix and the
    routes are fixed while the application runs; the url_for of a dozen tabs on every page is not needed)."""
    key = (current_app._get_current_object(), request.script_root, profile, tuple(entry[0] for entry in entries))
    found = _made.get(key)
    if found is None:
        found = _made[key] = _make_items(profile, entries)
    return found


def _make_items(profile, entries):
    items = []
    for tab, label, endpoint in entries:
        allowed = access.may(profile, tab) if tab in access.RIGHTS else access.profile_allows(profile, access.READ, tab)
        if endpoint and allowed:
            href = url_for(endpoint)
            # The tab is active on every page of its first path segment (/candidatures/…).
            items.append(NavItem(label, href, "/" + href.strip("/").split("/")[0] + "/"))
    return items


# Without a valid habilitation these tabs disappear for OF users (guide §5).
NEED_HABILITATION = {access.EVALUATIONS, access.FORMATIONS}


def _has_habilitated_establishment() -> bool:
    if not hasattr(g, "clea_habilitee"):
        from app.services import habilitations

        g.clea_habilitee = habilitations.perimetre_habilite(g.user)
    return g.clea_habilitee


def top_tabs(profile):
    entries = TOP_TABS
    if not access.may(profile, "onglets_sans_habilitation") and not _has_habilitated_establishment():
        entries = [e for e in TOP_TABS if e[0] not in NEED_HABILITATION]
    return _items(profile, entries)


def reseau_menu(profile):
    # "Mon Réseau" follows the matrix: only the network profiles and Certif Pro hold a right on it.
    return _items(profile, RESEAU_MENU)
