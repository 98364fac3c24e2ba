"""TABLEAU DE BORD (guide §5–6). Candidate counters arrive with the candidate files."""

from flask import g, redirect, request
from flask_appbuilder import IndexView, expose

from app.domain import access
from app.services import actualites, tableau_de_bord


class TableauDeBord(IndexView):
    route_base = ""
    default_view = "index"
    index_template = "clea/dashboard.html"

    @expose("/")
    def index(self):
        if not (g.user and g.user.is_authenticated):
            return redirect(self.appbuilder.get_url_for_login)
        # News are national: every profile reads those in force; Certif Pro writes them.
        context = {"actualites": actualites.actualites_du_jour(), "can_manage_news": actualites.peut_gerer(g.user)}
        if access.may(g.user, "evaluations.lire"):
            context.update(tableau_de_bord.candidatures(g.user, request.args.get("modifications")))
        if access.may(g.user, "habilitations.lire"):
            context["counters"] = tableau_de_bord.compteurs_habilitations(g.user)
        context["can_propose"] = access.may(g.user, "evaluations.creer")
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, title="Tableau de bord", breadcrumb=[], **context
        )
