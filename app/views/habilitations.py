"""HABILITATION ETABLISSEMENT (guide §12–13): "Faire une demande", decisions, renewal."""

import datetime

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access
from app.domain.dates import parse_date
from app.domain.errors import ValidationFailed
from app.formatting import date_fr
from app.models import DemandeHabilitation, Etablissement
from app.security import perimeter
from app.services import audit, habilitations
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView, submitted


def _parse_date(value):
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise ValidationFailed({"date_debut": "Date invalide : utilisez le format jj/mm/aaaa."}) from None


class DemandeHabilitationView(CleaModelView):
    route_base = "/habilitations"
    datamodel = ServiceInterface(DemandeHabilitation)
    tab = access.HABILITATIONS
    list_title = "Demandes d'habilitation"
    list_columns = [
        "organisme",
        "etablissements_label",
        "instance_label",
        "certification_label",
        "type_label",
        "date_demande",
        "date_debut",
        "date_fin",
        "etat_label",
    ]
    search_columns = ["organisme", "etat", "certification", "type", "date_demande", "date_fin"]
    order_columns = ["date_demande", "date_debut", "date_fin"]
    base_order = ("date_demande", "desc")
    label_columns = {
        "organisme": "Organisme",
        "etablissements_label": "Etablissement(s)",
        "instance_label": "Certificateur",
        "certification_label": "Certification",
        "type_label": "Type",
        "date_demande": "Date de la demande",
        "date_debut": "Date de début de l'habilitation",
        "date_fin": "Date de fin de l'habilitation",
        "etat_label": "Etat de la demande",
        "etat": "Etat de la demande",
        "certification": "Certification",
        "type": "Type",
        "motif_rejet": "Motif du rejet",
    }
    formatters_columns = {"date_demande": date_fr, "date_debut": date_fr, "date_fin": date_fr}
    # Requests are made through "Faire une demande" and decided with the buttons: no raw add/edit/delete.
    extra_permissions = {
        "demander": "create",
        "valider": "decider_habilitation",
        "rejeter": "decider_habilitation",
        "renouveler": "create",
    }
    exclude_route_methods = {"add", "edit", "delete"}

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        demande = perimeter.get_visible(DemandeHabilitation, pk)
        return self.render_template(
            "clea/habilitation_show.html",
            title=str(demande),
            demande=demande,
            can_decide=(
                demande.etat == DemandeHabilitation.EN_ATTENTE
                and self.can("can_decider_habilitation")
                and habilitations.adressee_a(g.user, demande)
            ),
            can_renew=(
                demande.etat == DemandeHabilitation.VALIDEE
                and self.can("can_create")
                and demande.type == DemandeHabilitation.INITIALE
            ),
            audit=[
                a
                for a in audit.lignes(organisme_id=demande.organisme_id)
                if a.entity_type == "Demande d'habilitation"
                and a.entity_id == demande.id
                and a.etablissement_id is None
            ],
            today=datetime.date.today(),
            breadcrumb=[("Demandes d'habilitation", url_for("DemandeHabilitationView.list")), (str(demande), None)],
        )

    @expose("/demander", methods=["GET", "POST"])
    @has_access
    def demander(self):
        """ "Faire une demande" from the establishment page."""
        etab = perimeter.get_visible(Etablissement, request.values.get("etablissement"))
        if not self.can("can_create"):
            flash("Vous n'avez pas les droits pour demander une habilitation.", "danger")
            return redirect(url_for("EtablissementView.show", pk=etab.id))
        choices, branches = habilitations.choix_de_demande(g.user, etab)
        errors = {}
        if request.method == "POST":
            outcome = submitted(
                lambda: habilitations.demander(
                    g.user,
                    request.form.getlist("etablissements"),
                    request.form.get("aupres", ""),
                    request.form.getlist("certificateurs"),
                    request.form.get("certification", "clea"),
                )
            )
            if outcome.ok:
                flash("Votre demande d'habilitation a été envoyée.", "success")
                return redirect(url_for("EtablissementView.show", pk=etab.id) + "#habilitations")
            errors = outcome.errors
        return self.render_template(
            "clea/habilitation_demande.html",
            title="Demande d'habilitation",
            etab=etab,
            choices=choices,
            branches=branches,
            errors=errors,
            form=request.form,
            breadcrumb=[
                ("Mes organismes", url_for("OrganismeView.list")),
                (etab.nom, url_for("EtablissementView.show", pk=etab.id)),
                ("Demande d'habilitation", None),
            ],
        )

    def _decide(self, pk, action):
        return self.run_action(action, url_for("DemandeHabilitationView.show", pk=pk))

    @expose("/<int:pk>/valider", methods=["POST"])
    @has_access
    def valider(self, pk):
        def act():
            habilitations.valider(g.user, pk, _parse_date(request.form.get("date_debut")))
            flash("L'habilitation est validée.", "success")

        return self._decide(pk, act)

    @expose("/<int:pk>/rejeter", methods=["POST"])
    @has_access
    def rejeter(self, pk):
        def act():
            habilitations.rejeter(g.user, pk, request.form.get("motif"))
            flash("La demande d'habilitation est rejetée.", "success")

        return self._decide(pk, act)

    @expose("/<int:pk>/renouveler", methods=["POST"])
    @has_access
    def renouveler(self, pk):
        def act():
            habilitations.renouveler(g.user, pk)
            flash("La demande de renouvellement a été envoyée.", "success")

        return self._decide(pk, act)


def register(appbuilder):
    appbuilder.add_view_no_menu(DemandeHabilitationView())
