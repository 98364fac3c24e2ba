"""Redevances (domain.md §10): the quarterly statement per organisation and the barème for Certif Pro; « Mes
redevances », the same statement limited to the perimeter, for an organisation's or a network's administrator.
Thin: the rules and the figures are in app/services/redevances.py."""

from decimal import Decimal

from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from wtforms import SelectField, StringField

from app.answers import field_errors
from app.domain import access
from app.exports import redevances as export
from app.formatting import montant_fr, nombre_fr
from app.models import BaremeRedevance, Organisme
from app.models.referentiels import CERTIFICATIONS
from app.services import redevances as service
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView


def _periode():
    """The quarter of the query string (the current one when absent), and the French errors of bad input."""
    courant = service.trimestre_courant()
    saisie = {
        "annee": request.args.get("annee", str(courant[0])),
        "trimestre": request.args.get("trimestre", str(courant[1])),
    }
    periode, errors = field_errors(lambda: service.verifier_periode(saisie["annee"], saisie["trimestre"]))
    if errors:
        return None, saisie, errors
    annee, trimestre = periode
    return (annee, trimestre), {"annee": annee, "trimestre": trimestre}, {}


class RedevancesView(BaseView):
    """Certif Pro's national statement, and any organisation's detail."""

    route_base = "/redevances"
    default_view = "index"
    class_permission_name = access.ADMINISTRATION
    perimetre_des_routes = {"organisme": Organisme, "export_organisme": Organisme}  # perimeter first
    method_permission_name = {
        "index": "voir_redevances",
        "export": "voir_redevances",
        "organisme": "voir_redevances",
        "export_organisme": "voir_redevances",
    }
    national = True
    titre = "Redevances — relevé trimestriel"

    def _breadcrumb(self, *more):
        return [
            ("Administration", url_for("AdministrationView.index")),
            ("Redevances", url_for("RedevancesView.index") if more else None),
            *more,
        ]

    # What the statement covers: every organisation (Certif Pro) or the user's perimeter (MesRedevancesView).
    def _releve(self, periode):
        return service.releve(*periode)

    def _lignes(self, periode):
        return service.lignes(*periode)

    def _organisme(self, pk):
        org = service.organisme(pk)
        if org is None:
            abort(404)
        return org

    def _page(self, periode, saisie, erreurs):
        return self.render_template(
            "clea/redevances.html",
            title=self.titre,
            vue=type(self).__name__,
            national=self.national,
            releve=self._releve(periode) if periode else None,
            saisie=saisie,
            erreurs=erreurs,
            trimestres=service.TRIMESTRES,
            annee_min=service.ANNEE_MIN,
            annee_max=service.annee_max(),
            breadcrumb=self._breadcrumb(),
        )

    @expose("/")
    @has_access
    def index(self):
        return self._page(*_periode())

    @expose("/export")
    @has_access
    def export(self):
        periode, saisie, erreurs = _periode()
        if periode is None:
            return self._page(periode, saisie, erreurs)
        releve = self._releve(periode)
        return export.telechargement(export.nom_fichier(releve), releve, self._lignes(periode))

    @expose("/organisme/<int:pk>")
    @has_access
    def organisme(self, pk):
        org = self._organisme(pk)
        periode, saisie, erreurs = _periode()
        releve = service.releve(*periode, organisme_id=org.id) if periode else None
        return self.render_template(
            "clea/redevances_organisme.html",
            title=f"Redevances — {org.nom}",
            vue=type(self).__name__,
            national=self.national,
            org=org,
            releve=releve,
            compte=(
                releve.organismes[0] if releve and releve.organismes else service.Compte(org.id, org.nom, org.siren)
            ),
            lignes=list(service.lignes(*periode, organisme_id=org.id)) if periode else [],
            saisie=saisie,
            erreurs=erreurs,
            trimestres=service.TRIMESTRES,
            annee_min=service.ANNEE_MIN,
            annee_max=service.annee_max(),
            types=service.TYPES,
            breadcrumb=self._breadcrumb((org.nom, None)),
        )

    @expose("/organisme/<int:pk>/export")
    @has_access
    def export_organisme(self, pk):
        org = self._organisme(pk)
        periode, _saisie, _erreurs = _periode()
        if periode is None:
            return self.organisme(pk)
        releve = service.releve(*periode, organisme_id=org.id)
        return export.telechargement(
            export.nom_fichier(releve, org.siren), releve, service.lignes(*periode, organisme_id=org.id)
        )


