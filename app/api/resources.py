"""The REST resources of api.md: reseau, organisme, etablissement, certificateur, habilitation, utilisateur."""

import io

from flask import g, request, send_file
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi, event_actions
from app.domain import access
from app.domain.dates import DATE_ISO_INVALIDE, parse_date
from app.domain.dossiers import DOSSIER
from app.domain.errors import ValidationFailed
from app.domain.habilitations import AUDIT, CHANGEMENT, CONFORMITE, HABILITATION
from app.models import Certificateur, DemandeHabilitation, Etablissement, Organisme, Reseau, Utilisateur
from app.models.habilitations import (
    AuditHabilitation,
    CampagneHabilitation,
    ChangementSituation,
    MiseEnConformite,
    ReunionInstance,
)
from app.security import perimeter
from app.services import controles, dossiers, structures, users as user_service, vie_habilitation
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


@event_actions(HABILITATION)
@event_actions(DOSSIER)
class HabilitationApi(CleaModelRestApi):
    """The habilitation dossier (api.md « Habilitation dossiers »): a draft created by POST and saved by PUT, its
    documents and messages, and one action per event of its machine."""

    resource_name = "habilitation"
    list_title, show_title = "Dossiers d'habilitation", "Dossier d'habilitation"
    add_title, edit_title = "Dossier d'habilitation", "Dossier d'habilitation"
    datamodel = ServiceInterface(DemandeHabilitation)
    tab = access.HABILITATIONS
    columns = [
        "id",
        "organisme.id",
        "certification",
        "type",
        "type_candidature",
        "renouvelle.id",
        "date_demande",
        "date_depot",
        "etat",
        "motif_rejet",
        "date_debut",
        "date_fin",
        "decide_le",
        "campagne.id",
        "reunion.id",
    ]
    list_columns = show_columns = columns + ["etablissements.id", "certificateurs.id"]
    add_columns = edit_columns = []
    search_columns = ["etat", "certification", "type", "organisme", "date_demande", "date_fin", "campagne"]
    order_columns = ["date_demande", "date_depot", "date_debut", "date_fin"]
    include_route_methods = {
        "get_list",
        "get",
        "info",
        "post",
        "put",
        "renouveler",
        "ajouter_document",
        "document",
        "ecrire",
        "instructeur",
        "courrier",
        "accuser",
    }
    extra_permissions = {
        "put": "read",
        "post": "read",
        "renouveler": "read",
        "ajouter_document": "read",
        "document": "read",
        "ecrire": "read",
        "instructeur": "read",
        "courrier": "read",
        "accuser": "read",
    }

    def dump(self, item):
        return dossiers.serialiser(item)

    def post_headless(self):
        dossier = dossiers.creer(g.user, dossiers.valeurs_api(self._json_body()))
        return self.with_etag(self.response(201, id=dossier.id, result=self.dump(dossier)), dossier)

    def get_headless(self, pk, **kwargs):
        dossier = perimeter.get_visible(DemandeHabilitation, pk)
        return self.with_etag(self.response(200, id=dossier.id, result=self.dump(dossier)), dossier)

    def put_headless(self, pk):
        data = self._json_body()
        version = self.expected_version(data)
        dossier = dossiers.modifier(g.user, pk, dossiers.valeurs_api(data), version)
        return self.with_etag(self.response(200, id=dossier.id, result=self.dump(dossier)), dossier)

    @expose("/<int:pk>/documents", methods=["POST"])
    @protect()
    @safe
    def ajouter_document(self, pk):
        """Attach a document (multipart `file`, `nature`: cv, mandat, reference, annexe).
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          responses:
            201: {description: Pièce jointe}
            404: {description: Hors périmètre}
            409: {description: Dossier non modifiable}
            422: {description: Fichier refusé}
        """
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed({"file": "Joignez un fichier (champ « file »)."})
        piece = dossiers.ajouter_piece(g.user, pk, upload.filename or "", upload.read(), request.form.get("nature", ""))
        return self.response(201, id=piece.id, result={"id": piece.id, "nom": piece.nom, "nature": piece.nature})

    @expose("/<int:pk>/documents/<int:piece_id>", methods=["GET"])
    @protect()
    @safe
    def document(self, pk, piece_id):
        """Download a document of the dossier.
        ---
        get:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          - in: path
            schema: {type: integer}
            name: piece_id
          responses:
            200: {description: Le fichier}
            404: {description: Hors périmètre}
        """
        piece = dossiers.piece(g.user, pk, piece_id)
        return send_file(
            io.BytesIO(piece.contenu), mimetype=piece.type_mime, as_attachment=True, download_name=piece.nom
        )

    @expose("/<int:pk>/messages", methods=["POST"])
    @protect()
    @safe
    def ecrire(self, pk):
        """A message of the thread between the applicant and the instance (`{"message"}`, or multipart with `file`).
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          responses:
            201: {description: Message envoyé}
            404: {description: Hors périmètre}
        """
        upload = request.files.get("file")
        if upload is not None:  # multipart: the message and its document
            fichier = (upload.filename or "", upload.read())
            message = dossiers.ecrire(g.user, pk, request.form.get("message"), fichier)
        else:
            message = dossiers.ecrire(g.user, pk, self._json_body().get("message"))
        return self.response(201, id=message.id, result={"id": message.id, "cote": message.cote})

    @expose("/<int:pk>/instructeur", methods=["POST"])
    @protect()
    @safe
    def instructeur(self, pk):
        """Certif Pro names the dossier's instructor (`{"instructeur": user id}`).
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          responses:
            200: {description: Instructeur nommé}
            404: {description: Hors périmètre}
        """
        return self.action_response(lambda body: dossiers.nommer_instructeur(g.user, pk, body.get("instructeur")), True)

    @expose("/<int:pk>/courriers/<int:avis_id>", methods=["GET"])
    @protect()
    @safe
    def courrier(self, pk, avis_id):
        """The PDF of a notice of the dossier.
        ---
        get:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          - in: path
            schema: {type: integer}
            name: avis_id
          responses:
            200: {description: Le PDF}
            404: {description: Hors périmètre}
        """
        avis = dossiers.avis_pdf(g.user, pk, avis_id)
        return send_file(
            io.BytesIO(avis.pdf), mimetype="application/pdf", as_attachment=True, download_name=f"{avis.nature}.pdf"
        )

    @expose("/<int:pk>/courriers/<int:avis_id>/accuser", methods=["POST"])
    @protect()
    @safe
    def accuser(self, pk, avis_id):
        """The applicant acknowledges a notice.
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          - in: path
            schema: {type: integer}
            name: avis_id
          responses:
            200: {description: Réception accusée}
            404: {description: Hors périmètre}
        """
        avis = dossiers.accuser(g.user, pk, avis_id)
        return self.response(200, id=avis.id, result={"id": avis.id, "accuse_le": avis.accuse_le.isoformat()})

    @expose("/<int:pk>/renouveler", methods=["POST"])
    @protect()
    @safe
    def renouveler(self, pk):
        """Renew an accorded habilitation (once): a new draft dossier prefilled from it.
        ---
        post:
          parameters:
          - in: path
            schema: {type: integer}
            name: pk
          responses:
            201: {description: Dossier de renouvellement créé (brouillon)}
            409: {description: Renouvellement impossible}
        """
        dossier = dossiers.renouveler(g.user, pk)
        return self.response(201, id=dossier.id, result=self.dump(dossier))


