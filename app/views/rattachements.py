"""« Mes demandes de rattachements » (guide §16, domain.md §5): the list of the perimeter's transfer requests,
the request form opened by the key icon of the search, and Certif Pro's decision. Thin: the rules are in
app/services/rattachements.py."""

import re

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import SelectField, StringField

from app.domain import access
from app.extensions import db
from app.formatting import date_fr
from app.models import Candidature, Etablissement
from app.models.juries import DemandeRattachement
from app.security import perimeter
from app.services import choix, rattachements as service
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView, submitted

TITRE = "Mes demandes de rattachements"


class FiltreNumeroDossier(BaseFilter):
    """« Numéro de dossier » of the list: the request's file by its number (the unique index), not a dropdown
    of every file of the perimeter."""

    name = "Égal à"
    arg_name = "numero"

    def apply(self, query, value):
        numero = (value or "").strip() if isinstance(value, str) else ""
        return query.filter(
            DemandeRattachement.candidature_id.in_(
                select(Candidature.id).where(Candidature.numero_dossier == numero[:10])
            )
        )


class RattachementInterface(ServiceInterface):
    """The list shows each request's file and two establishments: load them in two queries for the whole page
    (the rows' relationships then come from the session) instead of three per row."""

    def query(self, *args, **kwargs):
        count, rows = super().query(*args, **kwargs)
        if self.obj is not DemandeRattachement:  # FAB builds the related dropdowns' interfaces from this class
            return count, rows
        if not rows:
            return count, rows
        candidatures = {
            c.id: c
            for c in db.session.execute(
                select(Candidature).where(Candidature.id.in_({r.candidature_id for r in rows}))
            ).scalars()
        }
        etab_ids = {r.etablissement_origine_id for r in rows} | {r.etablissement_destination_id for r in rows}
        etablissements = {
            e.id: e for e in db.session.execute(select(Etablissement).where(Etablissement.id.in_(etab_ids))).scalars()
        }
        for row in rows:  # as if loaded with the row: no lazy load afterwards
            set_committed_value(row, "candidature", candidatures.get(row.candidature_id))
            set_committed_value(row, "etablissement_origine", etablissements.get(row.etablissement_origine_id))
            set_committed_value(row, "etablissement_destination", etablissements.get(row.etablissement_destination_id))
        return count, rows


