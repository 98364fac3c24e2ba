"""REST resources `redevances` (domain.md §10: the quarterly fee statement, Certif Pro) and `mes_redevances` (the
statement of the caller's perimeter, organisation and network administrators), through the same service as the
pages."""

from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.answers import field_errors
from app.api.base import FrenchResponses
from app.domain import access
from app.exports import redevances as export
from app.models import Organisme
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


class MesRedevancesApi(FrenchResponses, BaseApi):
    """« Mes redevances » (issue 18 §5): the statement of the caller's perimeter — its organisation for an
    organisation's administrator, its network's organisations for a network's administrator —, read-only."""

    resource_name = "mes_redevances"
    openapi_spec_tag = "Redevances"
    class_permission_name = access.ORGANISMES
    method_permission_name = {
        "releve": "voir_ses_redevances",
        "export": "voir_ses_redevances",
        "organisme": "voir_ses_redevances",
        "export_organisme": "voir_ses_redevances",
    }
    perimetre_des_routes = {"organisme": Organisme, "export_organisme": Organisme}  # perimeter first
    allow_browser_login = True

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def releve(self):
        """Relevé trimestriel des redevances des organismes de votre périmètre (tous, même sans redevance).
        Même réponse que `GET /api/v1/redevances/`.
        ---
        get:
          parameters:
          - {in: query, name: annee, required: false, schema: {type: integer, minimum: 2020}}
          - {in: query, name: trimestre, required: false, schema: {type: integer, minimum: 1, maximum: 4}}
          responses:
            200: {description: "Le relevé du trimestre"}
            400: {description: "Année ou trimestre invalide (message par champ)"}
            401: {description: "Authentification requise"}
            403: {description: "Réservé aux administrateurs d'organisme et de réseau"}
        """
        periode, errors = field_errors(_periode)
        if errors:
            return self.response(400, message=errors)
        return self.response(200, **service.releve_json(service.releve_du_perimetre(g.user, *periode)))

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self):
        """Relevé trimestriel des redevances de votre périmètre en .xlsx (feuilles « Relevé » et « Détail »).
        ---
        get:
          parameters:
          - {in: query, name: annee, required: false, schema: {type: integer, minimum: 2020}}
          - {in: query, name: trimestre, required: false, schema: {type: integer, minimum: 1, maximum: 4}}
          responses:
            200:
              description: "Le classeur .xlsx, en pièce jointe"
              content:
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
                  schema: {type: string, format: binary}
            400: {description: "Année ou trimestre invalide (message par champ)"}
            403: {description: "Réservé aux administrateurs d'organisme et de réseau"}
        """
        periode, errors = field_errors(_periode)
        if errors:
            return self.response(400, message=errors)
        releve = service.releve_du_perimetre(g.user, *periode)
        return export.telechargement(export.nom_fichier(releve), releve, service.lignes_du_perimetre(g.user, *periode))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def organisme(self, pk):
        """Les redevances d'un organisme de votre périmètre : sa synthèse et ses lignes
        ({"organisme", "nom", "siren", "demandes", …, "total", "lignes": [{"type", "libelle", "date", "reference",
        "certification", "montant"}]}).
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: annee, required: false, schema: {type: integer, minimum: 2020}}
          - {in: query, name: trimestre, required: false, schema: {type: integer, minimum: 1, maximum: 4}}
          responses:
            200: {description: "Les redevances de l'organisme pour le trimestre"}
            400: {description: "Année ou trimestre invalide (message par champ)"}
            403: {description: "Réservé aux administrateurs d'organisme et de réseau"}
            404: {description: "Organisme inconnu ou hors de votre périmètre"}
        """
        org = service.organisme_du_perimetre(g.user, pk)
        periode, errors = field_errors(_periode)
        if errors:
            return self.response(400, message=errors)
        releve = service.releve(*periode, organisme_id=org.id, tous=True)
        body = service.releve_json(releve)
        compte = body["organismes"][0]
        compte["lignes"] = [service.ligne_json(x) for x in service.lignes(*periode, organisme_id=org.id)]
        return self.response(200, annee=body["annee"], trimestre=body["trimestre"], **compte)

    @expose("/<int:pk>/export", methods=["GET"])
    @protect()
    @safe
    def export_organisme(self, pk):
        """Les redevances d'un organisme de votre périmètre en .xlsx.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: annee, required: false, schema: {type: integer, minimum: 2020}}
          - {in: query, name: trimestre, required: false, schema: {type: integer, minimum: 1, maximum: 4}}
          responses:
            200:
              description: "Le classeur .xlsx, en pièce jointe"
              content:
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
                  schema: {type: string, format: binary}
            400: {description: "Année ou trimestre invalide (message par champ)"}
            403: {description: "Réservé aux administrateurs d'organisme et de réseau"}
            404: {description: "Organisme inconnu ou hors de votre périmètre"}
        """
        org = service.organisme_du_perimetre(g.user, pk)
        periode, errors = field_errors(_periode)
        if errors:
            return self.response(400, message=errors)
        releve = service.releve(*periode, organisme_id=org.id)
        return export.telechargement(
            export.nom_fichier(releve, org.siren), releve, service.lignes(*periode, organisme_id=org.id)
        )


def register(appbuilder):
    appbuilder.add_api(RedevancesApi)
    appbuilder.add_api(MesRedevancesApi)