class CampagneApi(CleaModelRestApi):
    """The deposit windows (api.md): every profile of the tab reads; Certif Pro and each branch for itself write."""

    resource_name = "campagne"
    list_title = show_title = "Campagnes de dépôt"
    add_title = edit_title = "Campagne de dépôt"
    datamodel = ServiceInterface(CampagneHabilitation)
    tab = access.HABILITATIONS
    base_filters: list = []
    list_columns = show_columns = ["id", "certificateur.id", "certification", "libelle", "debut", "fin"]
    add_columns = edit_columns = []
    order_columns = ["debut", "fin"]
    base_order = ("debut", "desc")
    include_route_methods = {"get_list", "get", "post"}
    extra_permissions = {"post": "read"}

    def post_headless(self):
        campagne = dossiers.creer_campagne(g.user, self._json_body())
        return self.response(201, id=campagne.id, result=self.dump(campagne))


class ReunionApi(CleaModelRestApi):
    """The instances' meetings (api.md)."""

    resource_name = "reunion"
    list_title = show_title = "Réunions de l'instance"
    add_title = edit_title = "Réunion de l'instance"
    datamodel = ServiceInterface(ReunionInstance)
    tab = access.HABILITATIONS
    base_filters: list = []
    list_columns = show_columns = ["id", "certificateur.id", "date", "lieu"]
    add_columns = edit_columns = []
    order_columns = ["date"]
    base_order = ("date", "asc")
    include_route_methods = {"get_list", "get", "post"}
    extra_permissions = {"post": "read"}

    def post_headless(self):
        reunion = dossiers.creer_reunion(g.user, self._json_body())
        return self.response(201, id=reunion.id, result=self.dump(reunion))


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
    for api in (
        ReseauApi,
        OrganismeApi,
        EtablissementApi,
        CertificateurApi,
        HabilitationApi,
        CampagneApi,
        ReunionApi,
        ChangementSituationApi,
        AuditApi,
        ConformiteApi,
        UtilisateurApi,
    ):
        appbuilder.add_api(api)


