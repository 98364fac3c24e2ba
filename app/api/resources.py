"""The REST resources of api.md: reseau, organisme, etablissement, certificateur, habilitation, utilisateur."""

from flask import g
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi
from app.domain import access
from app.domain.dates import DATE_ISO_INVALIDE, parse_date
from app.domain.errors import ValidationFailed
from app.models import Certificateur, DemandeHabilitation, Etablissement, Organisme, Reseau, Utilisateur
from app.services import habilitations, structures, users as user_service
from app.services.ecritures import ServiceInterface


class ReseauApi(CleaModelRestApi):
    resource_name = "reseau"
    list_title, show_title = "Réseaux", "Réseau"
    add_title, edit_title = "Ajouter un réseau", "Modifier le réseau"
    datamodel = ServiceInterface(Reseau)
    tab = access.RESEAUX
    list_columns = show_columns = [
        "id",
        "nom",
        "responsable_nom",
        "responsable_prenom",
        "responsable_email",
        "notifier_creation_candidature",
    ]
    add_columns = edit_columns = [
        "nom",
        "responsable_nom",
        "responsable_prenom",
        "responsable_email",
        "notifier_creation_candidature",
    ]
    search_columns = ["nom"]
    order_columns = ["nom"]


ORGANISME_FIELDS = structures.CHAMPS_ORGANISME


class OrganismeApi(CleaModelRestApi):
    resource_name = "organisme"
    list_title, show_title = "Organismes", "Organisme"
    add_title, edit_title = "Ajouter un organisme", "Modifier l'organisme"
    datamodel = ServiceInterface(Organisme)
    tab = access.ORGANISMES
    list_columns = ["id", "nom", "siren", "ville", "actif", "reseau.id"]
    show_columns = ["id"] + [f if f != "reseau" else "reseau.id" for f in ORGANISME_FIELDS]
    add_columns = edit_columns = ORGANISME_FIELDS
    search_columns = ["nom", "siren", "ville", "actif", "reseau"]
    order_columns = ["nom", "siren", "ville"]


ETABLISSEMENT_FIELDS = structures.CHAMPS_ETABLISSEMENT


class EtablissementApi(CleaModelRestApi):
    resource_name = "etablissement"
    list_title, show_title = "Etablissements", "Etablissement"
    add_title, edit_title = "Ajouter un établissement", "Modifier l'établissement"
    datamodel = ServiceInterface(Etablissement)
    tab = access.ETABLISSEMENTS
    list_columns = ["id", "nom", "siret", "ville", "region", "actif", "organisme.id"]
    show_columns = ["id"] + [f if f != "organisme" else "organisme.id" for f in ETABLISSEMENT_FIELDS]
    add_columns = ETABLISSEMENT_FIELDS
    edit_columns = [f for f in ETABLISSEMENT_FIELDS if f != "organisme"]
    search_columns = ["nom", "siret", "ville", "region", "actif", "organisme"]
    order_columns = ["nom", "ville", "region"]


class CertificateurApi(CleaModelRestApi):
    resource_name = "certificateur"
    list_title, show_title = "Certificateurs", "Certificateur"
    add_title, edit_title = "Ajouter un certificateur", "Modifier le certificateur"
    datamodel = ServiceInterface(Certificateur)
    tab = access.CERTIFICATION
    base_filters = []
    extra_permissions = {"post": "gerer_certificateurs", "put": "gerer_certificateurs"}
    list_columns = show_columns = ["id", "nom", "type", "region", "modalite_envoi", "actif"]
    add_columns = edit_columns = ["nom", "type", "region", "modalite_envoi", "actif"]
    search_columns = ["nom", "type", "region"]
    order_columns = ["nom", "region"]


def _date(value, field):
    if value in (None, ""):
        return None
    if not isinstance(value, str):  # a date object is no JSON value
        raise ValidationFailed({field: DATE_ISO_INVALIDE})
    try:
        return parse_date(value, iso_only=True)
    except ValueError as exc:
        raise ValidationFailed({field: str(exc)}) from None


