"""REST resource `actualite` (domain.md §7): every logged-in profile reads the news in force; only the right
« Publier les actualités » (Certif Pro) writes them, and sees them all (unpublished or out of date too)."""

from flask import g
from flask_appbuilder.models.filters import BaseFilter

from app.api.base import CleaModelRestApi
from app.domain import access
from app.models.actualites import Actualite
from app.services import actualites as service
from app.services.ecritures import ServiceInterface

COLUMNS = ["id", "titre", "contenu", "date_publication", "date_fin", "publiee"]


class ActualitesVisibles(BaseFilter):
    """Others than the writers see what the dashboards show: the news in force today."""

    name = "Actualités visibles"
    arg_name = "visibles"

    def apply(self, query, value):
        return query if service.peut_gerer(g.user) else query.filter(service.en_vigueur())


class ActualiteApi(CleaModelRestApi):
    resource_name = "actualite"
    list_title, show_title = "Actualités", "Actualité"
    add_title, edit_title = "Publier une actualité", "Modifier l'actualité"
    datamodel = ServiceInterface(Actualite)
    tab = access.ACTUALITES
    base_filters = [["id", ActualitesVisibles, None]]
    list_columns = show_columns = COLUMNS
    add_columns = edit_columns = ["titre", "contenu", "date_publication", "date_fin", "publiee"]
    search_columns = ["titre", "date_publication", "publiee"]
    order_columns = ["date_publication", "titre"]
    base_order = ("date_publication", "desc")
    label_columns = {
        "titre": "Titre",
        "contenu": "Contenu",
        "date_publication": "Date de publication",
        "date_fin": "Fin d'affichage",
        "publiee": "Publiée",
    }
    # Every profile reads; writing is the special right « Publier les actualités » on the same resource.
    extra_permissions = {"post": "gerer_actualites", "put": "gerer_actualites", "delete": "gerer_actualites"}


def register(appbuilder):
    appbuilder.add_api(ActualiteApi)
