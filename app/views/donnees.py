"""Personal data, Certif Pro's side (donnees-personnelles.md): the notice and retention settings, and the register of
processing activities (ADMINISTRATION tab, right « gerer_donnees_personnelles »)."""

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from app.domain import access
from app.formatting import date_fr
from app.models import Traitement
from app.services import donnees_personnelles as service
from app.services.ecritures import ServiceInterface
from app.views.base import METHOD_PERMISSIONS, CleaModelView, submitted
from app.views.documents import send_bytes

ADMINISTRATION_CRUMB = ("Administration", "AdministrationView.index")


class DonneesPersonnellesView(BaseView):
    """« Données personnelles »: the notice shown at collection and the retention periods."""

    route_base = "/administration/donnees-personnelles"
    default_view = "index"
    class_permission_name = access.ADMINISTRATION
    method_permission_name = {"index": "gerer_donnees_personnelles"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        errors: dict = {}
        values = {cle: value for cle, _reglage, value in service.parametres()}
        if request.method == "POST":
            submitted_values = {cle: request.form.get(cle, "") for cle in service.PARAMETRES}
            outcome = submitted(lambda: service.modifier_parametres(g.user, submitted_values))
            if outcome.ok:
                flash("Les paramètres des données personnelles sont enregistrés.", "success")
                return redirect(url_for("DonneesPersonnellesView.index"))
            errors, values = outcome.errors, submitted_values
        return self.render_template(
            "clea/donnees_personnelles.html",
            title="Données personnelles",
            reglages=service.PARAMETRES,
            values=values,
            errors=errors,
            breadcrumb=[("Administration", url_for("AdministrationView.index")), ("Données personnelles", None)],
        )


class TraitementView(CleaModelView):
    """« Registre des traitements » (GDPR art. 30): Certif Pro lists, edits and exports its processing activities."""

    route_base = "/registre-des-traitements"
    datamodel = ServiceInterface(Traitement)
    tab = access.ADMINISTRATION
    base_filters = []  # national: the register is Certif Pro's
    extra_permissions = {
        **dict.fromkeys(METHOD_PERMISSIONS, "gerer_donnees_personnelles"),
        "pdf": "gerer_donnees_personnelles",
    }
    list_title = "Registre des traitements"
    add_title = "Ajouter un traitement"
    edit_title = "Modifier le traitement"
    show_title = "Traitement"
    columns = ["ordre", *service.REGISTRE_CHAMPS]
    list_columns = ["ordre", "nom", "base_legale", "updated_at"]
    add_columns = edit_columns = show_columns = columns
    search_columns = ["nom", "finalite", "categories_donnees"]
    order_columns = ["ordre", "nom", "updated_at"]
    base_order = ("ordre", "asc")
    label_columns = {"ordre": "Ordre", "updated_at": "Mis à jour le", **service.REGISTRE_CHAMPS}
    formatters_columns = {"updated_at": date_fr}
    list_template = "clea/registre_list.html"
    add_form_extra_fields = edit_form_extra_fields = {
        "ordre": IntegerField("Ordre", validators=[Optional()]),
        "nom": StringField("Traitement"),
        "base_legale": StringField("Base légale"),
        **{
            field: TextAreaField(label)
            for field, label in service.REGISTRE_CHAMPS.items()
            if field not in ("nom", "base_legale")
        },
    }

    def _init_forms(self):
        super()._init_forms()
        self.add_form = _with_rules(self.add_form)
        self.edit_form = _with_rules(self.edit_form)

    @expose("/pdf")
    @has_access
    def pdf(self):
        """« Exporter le registre (PDF) »."""
        return send_bytes(service.registre_pdf(), "registre-des-traitements.pdf", "application/pdf")


def _with_rules(form_class):
    """The register's rules inside the form: each message next to its field, the input kept."""

    class TraitementForm(form_class):
        def validate(self, extra_validators=None):
            valid = super().validate(extra_validators=extra_validators)
            problems = service.erreurs_traitement(
                {name: self[name].data for name in ("ordre", *service.REGISTRE_CHAMPS) if name in self._fields}
            )
            for name, message in problems.items():
                if name in self._fields and not self[name].errors:
                    self[name].errors = [message]
            return valid and not problems

    TraitementForm.__name__ = form_class.__name__
    return TraitementForm


def register(appbuilder):
    appbuilder.add_view_no_menu(DonneesPersonnellesView())
    appbuilder.add_view_no_menu(TraitementView())
