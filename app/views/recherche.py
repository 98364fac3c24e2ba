"""« RÉSULTAT DE RECHERCHE » (guide §15): the national search behind the magnifier. Thin: the rules (what is
searched, what is shown of a file outside the perimeter) are in app/services/recherche.py."""

from flask import g, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access
from app.services import recherche as service


class RechercheView(BaseView):
    route_base = "/recherche"
    default_view = "index"
    # Every profile with 👁 on EVALUATIONS searches (roles.md: consult and search).
    tab = access.EVALUATIONS
    class_permission_name = access.EVALUATIONS
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        # A bare visit (the magnifier) shows the empty form; a submitted one (even empty) is searched.
        submitted = any(name in request.args for name in service.CHAMPS + ("q",))
        resultat = service.rechercher(g.user, request.args) if submitted else None
        criteres = resultat.criteres if resultat else service.criteres({})[0]
        return self.render_template(
            "clea/recherche.html",
            title="RÉSULTAT DE RECHERCHE",
            resultat=resultat,
            criteres=criteres,
            erreurs=resultat.erreurs if resultat else {},
            maximum=service.MAX_RESULTATS,
            breadcrumb=[("Recherche", None)],
        )


def register(appbuilder):
    appbuilder.add_view_no_menu(RechercheView())