class MesRedevancesView(RedevancesView):
    """« Mes redevances » (issue 18 §5): an organisation's or a network's administrator reads the statement of its
    perimeter (read-only) and downloads it; the figures are Certif Pro's, limited by the service."""

    route_base = "/mes-redevances"
    class_permission_name = access.ORGANISMES
    method_permission_name = {
        "index": "voir_ses_redevances",
        "export": "voir_ses_redevances",
        "organisme": "voir_ses_redevances",
        "export_organisme": "voir_ses_redevances",
    }
    national = False
    titre = "Mes redevances — relevé trimestriel"

    def _breadcrumb(self, *more):
        return [("Mes redevances", url_for("MesRedevancesView.index") if more else None), *more]

    def _releve(self, periode):
        return service.releve_du_perimetre(g.user, *periode)

    def _lignes(self, periode):
        return service.lignes_du_perimetre(g.user, *periode)

    def _organisme(self, pk):
        return service.organisme_du_perimetre(g.user, pk)


# --- Barème ---------------------------------------------------------------------------------------------
class Obligatoire:
    """Marks the field with the asterisk; the message itself comes from the service's check."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class MontantField(StringField):
    """An amount typed French style (« 12,50 »); parsed and checked by the service."""

    def _value(self):
        if isinstance(self.data, Decimal):
            return nombre_fr(self.data, 2)
        return self.data or ""


AIDE = {
    "annee": "Le barème s'applique du 1er janvier de cette année jusqu'au barème d'une année suivante.",
    "frais_instruction": "Dus pour chaque demande d'habilitation, initiale ou de renouvellement, acceptée ou refusée.",
    "frais_gestion_site": "Dus pour chaque site habilité actif, à chaque date anniversaire de l'habilitation.",
    "redevance_certificat": "Due pour chaque certificat délivré.",
}
BAREME_CHAMPS = ["certification", "annee", "frais_instruction", "frais_gestion_site", "redevance_certificat"]


class BaremeRedevanceView(CleaModelView):
    route_base = "/baremes"
    datamodel = ServiceInterface(BaremeRedevance)
    tab = access.ADMINISTRATION
    base_filters = []
    list_title = "Barème des redevances"
    add_title = "Ajouter un barème"
    edit_title = "Modifier le barème"
    show_title = "Barème des redevances"
    list_columns = ["certification_label", "annee", "frais_instruction", "frais_gestion_site", "redevance_certificat"]
    show_columns = list_columns
    add_columns = edit_columns = BAREME_CHAMPS
    search_columns = ["annee"]
    order_columns = ["annee"]
    base_order = ("annee", "desc")
    label_columns = {
        "certification": "Certification",
        "certification_label": "Certification",
        "annee": "Année d'application",
        "frais_instruction": "Frais d'instruction (€ HT)",
        "frais_gestion_site": "Frais de gestion par site et par an (€ HT)",
        "redevance_certificat": "Redevance par certificat (€ HT)",
    }
    formatters_columns = {
        "frais_instruction": montant_fr,
        "frais_gestion_site": montant_fr,
        "redevance_certificat": montant_fr,
    }
    add_form_extra_fields = {
        "certification": SelectField(
            "Certification", choices=list(CERTIFICATIONS.items()), validate_choice=False, validators=[Obligatoire()]
        ),
        "annee": StringField("Année d'application", validators=[Obligatoire()], description=AIDE["annee"]),
        "frais_instruction": MontantField(
            "Frais d'instruction (€ HT)", validators=[Obligatoire()], description=AIDE["frais_instruction"]
        ),
        "frais_gestion_site": MontantField(
            "Frais de gestion par site et par an (€ HT)",
            validators=[Obligatoire()],
            description=AIDE["frais_gestion_site"],
        ),
        "redevance_certificat": MontantField(
            "Redevance par certificat (€ HT)", validators=[Obligatoire()], description=AIDE["redevance_certificat"]
        ),
    }
    edit_form_extra_fields = add_form_extra_fields
    # Listing is seeing fees; changing the amounts is its own right; a barème is never deleted (past
    # statements were priced with it): a new year's barème replaces it.
    extra_permissions = {
        "list": "voir_redevances",
        "show": "voir_redevances",
        "add": "gerer_baremes",
        "edit": "gerer_baremes",
    }
    exclude_route_methods = {"delete", "action", "action_post"}

    def _init_forms(self):
        super()._init_forms()
        self.add_form = self._checked(self.add_form)
        self.edit_form = self._checked(self.edit_form)

    @staticmethod
    def _checked(form_class):
        class BaremeForm(form_class):
            def validate(self, extra_validators=None):
                valid = super().validate(extra_validators=extra_validators)
                raw = {name: self[name].data for name in BAREME_CHAMPS}
                clean, errors = service.verifier_bareme(raw, getattr(self, "_id", None))
                for name, messages in errors.items():
                    self[name].errors = list(messages)
                if errors:
                    return False
                for name, value in clean.items():
                    self[name].data = value
                return valid

        BaremeForm.__name__ = form_class.__name__
        return BaremeForm


def register(appbuilder):
    appbuilder.add_view_no_menu(RedevancesView())
    appbuilder.add_view_no_menu(MesRedevancesView())
    appbuilder.add_view_no_menu(BaremeRedevanceView())