@event_actions(CHANGEMENT)
class ChangementSituationApi(CleaModelRestApi):
    """Changes of situation (api.md « Life of an habilitation »): declared by the organisation (POST), taken into
    account or answered with a maintien temporaire by Certif Pro (actions)."""

    resource_name = "changementsituation"
    list_title = show_title = "Changements de situation"
    add_title = edit_title = "Changement de situation"
    datamodel = ServiceInterface(ChangementSituation)
    tab = access.HABILITATIONS
    list_columns = show_columns = [
        "id",
        "organisme.id",
        "nature",
        "date_changement",
        "description",
        "etablissement.id",
        "declare_le",
        "hors_delai",
        "etat",
        "maintien_jusqu_au",
    ]
    add_columns = edit_columns = []
    search_columns = ["etat", "nature", "organisme"]
    order_columns = ["declare_le", "date_changement"]
    base_order = ("declare_le", "desc")
    include_route_methods = {"get_list", "get", "post"}
    extra_permissions = {"post": "read"}

    def post_headless(self):
        changement = vie_habilitation.declarer(g.user, self._json_body())
        return self.response(201, id=changement.id, result=self.dump(changement))


@event_actions(AUDIT)
class AuditApi(CleaModelRestApi):
    """Audits of habilitations (api.md « Life of an habilitation »): opened by the instance (POST), then `rapport`,
    `observations` (the audited body), `decider`."""

    resource_name = "audit"
    list_title = show_title = "Audits d'habilitation"
    add_title = edit_title = "Audit d'habilitation"
    datamodel = ServiceInterface(AuditHabilitation)
    tab = access.HABILITATIONS
    list_columns = show_columns = [
        "id",
        "habilitation.id",
        "type",
        "date_prevue",
        "auditeur",
        "etat",
        "avis",
        "anomalies",
        "rapport_le",
        "observations",
        "decision",
        "suspension",
        "decision_le",
    ]
    add_columns = edit_columns = []
    order_columns = ["date_prevue"]
    include_route_methods = {"get_list", "get", "post"}
    extra_permissions = {"post": "read"}

    def post_headless(self):
        record = controles.ouvrir(g.user, self._json_body())
        return self.response(201, id=record.id, result=self.dump(record))


@event_actions(CONFORMITE)
class ConformiteApi(CleaModelRestApi):
    """Compliance procedures (created by an audit's decision): `justifier` (the organisation), `decider`."""

    resource_name = "conformite"
    list_title = show_title = "Mises en conformité"
    add_title = edit_title = "Mise en conformité"
    datamodel = ServiceInterface(MiseEnConformite)
    tab = access.HABILITATIONS
    list_columns = show_columns = [
        "id",
        "habilitation.id",
        "manquements",
        "notifiee_le",
        "limite",
        "suspension",
        "etat",
        "justification",
        "justifiee_le",
        "decision_le",
    ]
    add_columns = edit_columns = []
    order_columns = ["notifiee_le", "limite"]
    include_route_methods = {"get_list", "get"}
