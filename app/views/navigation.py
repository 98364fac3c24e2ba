"""The guide's navigation (quality.md): top tabs and the "Mon Réseau ▾" menu, from the access matrix."""
from dataclasses import dataclass

from flask import url_for

from app.domain import access


@dataclass
class NavItem:
    label: str
    href: str
    prefix: str


# Tab → (label, endpoint). A tab appears only when the profile has at least 👁 on it and its page exists.
TOP_TABS = [
    (access.EVALUATIONS, "EVALUATIONS", None),
    (access.FORMATIONS, "FORMATIONS", None),
    (access.CERTIFICATION, "CERTIFICATION", "CertificateurView.list"),
    (access.STATS, "STATS", None),
    (access.HABILITATIONS, "HABILITATIONS", "DemandeHabilitationView.list"),
    (access.ADMINISTRATION, "ADMINISTRATION", "AdministrationView.index"),
]
RESEAU_MENU = [
    (access.RESEAUX, "Mon Réseau", "ReseauView.mon_reseau"),
    (access.ORGANISMES, "Mes Organismes", "OrganismeView.list"),
    (access.ETABLISSEMENTS, "Mes Etablissements", "EtablissementView.list"),
    (access.UTILISATEURS, "Mes Utilisateurs", "UtilisateurView.list"),
]


def _items(profile, entries):
    items = []
    for tab, label, endpoint in entries:
        if endpoint and access.profile_allows(profile, access.READ, tab):
            href = url_for(endpoint)
            items.append(NavItem(label, href, href.rsplit("/", 2)[0] + "/" if href.count("/") > 1 else href))
    return items


def top_tabs(profile):
    return _items(profile, TOP_TABS)


def reseau_menu(profile):
    items = _items(profile, RESEAU_MENU)
    if profile in access.OF_PROFILES and access.PERIMETER_LEVEL[profile] != access.RESEAU:
        items = [i for i in items if i.label != "Mon Réseau"]
    return items