class HabilitationApi(CleaModelRestApi):
    """Requests are created by « Faire une demande » and decided with the actions, never edited raw."""

    resource_name = "habilitation"
    list_title, show_title = "Demandes d'habilitation", "Demande d'habilitation"
    add_title, edit_title = "Demande d'habilitation", "Demande d'habilitation"
    datamodel = ServiceInterface(DemandeHabilitation)
    tab = access.HABILITATIONS
    columns = [
        "id",
        "organisme.id",
        "certification",
        "type",
        "renouvelle.id",
        "date_demande",
        "etat",
        "motif_rejet",
        "date_debut",
        "date_fin",
        "decide_le",
    ]
    list_columns = show_columns = columns + ["etablissements.id", "certificateurs.id"]
    add_columns = edit_columns = []
    search_columns = ["etat", "certification", "type", "organisme", "date_demande", "date_fin"]
    order_columns = ["date_demande", "date_debut", "date_fin"]
    include_route_methods = {"get_list", "get", "info", "post", "valider", "rejeter", "renouveler"}
    extra_permissions = {"valider": "decider_habilitation", "rejeter": "decider_habilitation", "renouveler": "create"}

    def post_headless(self):
        data = self._json_body()
        demande = habilitations.demander(
            g.user,
            data.get("etablissements"),
            data.get("aupres", "certif_pro"),
            data.get("certificateurs") or [],
            data.get("certification", "clea"),
        )
        return self.response(201, id=demande.id, result=self.dump(demande))

    @expose("/<int:pk>/valider", methods=["POST"])
    @protect()
    @safe
    def valider(self, pk):
        """Validate a request (Certif Pro, or the addressed branch).
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          responses:
            200: {description: Habilitation validée}
            404: {description: Hors périmètre}
            409: {description: Déjà traitée}
        """
        return self.action_response(
            lambda body: habilitations.valider(g.user, pk, _date(body.get("date_debut"), "date_debut"))
        )

    @expose("/<int:pk>/rejeter", methods=["POST"])
    @protect()
    @safe
    def rejeter(self, pk):
        """Reject a request with a motif.
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          responses:
            200: {description: Demande rejetée}
            404: {description: Hors périmètre}
            409: {description: Déjà traitée}
            422: {description: Motif manquant}
        """
        return self.action_response(lambda body: habilitations.rejeter(g.user, pk, body.get("motif")))

    @expose("/<int:pk>/renouveler", methods=["POST"])
    @protect()
    @safe
    def renouveler(self, pk):
        """Ask for the renewal of a validated habilitation (once).
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          responses:
            200: {description: Demande de renouvellement créée}
            409: {description: Renouvellement impossible}
        """
        return self.action_response(lambda body: habilitations.renouveler(g.user, pk))


USER_FIELDS = [
    "role",
    "username",
    "first_name",
    "last_name",
    "email",
    "reseau",
    "organisme",
    "etablissement",
    "certificateur",
]


class UtilisateurApi(CleaModelRestApi):
    """Users: created with an invitation mail; deactivated (PUT {"active": false}), never deleted.
    The rules (roles, perimeter, types) are app.services.users'."""

    resource_name = "utilisateur"
    datamodel = ServiceInterface(Utilisateur)
    tab = access.UTILISATEURS
    list_columns = show_columns = [
        "id",
        "username",
        "first_name",
        "last_name",
        "email",
        "email_pending",
        "active",
        "roles.name",
        "reseau.id",
        "organisme.id",
        "etablissement.id",
        "certificateur.id",
        "last_login",
    ]
    # What `_info` describes for a write (the service checks them); related values inside the perimeter.
    add_columns = edit_columns = [
        "username",
        "first_name",
        "last_name",
        "email",
        "active",
        "roles",
        "reseau",
        "organisme",
        "etablissement",
        "certificateur",
    ]
    search_columns = ["username", "first_name", "last_name", "email", "active"]
    order_columns = ["last_name", "first_name", "email"]
    include_route_methods = {"get_list", "get", "info", "post", "put"}

    @staticmethod
    def _values(data, allowed):
        unknown = set(data) - set(allowed)
        if unknown:
            raise ValidationFailed(dict.fromkeys(sorted(unknown), "Champ inconnu ou non modifiable."))
        return {k: v for k, v in data.items() if k in USER_FIELDS}

    def post_headless(self):
        user = user_service.creer(g.user, self._values(self._json_body(), USER_FIELDS))
        return self.response(201, id=user.id, result=self.dump(user))

    def put_headless(self, pk):
        data = self._json_body()
        version = self.expected_version(data)
        values = self._values(data, USER_FIELDS + ["active"])
        user = user_service.modifier(
            g.user, pk, values, active=data.get("active", user_service.UNCHANGED), version=version
        )
        return self.with_etag(self.response(200, result=self.dump(user)), user)


def register(appbuilder):
    for api in (ReseauApi, OrganismeApi, EtablissementApi, CertificateurApi, HabilitationApi, UtilisateurApi):
        appbuilder.add_api(api)
