"""Personal data, Certif Pro's side, through the API (donnees-personnelles.md): the register of processing
activities (`traitement`) and the notice and retention settings (`donnees_personnelles/parametres`)."""

from flask import g
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api.base import API_METHOD_PERMISSIONS, CleaModelRestApi, FrenchResponses
from app.domain import access
from app.models import Traitement
from app.services import donnees_personnelles as service
from app.services.ecritures import ServiceInterface

COLUMNS = ["ordre", *service.REGISTRE_CHAMPS]


class TraitementApi(CleaModelRestApi):
    resource_name = "traitement"
    list_title, show_title = "Registre des traitements", "Traitement"
    add_title, edit_title = "Ajouter un traitement", "Modifier le traitement"
    datamodel = ServiceInterface(Traitement)
    tab = access.ADMINISTRATION
    base_filters = []  # national: Certif Pro's register
    list_columns = show_columns = ["id", *COLUMNS, "updated_at"]
    add_columns = edit_columns = COLUMNS
    order_columns = ["ordre", "nom", "updated_at"]
    base_order = ("ordre", "asc")
    search_columns = ["nom"]
    label_columns = {"ordre": "Ordre", "updated_at": "Mis à jour le", **service.REGISTRE_CHAMPS}
    extra_permissions = dict.fromkeys(API_METHOD_PERMISSIONS, "gerer_donnees_personnelles")


class ParametresDonneesApi(FrenchResponses, BaseApi):
    """GET / PUT /api/v1/donnees_personnelles/parametres: the notice and the retention periods."""

    resource_name = "donnees_personnelles"
    class_permission_name = access.ADMINISTRATION
    method_permission_name = {"parametres": "gerer_donnees_personnelles", "modifier": "gerer_donnees_personnelles"}
    perimetre_des_routes = {"parametres": None, "modifier": None}  # national settings, Certif Pro's right only

    def _answer(self):
        return self.response(
            200,
            result={cle: value for cle, _reglage, value in service.parametres()},
            libelles={cle: reglage.libelle for cle, reglage in service.PARAMETRES.items()},
        )

    @expose("/parametres", methods=["GET"])
    @protect()
    @safe
    def parametres(self):
        """The notice shown at collection and the retention periods.
        ---
        get:
          responses:
            200: {description: Les paramètres}
            403: {description: Réservé à Certif Pro}
        """
        return self._answer()

    @expose("/parametres", methods=["PUT"])
    @protect()
    @safe
    def modifier(self):
        """Change some of them `{"notice_information", "conservation_non_certifie_ans", …}` (audited).
        ---
        put:
          responses:
            200: {description: Les paramètres enregistrés}
            403: {description: Réservé à Certif Pro}
            422: {description: Valeur refusée}
        """
        from flask import request

        from app.api.base import NOT_JSON
        from app.domain.errors import ValidationFailed

        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValidationFailed({"_schema": NOT_JSON})
        service.modifier_parametres(g.user, data)  # the right and every bound: the service's
        return self._answer()


def register(appbuilder):
    appbuilder.add_api(TraitementApi)
    appbuilder.add_api(ParametresDonneesApi)
