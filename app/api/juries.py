"""REST resource `sessionjury` (api.md): the juries' calendar; a certifier plans its own sessions, names who sits
on them, and takes their outputs (minutes, list of files, batch of certificates)."""

from flask import g
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi
from app.domain import access
from app.exports import xlsx
from app.models.juries import SessionJury
from app.services import juries
from app.services.ecritures import ServiceInterface
from app.views.documents import send_bytes


class SessionJuryApi(CleaModelRestApi):
    resource_name = "sessionjury"
    datamodel = ServiceInterface(SessionJury)
    tab = access.CERTIFICATION
    list_columns = show_columns = ["id", "certificateur.id", "date", "libelle", "membres.id"]
    add_columns = edit_columns = []
    search_columns = ["certificateur", "date", "libelle"]
    order_columns = ["date", "libelle"]
    base_order = ("date", "desc")
    include_route_methods = {"get_list", "get", "info", "post", "membres", "proces_verbal", "liste", "certificats"}
    # The services check the named rights (certification.creer, sorties_session_jury).
    extra_permissions = {"membres": "create", "proces_verbal": "read", "liste": "read", "certificats": "read"}

    def post_headless(self):
        data = self._json_body()
        self.reject_unknown(data, {"date", "libelle", "certificateur", "membres"})
        session = juries.creer_session(g.user, data)
        return self.response(201, id=session.id, result=self.dump(session))

    @expose("/<int:pk>/membres", methods=["POST"])
    @protect()
    @safe
    def membres(self, pk):
        """Who sits on the session `{"membres": [user ids]}` (jury members of its certifier; named on its minutes).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {membres: {type: array, items: {type: integer}}}}
          responses:
            200: {description: La session et ses membres}
            403: {description: Profil sans ce droit}
            404: {description: Hors périmètre}
            422: {description: Membre refusé}
        """
        data = self._json_body()
        self.reject_unknown(data, {"membres"})
        session = juries.definir_membres(g.user, pk, data.get("membres"))
        return self.response(200, id=session.id, result=self.dump(session))

    @expose("/<int:pk>/proces_verbal", methods=["GET"])
    @protect()
    @safe
    def proces_verbal(self, pk):
        """The minutes (procès-verbal) of the session as a PDF.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Le procès-verbal en PDF, en pièce jointe}
            403: {description: Profil sans ce droit}
            404: {description: Hors périmètre}
        """
        content, filename = juries.proces_verbal(g.user, pk)
        return send_bytes(content, filename, "application/pdf")

    @expose("/<int:pk>/liste", methods=["GET"])
    @protect()
    @safe
    def liste(self, pk):
        """The session's files with their decisions, as .xlsx.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: La liste des dossiers (.xlsx), en pièce jointe}
            403: {description: Profil sans ce droit}
            404: {description: Hors périmètre}
        """
        output, filename = juries.liste_de_session(g.user, pk)
        return xlsx.send_file(output, filename)

    @expose("/<int:pk>/certificats", methods=["GET"])
    @protect()
    @safe
    def certificats(self, pk):
        """The session's certificates in one PDF for the printing provider (one page each).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Les certificats en PDF, en pièce jointe}
            403: {description: Profil sans ce droit}
            404: {description: Hors périmètre}
            409: {description: "Certificateur qui n'envoie pas par le prestataire, ou aucun certificat"}
        """
        content, filename = juries.certificats_de_session(g.user, pk)
        return send_bytes(content, filename, "application/pdf")


def register(appbuilder):
    appbuilder.add_api(SessionJuryApi)
