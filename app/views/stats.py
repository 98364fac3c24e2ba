"""STATS tab (guide §7 « Onglet STATS ») and the pages of the exports prepared in the background."""

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.answers import field_errors
from app.domain import access
from app.services import exports, stats
from app.views.base import submitted
from app.views.documents import send_parts


class StatsView(BaseView):
    route_base = "/stats"
    default_view = "index"
    class_permission_name = access.STATS
    method_permission_name = {"index": "read", "exporter": "read"}

    @expose("/")
    @has_access
    def index(self):
        periode, errors = field_errors(lambda: stats.periode(request.args.get("du"), request.args.get("au")))
        periode = periode or stats.Periode()
        tableau = stats.tableau(g.user, periode)
        return self.render_template(
            "clea/stats.html",
            title="Statistiques",
            t=tableau,
            errors=errors,
            labels=dict(stats.COMPTEURS),
            values={"du": request.args.get("du", ""), "au": request.args.get("au", "")},
            exports=exports.mes_exports(g.user, 5),
            kind_label=exports.kind_label,
            breadcrumb=[("Statistiques", None)],
        )

    @expose("/exporter", methods=["POST"])
    @has_access
    def exporter(self):
        """« Télécharger l'ensemble des statistiques » / « Télécharger les statistiques des dossiers »."""
        type_ = request.form.get("type", "")
        if type_ not in ("statistiques", "dossiers"):
            flash("Type d'export inconnu.", "danger")
            return redirect(url_for("StatsView.index"))
        return demander_export(
            type_, {"du": request.form.get("du", ""), "au": request.form.get("au", "")}, url_for("StatsView.index")
        )


def demander_export(type_: str, params: dict, back: str):
    """Ask for an export and go to its page (shared by the STATS tab and the CANDIDATURE list)."""
    outcome = submitted(lambda: exports.demander(g.user, type_, params))
    if not outcome.ok:
        if outcome.errors:
            flash(outcome.message, "danger")
        return redirect(back)
    return redirect(url_for("ExportView.show", pk=outcome.value.id))


def logged_in(view_method):
    """Any logged-in user (their own exports only); others go to the login page."""
    import functools

    @functools.wraps(view_method)
    def wrapper(self, *args, **kwargs):
        if not (g.user and g.user.is_authenticated):
            return redirect(self.appbuilder.get_url_for_login)
        return view_method(self, *args, **kwargs)

    return wrapper


class ExportView(BaseView):
    """An export's page: progress while it is prepared, then the download. Each user sees only their own
    exports (any other id is 404); the right to the data was checked when the export was asked for."""

    route_base = "/exports"
    default_view = "show"
    perimetre_des_routes = {"show": None, "relancer": None, "fichier": None}  # one's own exports (the service)

    @expose("/<int:pk>")
    @logged_in
    def show(self, pk):
        job = exports.visible(g.user, pk)
        back = url_for("CandidatureView.list") if job.type == "candidatures" else url_for("StatsView.index")
        return self.render_template(
            "clea/export.html",
            title="Export",
            job=job,
            back=back,
            kind_label=exports.kind_label(job.type),
            breadcrumb=[(exports.kind_label(job.type), None)],
        )

    @expose("/<int:pk>/relancer", methods=["POST"])
    @logged_in
    def relancer(self, pk):
        outcome = submitted(lambda: exports.relancer(g.user, pk))
        if outcome.ok:
            flash("L'export est relancé : cette page se met à jour toute seule.", "success")
        return redirect(url_for("ExportView.show", pk=pk))

    @expose("/<int:pk>/fichier")
    @logged_in
    def fichier(self, pk):
        parts, filename, size = exports.contenu(g.user, pk)
        return send_parts(parts, filename, exports.type_mime(filename), size)


def register(appbuilder):
    appbuilder.add_view_no_menu(StatsView())
    appbuilder.add_view_no_menu(ExportView())
