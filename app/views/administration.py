"""Certif Pro's administration: the access matrix page (roles.md: shown to Certif Pro admins)."""

from flask import url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access


class AdministrationView(BaseView):
    route_base = "/administration"
    default_view = "index"
    class_permission_name = access.ADMINISTRATION
    method_permission_name = {"index": "read", "matrice": "read"}

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


def register(appbuilder):
    appbuilder.add_view_no_menu(AdministrationView())
