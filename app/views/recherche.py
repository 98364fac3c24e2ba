"""« RÉSULTAT DE RECHERCHE » (guide §15): the national search behind the magnifier. Thin: the rules (what is
searched, what is shown of a file outside the perimeter) are in app/services/recherche.py."""

from flask import g, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access
from app.formatting import datetime_fr, nombre_fr
from app.models import RechercheNationale
from app.services import recherche as service
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView


class RechercheView(BaseView):
    route_base = "/recherche"
    default_view = "index"
    # Every profile with 👁 on EVALUATIONS searches (roles.md: consult and search).
    tab = access.EVALUATIONS
    class_permission_name = access.EVALUATIONS
    method_permission_name = {"index": "read"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        # A visit (the magnifier) shows the empty form; a posted one (even empty) is searched. The criteria are
        # posted, never put in the URL: names and birth dates would stay in histories and access logs.
        resultat = service.rechercher(g.user, request.form) if request.method == "POST" else None
        criteres = resultat.criteres if resultat else service.criteres({})[0]
        page = self.render_template(
            "clea/recherche.html",
            title="RÉSULTAT DE RECHERCHE",
            resultat=resultat,
            criteres=criteres,
            erreurs=resultat.erreurs if resultat else {},
            maximum=service.MAX_RESULTATS,
            breadcrumb=[("Recherche", None)],
        )
        return (page, 429) if resultat is not None and resultat.limite_atteinte else page


class JournalRechercheView(CleaModelView):
    """ADMINISTRATION « Journal des recherches nationales »: who searched for whom (read only)."""

    route_base = "/administration/recherches"
    datamodel = ServiceInterface(RechercheNationale)
    tab = access.ADMINISTRATION
    list_title = show_title = "Journal des recherches nationales"
    list_columns = ["created_at", "user_name", "criteres", "resultats", "hors_perimetre"]
    show_columns = list_columns
    search_columns = ["user_name", "created_at"]
    order_columns = ["created_at", "user_name", "resultats", "hors_perimetre"]
    base_order = ("created_at", "desc")
    label_columns = {
        "created_at": "Date",
        "user_name": "Utilisateur",
        "criteres": "Critères saisis",
        "resultats": "Résultats",
        "hors_perimetre": "Dont hors périmètre",
    }
    formatters_columns = {
        "created_at": datetime_fr,
        "criteres": service.libelle_criteres,
        "resultats": nombre_fr,
        "hors_perimetre": nombre_fr,
    }
    extra_permissions = {"list": "consulter_journal_recherches", "show": "consulter_journal_recherches"}
    exclude_route_methods = {"add", "edit", "delete", "action", "action_post", "download"}


def register(appbuilder):
    appbuilder.add_view_no_menu(RechercheView())
    appbuilder.add_view_no_menu(JournalRechercheView())
