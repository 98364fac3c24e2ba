"""REST resource `formation` (api.md): trainings read inside the perimeter, created through the service."""

from flask import g
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi
from app.domain import access
from app.domain.errors import ValidationFailed
from app.models.formations import Formation
from app.services import formations
from app.services.ecritures import ServiceInterface

FIELDS = ["date_debut", "date_fin", "duree_heures", "formateur_nom", "formateur_prenom", "formateur_email", "domaines"]


class FormationApi(CleaModelRestApi):
    resource_name = "formation"
    datamodel = ServiceInterface(Formation)
    tab = access.FORMATIONS
    list_columns = show_columns = [
        "id",
        "candidature.id",
        "date_debut",
        "date_fin",
        "duree_heures",
        "formateur_nom",
        "formateur_prenom",
        "formateur_email",
        "domaines.id",
    ]
    add_columns = edit_columns = []
    search_columns = ["candidature", "date_debut", "date_fin"]
    order_columns = ["date_debut", "date_fin"]
    include_route_methods = {"get_list", "get", "info", "post", "put", "delete", "deposer"}
    # Correcting and deleting follow « Editer la fiche » (the service checks the file may still be edited).
    extra_permissions = {"deposer": "edit", "delete": "edit"}

    def post_headless(self):
        data = self._json_body()
        self.reject_unknown(data, FIELDS + ["candidature"])
        candidature = data.get("candidature")
        if isinstance(candidature, bool) or not isinstance(candidature, int):
            raise ValidationFailed({"candidature": "Identifiant de candidature attendu."})
        formation = formations.creer(g.user, candidature, data)
        return self.response(201, id=formation.id, result=self.dump(formation))

    def put_headless(self, pk):
        """Correct a training (partial: the fields not given keep their value)."""
        formations.visible(g.user, pk)  # outside the perimeter: 404 whatever the body
        data = self._json_body()
        self.reject_unknown(data, FIELDS)
        formation = formations.modifier(g.user, pk, data)
        return self.response(200, id=formation.id, result=self.dump(formation))

    def delete_headless(self, pk):
        formations.supprimer(g.user, pk)
        return self.response(200, message="La formation et ses attestations sont supprimées.")

    @expose("/<int:pk>/documents", methods=["POST"])
    @protect()
    @safe
    def deposer(self, pk):
        """Attach an attestation to a training (multipart field `file`).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            201: {description: Attestation ajoutée}
            404: {description: Hors périmètre}
            409: {description: Document déjà déposé}
            422: {description: Fichier refusé}
        """

        def target():
            formation = self._visible(pk)
            return formation.candidature_id, formation.id

        return self.upload(target, objet="formation")

    @staticmethod
    def _visible(pk):
        from app.security import perimeter

        return perimeter.get_visible(Formation, pk)


def register(appbuilder):
    appbuilder.add_api(FormationApi)
