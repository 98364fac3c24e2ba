"""REST resource `rattachement` (api.md): transfer requests of the perimeter (both sides), created on any
existing file (the one write allowed outside the perimeter), decided by Certif Pro with `accepter` / `refuser`."""

from flask import g
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi
from app.domain import access
from app.models.juries import DemandeRattachement
from app.services import rattachements as service
from app.services.ecritures import ServiceInterface

COLUMNS = [
    "id",
    "candidature.id",
    "etablissement_origine.id",
    "etablissement_destination.id",
    "motif",
    "precision",
    "etat",
    "demandeur.id",
    "created_at",
    "decide_le",
    "commentaire_decision",
]
FIELDS = ("candidature", "etablissement_destination", "motif", "precision")


class RattachementApi(CleaModelRestApi):
    resource_name = "rattachement"
    list_title = "Demandes de rattachement"
    show_title = add_title = edit_title = "Demande de rattachement"
    datamodel = ServiceInterface(DemandeRattachement)
    tab = access.RATTACHEMENTS
    list_columns = show_columns = COLUMNS
    # What POST takes (`_info`); the body is read by post_headless, decisions go through the actions.
    add_columns = list(FIELDS)
    edit_columns = []
    label_columns = {
        "id": "Identifiant",
        "candidature": "Dossier de candidature",
        "candidature.id": "Dossier de candidature",
        "etablissement_origine": "Etablissement d'origine",
        "etablissement_origine.id": "Etablissement d'origine",
        "etablissement_destination": "Etablissement de destination",
        "etablissement_destination.id": "Etablissement de destination",
        "motif": "Motif",
        "precision": "Précision",
        "etat": "Etat",
        "demandeur": "Demandeur",
        "demandeur.id": "Demandeur",
        "created_at": "Date de la demande",
        "decide_le": "Date de la décision",
        "commentaire_decision": "Commentaire de la décision",
    }
    search_columns = [
        "candidature",
        "etat",
        "motif",
        "etablissement_origine",
        "etablissement_destination",
        "created_at",
    ]
    order_columns = ["created_at", "etat", "motif"]
    base_order = ("created_at", "desc")
    include_route_methods = {"get_list", "get", "info", "post", "accepter", "refuser"}
    extra_permissions = {"accepter": "decider_rattachement", "refuser": "decider_rattachement"}

    def post_headless(self):
        data = self._json_body()
        self.reject_unknown(data, FIELDS)
        demande = service.demander(
            g.user,
            data.get("candidature"),
            data.get("etablissement_destination"),
            data.get("motif"),
            data.get("precision"),
        )
        return self.response(201, id=demande.id, result=self.dump(demande))

    @expose("/<int:pk>/accepter", methods=["POST"])
    @protect()
    @safe
    def accepter(self, pk):
        """Accept a transfer request (Certif Pro): the file moves to the destination establishment.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {commentaire: {type: string}}}
          responses:
            200: {description: Demande acceptée ; le dossier change d'établissement}
            403: {description: Réservé à Certif Pro}
            404: {description: Hors périmètre}
            409: {description: Demande déjà traitée ou dossier non rattachable}
        """
        return self.action_response(lambda body: service.accepter(g.user, pk, body.get("commentaire")))

    @expose("/<int:pk>/refuser", methods=["POST"])
    @protect()
    @safe
    def refuser(self, pk):
        """Refuse a transfer request (Certif Pro), with its reason (`motif` or `commentaire`).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {motif: {type: string}, commentaire: {type: string}}}
          responses:
            200: {description: Demande refusée}
            403: {description: Réservé à Certif Pro}
            404: {description: Hors périmètre}
            409: {description: Demande déjà traitée}
            422: {description: Motif du refus manquant}
        """

        def run(body):
            commentaire = body.get("motif") if body.get("commentaire") in (None, "") else body.get("commentaire")
            return service.refuser(g.user, pk, commentaire)

        return self.action_response(run)


def register(appbuilder):
    appbuilder.add_api(RattachementApi)
