"""REST resource `evaluation` (api.md): drafts created and saved through the same service as the form,
`finaliser` and `rouvrir` through the status machine, results per sub-domain code."""

from flask import g
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi
from app.domain import access
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.models.evaluations import Evaluation
from app.security import perimeter
from app.services import evaluations as service
from app.services.ecritures import ServiceInterface

COLUMNS = [
    "id",
    "candidature.id",
    "evaluateur_nom",
    "evaluateur_prenom",
    "evaluateur_email",
    "date_evaluation",
    "conclusion",
    "commentaire",
    "etat",
    "resultat",
    "finale",
    "synthese",
    "date_finalisation",
]


class EvaluationApi(CleaModelRestApi):
    resource_name = "evaluation"
    datamodel = ServiceInterface(Evaluation)
    tab = access.EVALUATIONS
    list_columns = show_columns = COLUMNS
    add_columns = edit_columns = []
    search_columns = ["candidature", "etat", "resultat", "date_evaluation"]
    order_columns = ["date_evaluation", "id"]
    include_route_methods = {"get_list", "get", "info", "post", "put", "finaliser", "rouvrir", "deposer"}
    extra_permissions = {"finaliser": "edit", "rouvrir": "edit", "deposer": "edit"}

    def pre_get(self, data):
        super().pre_get(data)
        evaluation = db.session.get(Evaluation, data["id"])
        data["result"]["resultats"] = service.resultats_par_code(evaluation)

    def _result(self, evaluation, status=200):
        data = self.dump(evaluation)
        data["resultats"] = service.resultats_par_code(evaluation)
        return self.response(status, id=evaluation.id, result=data)

    def post_headless(self):
        data = self._json_body()
        self.reject_unknown(data, service.FIELDS + ("candidature", "resultats"))
        candidature = data.get("candidature")
        if isinstance(candidature, bool) or not isinstance(candidature, int):
            raise ValidationFailed({"candidature": "Identifiant de candidature attendu."})
        evaluation = service.creer(g.user, candidature, data, data.get("resultats"))
        return self._result(evaluation, 201)

    def put_headless(self, pk):
        data = self._json_body()
        version = self.expected_version(data)
        self.reject_unknown(data, service.FIELDS + ("resultats",))
        evaluation = service.enregistrer(g.user, pk, data, data.get("resultats"), version=version)
        return self.with_etag(self._result(evaluation), evaluation)

    @expose("/<int:pk>/finaliser", methods=["POST"])
    @protect()
    @safe
    def finaliser(self, pk):
        """« Finaliser l'évaluation »: every sub-domain answered, the conclusion, at least one document.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Evaluation finalisée ; le dossier change de statut}
            404: {description: Hors périmètre}
            409: {description: Transition refusée}
            422: {description: Evaluation incomplète}
        """
        evaluation = service.finaliser(g.user, pk)
        return self._result(evaluation)

    @expose("/<int:pk>/rouvrir", methods=["POST"])
    @protect()
    @safe
    def rouvrir(self, pk):
        """« Modifier l'évaluation » (Administrateur organisme and above; after the sending: réseau, Certif Pro).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Evaluation rouverte}
            404: {description: Hors périmètre}
            409: {description: Réouverture refusée}
        """
        evaluation = service.rouvrir(g.user, pk)
        return self._result(evaluation)

    @expose("/<int:pk>/documents", methods=["POST"])
    @protect()
    @safe
    def deposer(self, pk):
        """Attach a document (the completed matrix) to a draft evaluation (multipart field `file`).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            201: {description: Document ajouté}
            404: {description: Hors périmètre}
            409: {description: Document déjà déposé ou évaluation finalisée}
            422: {description: Fichier refusé}
        """

        def target():
            evaluation = perimeter.get_visible(Evaluation, pk)
            return evaluation.candidature_id, evaluation.id

        return self.upload(target, objet="evaluation")


def register(appbuilder):
    appbuilder.add_api(EvaluationApi)