class DemandeRattachementView(CleaModelView):
    route_base = "/rattachements"
    datamodel = RattachementInterface(DemandeRattachement)
    tab = access.RATTACHEMENTS
    list_title = TITRE
    show_title = "Demande de rattachement"
    list_template = "clea/rattachements_list.html"
    list_columns = [
        "candidature.numero_dossier",
        "candidature.candidat",
        "etablissement_origine",
        "etablissement_destination",
        "motif",
        "etat_label",
        "created_at",
    ]
    search_columns = [
        "candidature",
        "etat",
        "motif",
        "etablissement_origine",
        "etablissement_destination",
        "created_at",
    ]
    # Typed establishments: the list's filters (the perimeter's), the request's destination (service.DESTINATIONS).
    pickers = {
        "etablissement_origine": choix.Source(Etablissement),
        "etablissement_destination": choix.Source(Etablissement),
        "destination": service.DESTINATIONS,
    }
    search_form_extra_fields = {
        "candidature": StringField("Numéro de dossier"),
        "etat": SelectField("Etat", choices=list(DemandeRattachement.ETATS.items())),
        # Callable: the list of values is data that Certif Pro edits.
        "motif": SelectField("Motif", choices=lambda: [(m, m) for m in service.motifs()]),
    }
    order_columns = ["created_at", "etat", "motif"]
    base_order = ("created_at", "desc")
    label_columns = {
        "candidature.numero_dossier": "Numéro de dossier",
        "candidature.candidat": "Candidat",
        "candidature": "Numéro de dossier",
        "etablissement_origine": "Etablissement d'origine",
        "etablissement_destination": "Etablissement de destination",
        "motif": "Motif",
        "etat_label": "Etat",
        "etat": "Etat",
        "created_at": "Date de la demande",
        "precision": "Précision",
    }
    formatters_columns = {"created_at": date_fr}
    # Requests are made with « Envoyer la demande » and decided with the buttons: no raw add/edit/delete.
    extra_permissions = {"demander": "create", "accepter": "decider_rattachement", "refuser": "decider_rattachement"}
    exclude_route_methods = {"add", "edit", "delete"}

    def _init_properties(self):
        super()._init_properties()
        # The file is searched by its number (see FiltreNumeroDossier), not chosen in a dropdown.
        numero = FiltreNumeroDossier("candidature", self.datamodel)
        self._filters._search_filters["candidature"] = [numero]
        self._filters._all_filters["candidature"] = [numero]

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        demande = perimeter.get_visible(DemandeRattachement, pk)
        candidature = demande.candidature
        en_attente = demande.etat == DemandeRattachement.EN_ATTENTE
        return self.render_template(
            "clea/rattachement_show.html",
            title=f"Demande de rattachement n°{demande.id}",
            demande=demande,
            candidature=candidature,
            dossier_visible=perimeter.is_visible(candidature),
            decideur=service.decideur(demande),
            can_decide=en_attente and service.peut_decider(g.user),
            refus=service.refus_statut(candidature) if en_attente else None,
            breadcrumb=[
                (TITRE, url_for("DemandeRattachementView.list")),
                (f"Demande de rattachement n°{demande.id}", None),
            ],
        )

    @expose("/demander/<reference>", methods=["GET", "POST"])
    @has_access
    def demander(self, reference):
        """The key icon of a search result (a signed reference, see service.reference): the file may be outside
        the perimeter, so only the four columns the result showed are shown."""
        candidature = service.dossier(g.user, reference)
        values, errors = {}, {}
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in ("etablissement_destination", "motif", "precision")}
            # A refusal rolls back, which releases the file's row lock (PostgreSQL).
            outcome = submitted(
                lambda: service.demander(
                    g.user, candidature.id, values["etablissement_destination"], values["motif"], values["precision"]
                )
            )
            if outcome.ok:
                flash(
                    "Votre demande de rattachement a été envoyée à Certif Pro : vous serez informé de sa réponse "
                    "par notification.",
                    "success",
                )
                return redirect(url_for("DemandeRattachementView.show", pk=outcome.value.id))
            errors = outcome.errors
        return self.render_template(
            "clea/rattachement_demande.html",
            title="Demande de rattachement",
            candidature=candidature,
            values=values,
            errors=errors,
            destination=self.picker("destination", values.get("etablissement_destination"), single=True),
            motifs=service.motifs(),
            obstacle=service.obstacle(candidature),
            breadcrumb=[("Recherche", url_for("RechercheView.index")), ("Demande de rattachement", None)],
        )

    def _decide(self, pk, action, success):
        return self.run_action(action, url_for("DemandeRattachementView.show", pk=pk), success)

    @expose("/<int:pk>/accepter", methods=["POST"])
    @has_access
    def accepter(self, pk):
        return self._decide(
            pk,
            lambda: service.accepter(g.user, pk, request.form.get("commentaire")),
            "La demande de rattachement est acceptée : le dossier a changé d'établissement.",
        )

    @expose("/<int:pk>/refuser", methods=["POST"])
    @has_access
    def refuser(self, pk):
        return self._decide(
            pk,
            lambda: service.refuser(g.user, pk, request.form.get("commentaire")),
            "La demande de rattachement est refusée.",
        )


NUMERO_DOUBLON = re.compile(r"n°(\d{10})")


def message_doublon(message: str, user):
    """« Proposer une candidature » refused for a duplicate: the message offers a transfer request (guide §14),
    so it links to the request form for the existing file (or to the file itself when the user may open it)."""
    found = NUMERO_DOUBLON.search(message or "")
    if not found or not service.peut_demander(user):
        return message
    candidature = service.dossier_par_numero(found.group(1))
    if candidature is None:
        return message
    if perimeter.is_visible(candidature, user):
        return Markup('{} <a class="alert-link" href="{}">Ouvrir le dossier</a>').format(
            message, url_for("CandidatureView.show", pk=candidature.id)
        )
    return Markup(
        '{} <a class="alert-link" href="{}"><i class="fa fa-key"></i> Faire une demande de rattachement</a>'
    ).format(message, url_for("DemandeRattachementView.demander", reference=service.reference(user, candidature.id)))


def register(appbuilder):
    appbuilder.add_view_no_menu(DemandeRattachementView())
