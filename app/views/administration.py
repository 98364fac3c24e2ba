"""Certif Pro's administration: the access matrix page (roles.md: shown to Certif Pro admins)."""

from flask import g, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access
from app.services import notifications
from app.views.base import submitted


class AdministrationView(BaseView):
    route_base = "/administration"
    default_view = "index"
    class_permission_name = access.ADMINISTRATION
    perimetre_des_routes = {"renvoyer": None}  # outbox mails: national, Certif Pro's right only
    method_permission_name = {"index": "read", "matrice": "read", "mails": "gerer_mails", "renvoyer": "gerer_mails"}

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("clea/administration.html", title="Administration")

    @expose("/matrice")
    @has_access
    def matrice(self):
        return self.render_template(
            "clea/matrice.html",
            title="Matrice des droits",
            rows=access.matrix_rows(),
            tabs=[access.TAB_LABELS[t] for t in access.TABS],
            special=access.SPECIAL_RIGHTS,
            tab_labels=access.TAB_LABELS,
            perimeter_labels=access.PERIMETER_LABELS,
            breadcrumb=[("Administration", url_for("AdministrationView.index")), ("Matrice des droits", None)],
        )

    @expose("/mails-en-echec")
    @has_access
    def mails(self):
        page = request.args.get("page", "0")
        page = int(page) if page.isdigit() and len(page) < 7 else 0
        rows, total = notifications.mails_en_echec(g.user, page)
        return self.render_template(
            "clea/mails_echec.html",
            title="Mails en échec",
            mails=rows,
            total=total,
            page=page,
            par_page=notifications.MAILS_PAR_PAGE,
            breadcrumb=[("Administration", url_for("AdministrationView.index")), ("Mails en échec", None)],
        )

    @expose("/mails-en-echec/<int:pk>/renvoyer", methods=["POST"])
    @has_access
    def renvoyer(self, pk):
        from flask import flash, redirect

        outcome = submitted(lambda: notifications.renvoyer(g.user, pk))
        if outcome.ok:
            flash(f"Le mail à {outcome.value.destinataire} est remis en file d'envoi.", "success")
        return redirect(url_for("AdministrationView.mails"))


def register(appbuilder):
    appbuilder.add_view_no_menu(AdministrationView())
