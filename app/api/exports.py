"""REST resource `export`: an export prepared in the background (the API's exports beyond EXPORT_API_DIRECT_MAX
rows answer 202 with it): its progress, then its file. Each user sees only their own exports (others: 404)."""

from flask import g
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api.base import FrenchResponses
from app.domain import access
from app.models.exports import FichierExport
from app.services import exports


def export_answer(api, result):
    """What an export route answers: the streamed file, or — prepared in the background — 202 and its job."""
    if not isinstance(result, FichierExport):
        return result
    response = api.response(202, **exports.etat(result))
    response.headers["Location"] = f"/api/v1/export/{result.id}"
    return response


class ExportApi(FrenchResponses, BaseApi):
    resource_name = "export"
    class_permission_name = access.EXPORTS
    method_permission_name = {"get": "read", "fichier": "read"}
    # One's own exports: the service decides (any other user's id is 404), not a perimeter rule.
    perimetre_des_routes = {"get": None, "fichier": None}

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """Where an export stands.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: >-
                id, type, statut, statut_label, lignes_total, lignes_faites (rows read), progression, phase
                (lecture, ecriture, preparation), phase_label, lignes_ecrites (rows written into the workbook),
                avancement (« Écriture du classeur : 400 000 / 1 000 000 »), fichier, message
            404: {description: Aucun export de ce numéro pour vous}
        """
        return self.response(200, **exports.etat(exports.visible(g.user, pk)))

    @expose("/<pk>/fichier", methods=["GET"])
    @protect()
    @safe
    def fichier(self, pk):
        """The prepared file (.xlsx, or .zip for the data of a person).
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: Classeur .xlsx en pièce jointe}
            404: {description: Aucun export de ce numéro pour vous, ou fichier pas encore prêt}
        """
        from app.views.documents import send_parts

        parts, filename, size = exports.contenu(g.user, pk)
        return send_parts(parts, filename, exports.type_mime(filename), size)


def register(appbuilder):
    appbuilder.add_api(ExportApi)
