"""Actualités (domain.md §7): Certif Pro writes the news shown on every dashboard (ADMINISTRATION tab, right
« Publier les actualités »)."""

import datetime

from flask_appbuilder.fieldwidgets import DatePickerWidget
from wtforms import DateField
from wtforms.validators import DataRequired

from app.domain import access
from app.formatting import date_fr, oui_non
from app.models.actualites import Actualite
from app.services import actualites
from app.services.ecritures import ServiceInterface
from app.views.base import METHOD_PERMISSIONS, CleaModelView


class ActualiteView(CleaModelView):
    route_base = "/actualites"
    datamodel = ServiceInterface(Actualite)
    tab = access.ACTUALITES
    base_filters = []  # national: news are in no perimeter
    # Everyone reads the news in force on their dashboard; this page (all news, published or not) and its
    # changes are Certif Pro's right.
    extra_permissions = dict.fromkeys(METHOD_PERMISSIONS, "gerer_actualites")
    list_title = "Actualités"
    add_title = "Publier une actualité"
    edit_title = "Modifier l'actualité"
    show_title = "Actualité"
    list_columns = ["titre", "date_publication", "date_fin", "publiee"]
    add_columns = edit_columns = ["titre", "contenu", "date_publication", "date_fin", "publiee"]
    show_columns = ["titre", "contenu", "date_publication", "date_fin", "publiee", "auteur"]
    search_columns = ["titre", "contenu", "date_publication", "publiee"]
    order_columns = ["titre", "date_publication", "date_fin"]
    base_order = ("date_publication", "desc")
    label_columns = {
        "titre": "Titre",
        "contenu": "Contenu",
        "date_publication": "Date de publication",
        "date_fin": "Fin d'affichage",
        "publiee": "Publiée",
        "auteur": "Auteur",
    }
    description_columns = {
        "date_fin": "Dernier jour d'affichage sur les tableaux de bord (facultatif).",
        "publiee": "Décochée, l'actualité n'est montrée à personne.",
    }
    formatters_columns = {"date_publication": date_fr, "date_fin": date_fr, "publiee": oui_non}
    add_form_extra_fields = {
        "date_publication": DateField(
            "Date de publication", default=datetime.date.today, validators=[DataRequired()], widget=DatePickerWidget()
        ),
    }

    def _init_forms(self):
        super()._init_forms()
        self.add_form = _with_rules(self.add_form)
        self.edit_form = _with_rules(self.edit_form)


def _with_rules(form_class):
    """The service's rules inside the form: each message next to its field, the input kept."""

    class ActualiteForm(form_class):
        def validate(self, extra_validators=None):
            valid = super().validate(extra_validators=extra_validators)
            problems = actualites.erreurs(
                self.titre.data, self.contenu.data, self.date_publication.data, self.date_fin.data
            )
            for field, message in problems.items():
                if not self[field].errors:  # a date that could not be read keeps its own message
                    self[field].errors = [message]
            return valid and not problems

    ActualiteForm.__name__ = form_class.__name__
    return ActualiteForm


def register(appbuilder):
    appbuilder.add_view_no_menu(ActualiteView())
