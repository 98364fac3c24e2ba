"""Référentiels and lists of values, edited by Certif Pro (domain.md §3)."""

from wtforms import SelectField

from app.domain import access
from app.formatting import oui_non
from app.models import Domaine, SousDomaine, ValeurListe
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView


class ReferentielDataView(CleaModelView):
    tab = access.ADMINISTRATION
    base_filters = []
    # Editing the référentiels is the named right "gérer les référentiels"; nothing is deleted (files refer
    # to these labels): values are deactivated instead.
    extra_permissions = {"add": "gerer_referentiels", "edit": "gerer_referentiels"}
    exclude_route_methods = {"delete"}


class ValeurListeView(ReferentielDataView):
    route_base = "/listes"
    datamodel = ServiceInterface(ValeurListe)
    list_title = "Listes de valeurs"
    add_title = "Ajouter une valeur"
    edit_title = "Modifier la valeur"
    show_title = "Valeur"
    list_columns = ["liste_label", "libelle", "ordre", "actif"]
    add_columns = edit_columns = ["liste", "libelle", "ordre", "actif"]
    show_columns = ["liste_label", "libelle", "ordre", "actif"]
    search_columns = ["liste", "libelle", "actif"]
    order_columns = ["libelle", "ordre"]
    base_order = ("ordre", "asc")
    label_columns = {"liste": "Liste", "liste_label": "Liste", "libelle": "Valeur", "ordre": "Ordre", "actif": "Active"}
    formatters_columns = {"actif": oui_non}
    add_form_extra_fields = {"liste": SelectField("Liste", choices=list(ValeurListe.LISTES.items()))}
    edit_form_extra_fields = add_form_extra_fields


class SousDomaineView(ReferentielDataView):
    route_base = "/sous-domaines"
    datamodel = ServiceInterface(SousDomaine)
    list_title = "Référentiels : sous-domaines"
    edit_title = "Modifier le sous-domaine"
    show_title = "Sous-domaine"
    list_columns = ["domaine", "code", "libelle"]
    edit_columns = ["libelle", "modalites_evaluation", "criteres"]
    show_columns = ["domaine", "code", "libelle", "modalites_evaluation", "criteres"]
    search_columns = ["code", "libelle"]
    order_columns = ["code"]
    base_order = ("id", "asc")
    page_size = 50
    label_columns = {
        "domaine": "Domaine",
        "code": "Code",
        "libelle": "Libellé",
        "modalites_evaluation": "Modalités d'évaluation",
        "criteres": "Critères d'évaluation",
    }
    description_columns = {"criteres": "Un critère par ligne : ils figurent dans la matrice d'évaluation (.xlsx)."}
    extra_permissions = {"edit": "gerer_referentiels"}
    exclude_route_methods = {"add", "delete"}


class DomaineView(ReferentielDataView):
    route_base = "/domaines"
    datamodel = ServiceInterface(Domaine)
    list_title = "Référentiels : domaines"
    edit_title = "Modifier le domaine"
    show_title = "Domaine"
    list_columns = ["referentiel", "code", "libelle", "libelle_court"]
    edit_columns = ["libelle", "libelle_court"]
    show_columns = ["referentiel", "code", "libelle", "libelle_court"]
    search_columns = ["code", "libelle"]
    base_order = ("id", "asc")
    label_columns = {
        "referentiel": "Référentiel",
        "code": "Code",
        "libelle": "Libellé",
        "libelle_court": "Libellé court (onglet FORMATIONS)",
    }
    extra_permissions = {"edit": "gerer_referentiels"}
    exclude_route_methods = {"add", "delete"}


def register(appbuilder):
    for view in (ValeurListeView, DomaineView, SousDomaineView):
        appbuilder.add_view_no_menu(view())
