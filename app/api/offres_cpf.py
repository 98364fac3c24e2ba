"""REST resource `offre_cpf` (issue 18 §6): an establishment's CPF catalogue offers with their sessions, read in the
perimeter, written through app/services/offres_cpf.py (the same rules as the pages), exported as LHÉO XML and .xlsx.

Body of a POST (`etablissement` too) or a PUT (the whole offer; `version` or `If-Match` guards the save):
{"certification": "clea" | "clea_numerique", "numero_interne", "intitule_formation", "points_forts",
"objectif_formation", "resultats_attendus", "contenu_formation", "type_parcours": "96211" … "96214",
"sessions": [{"debut": "AAAA-MM-JJ", "fin": "AAAA-MM-JJ", "adresse", "code_postal", "ville"}]}."""

from flask import g
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi
from app.domain import access
from app.domain.errors import ValidationFailed
from app.exports import lheo, offres_cpf as export
from app.models import Etablissement, OffreCpf
from app.services import offres_cpf as service
from app.services.ecritures import ServiceInterface
from app.views.documents import send_bytes

CHAMPS = [*service.CHAMPS, "sessions"]
COLONNES = [
    "id",
    "etablissement.id",
    *service.CHAMPS,
    "sessions.id",
    "sessions.debut",
    "sessions.fin",
    "sessions.adresse",
    "sessions.code_postal",
    "sessions.ville",
]


class OffreCpfApi(CleaModelRestApi):
    resource_name = "offre_cpf"
    openapi_spec_tag = "Offre de formation CPF"
    datamodel = ServiceInterface(OffreCpf)
    tab = access.ETABLISSEMENTS
    list_columns = show_columns = COLONNES
    add_columns = edit_columns = []
    search_columns = ["etablissement", "certification", "numero_interne"]
    order_columns = ["intitule_formation", "numero_interne"]
    base_order = ("intitule_formation", "asc")
    include_route_methods = {"get_list", "get", "info", "post", "put", "delete", "lheo", "export"}
    # ✏ on FICHE ETABLISSEMENT describes the offer (an establishment's administrator has no ➕ on the tab).
    extra_permissions = {"post": "edit", "delete": "edit", "lheo": "read", "export": "read"}
    perimetre_des_routes = {"lheo": Etablissement, "export": Etablissement}

    def post_headless(self):
        data = self._json_body()
        self.reject_unknown(data, [*CHAMPS, "etablissement"])
        etablissement = data.pop("etablissement", None)
        if isinstance(etablissement, bool) or not isinstance(etablissement, int):
            raise ValidationFailed({"etablissement": "Identifiant d'établissement attendu."})
        offre = service.creer(g.user, etablissement, data)
        return self.with_etag(self.response(201, id=offre.id, result=self.dump(offre)), offre)

    def put_headless(self, pk):
        offre = service.visible(g.user, pk)  # outside the perimeter: 404 whatever the body
        data = self._json_body()
        version = self.expected_version(data)
        self.reject_unknown(data, CHAMPS)
        offre = service.modifier(g.user, offre.id, data, version)
        return self.with_etag(self.response(200, id=offre.id, result=self.dump(offre)), offre)

    def delete_headless(self, pk):
        service.supprimer(g.user, pk)
        return self.response(200, message="L'offre de formation CPF et ses sessions sont supprimées.")

    @expose("/etablissement/<int:etablissement_id>/lheo", methods=["GET"])
    @protect()
    @safe
    def lheo(self, etablissement_id):
        """Les offres CPF d'un établissement en LHÉO 2.3 (XML).
        ---
        get:
          parameters:
          - {in: path, name: etablissement_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: "Le document LHÉO, en pièce jointe"
              content:
                application/xml:
                  schema: {type: string}
            404: {description: "Etablissement inconnu ou hors de votre périmètre"}
            409: {description: "Aucune offre, ou numéro de déclaration d'activité manquant"}
        """
        etab, offres = service.a_exporter(g.user, etablissement_id, lheo=True)
        return send_bytes(lheo.document(offres), lheo.nom_fichier(etab), "application/xml")

    @expose("/etablissement/<int:etablissement_id>/export", methods=["GET"])
    @protect()
    @safe
    def export(self, etablissement_id):
        """Les offres CPF d'un établissement en .xlsx (feuilles « Offres » et « Sessions »).
        ---
        get:
          parameters:
          - {in: path, name: etablissement_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: "Le classeur .xlsx, en pièce jointe"
              content:
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
                  schema: {type: string, format: binary}
            404: {description: "Etablissement inconnu ou hors de votre périmètre"}
            409: {description: "Aucune offre à exporter"}
        """
        etab, offres = service.a_exporter(g.user, etablissement_id)
        return export.telechargement(etab, offres)


def register(appbuilder):
    appbuilder.add_api(OffreCpfApi)
