"""REST resource `redevances` (domain.md §10): the quarterly fee statement, Certif Pro only, through the same
service as the « Redevances » page."""

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.answers import field_errors
from app.api.base import FrenchResponses
from app.domain import access
from app.exports import redevances as export
from app.services import redevances as service


def _periode():
    """The quarter asked for (the current one by default), checked by the service."""
    annee, trimestre = service.trimestre_courant()
    return service.verifier_periode(request.args.get("annee", annee), request.args.get("trimestre", trimestre))


class RedevancesApi(FrenchResponses, BaseApi):
    resource_name = "redevances"
    openapi_spec_tag = "Redevances"
    class_permission_name = access.ADMINISTRATION
    method_permission_name = {"releve": "voir_redevances", "export": "voir_redevances"}
    allow_browser_login = True

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def releve(self):
        """Relevé trimestriel des redevances, par organisme (Certif Pro).
        Montants hors taxes en chaînes décimales exactes à deux décimales (« "1234.50" »), dates ISO.
        Réponse : {"annee", "trimestre", "debut", "fin", "organismes": [{"organisme" (id), "nom", "siren",
        "demandes", "montant_demandes", "sites", "montant_sites", "certificats", "montant_certificats",
        "total"}], "total"}.
        ---
        get:
          parameters:
          - {in: query, name: annee, required: false, schema: {type: integer, minimum: 2020},
             description: "Année (par défaut : celle du trimestre en cours)"}
          - {in: query, name: trimestre, required: false, schema: {type: integer, minimum: 1, maximum: 4},
             description: "Trimestre 1 à 4 (par défaut : le trimestre en cours)"}
          responses:
            200: {description: "Le relevé du trimestre"}
            400: {description: "Année ou trimestre invalide (message par champ)"}
            401: {description: "Authentification requise"}
            403: {description: "Réservé à Certif Pro"}
        """
        periode, errors = field_errors(_periode)
        if errors:  # api.md: a wrong year or quarter is a 400, with a message per field
            return self.response(400, message=errors)
        annee, trimestre = periode
        return self.response(200, **service.releve_json(service.releve(annee, trimestre)))

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self):
        """Relevé trimestriel des redevances en .xlsx : feuilles « Relevé » et « Détail » (Certif Pro).
        ---
        get:
          parameters:
          - {in: query, name: annee, required: false, schema: {type: integer, minimum: 2020},
             description: "Année (par défaut : celle du trimestre en cours)"}
          - {in: query, name: trimestre, required: false, schema: {type: integer, minimum: 1, maximum: 4},
             description: "Trimestre 1 à 4 (par défaut : le trimestre en cours)"}
          responses:
            200:
              description: "Le classeur .xlsx, en pièce jointe"
              content:
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
                  schema: {type: string, format: binary}
            400: {description: "Année ou trimestre invalide (message par champ)"}
            401: {description: "Authentification requise"}
            403: {description: "Réservé à Certif Pro"}
        """
        periode, errors = field_errors(_periode)
        if errors:
            return self.response(400, message=errors)
        annee, trimestre = periode
        releve = service.releve(annee, trimestre)
        return export.telechargement(export.nom_fichier(releve), releve, service.lignes(annee, trimestre))


def register(appbuilder):
    appbuilder.add_api(RedevancesApi)
