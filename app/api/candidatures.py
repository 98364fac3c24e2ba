"""REST resource `candidature` (api.md): list and read inside the perimeter, create through the same service as
« Proposer une candidature ». Status changes come through the status machine's actions."""
from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api.base import CleaModelRestApi, FrenchResponses
from app.domain import access
from app.domain.errors import DomainError
from app.models import Candidature
from app.services import candidatures as service, documents, exports, juries, transitions
from app.views.documents import send_bytes, send_document
from flask_appbuilder.models.sqla.interface import SQLAInterface

FIELDS = ["certification", "statut_inscription", "branche", "socle_contextualise", "siren_employeur", "type_public",
          "niveau_formation", "financeur_principal", "civilite", "nom_naissance", "nom_usage", "prenom",
          "date_naissance", "ne_etranger", "pays_naissance", "ne_outre_mer", "ville_naissance",
          "code_postal_naissance", "origine_demarche", "objectifs_professionnels", "objectifs_extra_professionnels",
          "email", "telephone", "adresse", "code_postal", "ville", "certificat_papier"]


class CandidatureApi(CleaModelRestApi):
    resource_name = "candidature"
    datamodel = SQLAInterface(Candidature)
    tab = access.EVALUATIONS
    list_columns = ["id", "numero_dossier", "etablissement.id", "nom_naissance", "nom_usage", "prenom",
                    "date_naissance", "statut", "actif", "updated_at"]
    show_columns = (["id", "numero_dossier", "etablissement.id", "organisme.id", "certificateur.id", "statut",
                     "actif", "created_at", "date_envoi_certification", "motif_abandon", "session_jury.id",
                     "date_decision"] + FIELDS)
    add_columns = edit_columns = []
    search_columns = exports.RECHERCHE_CANDIDATURES
    order_columns = ["numero_dossier", "updated_at", "statut"]
    include_route_methods = {"get_list", "get", "info", "post", "abandonner", "reintegrer",
                             "envoyer_certification", "annuler_envoi", "deposer", "fiche",
                             "affecter", "decision", "completer", "echanger", "envoi_certificat",
                             "changer_certificateur", "export"}
    extra_permissions = {"abandonner": "edit", "reintegrer": "edit", "envoyer_certification": "edit",
                         "annuler_envoi": "annuler_envoi", "deposer": "edit", "fiche": "read",
                         # The certifier side acts on files it sees through the CERTIFICATION tab's rights;
                         # the services check the exact profile.
                         "affecter": "read", "decision": "read", "completer": "edit", "echanger": "read",
                         "envoi_certificat": "read", "changer_certificateur": "read", "export": "read"}

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self):
        """The files of the perimeter matching the list's filters, as .xlsx (streamed).
        ---
        get:
          parameters:
          - in: query
            name: q
            description: "rison, comme pour la liste : (filters:!((col:statut,opr:eq,value:attente_jury)))"
            schema: {type: string}
          responses:
            200: {description: Classeur .xlsx en pièce jointe}
            400: {description: Paramètre q invalide}
            422: {description: Filtre impossible (colonne ou opération inconnue)}
        """
        import prison
        from app.api.base import BAD_QUERY
        try:
            args = prison.loads(request.args.get("q") or "()")
        except Exception:  # noqa: BLE001 - prison raises several kinds of error on bad input
            return self.response_400(message=BAD_QUERY)
        filters = args.get("filters", []) if isinstance(args, dict) else None
        if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
            return self.response_400(message=BAD_QUERY)
        try:
            return exports.telecharger(g.user, "candidatures", {"filtres_api": filters})
        except DomainError as exc:
            return self.domain_response(exc)

    def post_headless(self):
        try:
            data = self._json_body()
            self.reject_unknown(data, FIELDS + ["etablissement"])
            candidature = service.creer(g.user, data)
        except DomainError as exc:
            return self.domain_response(exc)
        return self.response(201, id=candidature.id, result=self.dump(candidature))


    @expose("/<int:pk>/abandonner", methods=["POST"])
    @protect()
    @safe
    def abandonner(self, pk):
        """Abandon a file with a motif.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Candidature abandonnée}
            404: {description: Hors périmètre}
            409: {description: Transition refusée}
            422: {description: Motif manquant ou inconnu}
        """
        return self.action_response(lambda body: transitions.abandonner(g.user, pk, body.get("motif"),
                                                                   body.get("precision")))

    @expose("/<int:pk>/reintegrer", methods=["POST"])
    @protect()
    @safe
    def reintegrer(self, pk):
        """Bring an abandoned file back to the status it had.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Candidature réintégrée}
            404: {description: Hors périmètre}
            409: {description: Transition refusée}
        """
        return self.action_response(lambda body: transitions.reintegrer(g.user, pk))


    @expose("/<int:pk>/envoyer_certification", methods=["POST"])
    @protect()
    @safe
    def envoyer_certification(self, pk):
        """Send a file to its certifier; `avertissements` lists what the jury may find too thin.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Candidature envoyée en certification}
            404: {description: Hors périmètre}
            409: {description: Transition refusée}
        """
        try:
            candidature = transitions.envoyer_certification(g.user, pk)
        except DomainError as exc:
            return self.domain_response(exc)
        return self.response(200, id=candidature.id, result=self.dump(candidature),
                             avertissements=transitions.avertissements_envoi(candidature))

    @expose("/<int:pk>/annuler_envoi", methods=["POST"])
    @protect()
    @safe
    def annuler_envoi(self, pk):
        """Cancel a sending (Administrateur réseau, Certif Pro).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Envoi annulé}
            403: {description: Profil non autorisé}
            404: {description: Hors périmètre}
            409: {description: Transition refusée}
        """
        return self.action_response(lambda body: transitions.annuler_envoi(g.user, pk))


    @expose("/<int:pk>/documents", methods=["POST"])
    @protect()
    @safe
    def deposer(self, pk):
        """Attach a document to a file (multipart field `file`).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              multipart/form-data:
                schema: {type: object, properties: {file: {type: string, format: binary}}}
          responses:
            201: {description: Document ajouté}
            404: {description: Hors périmètre}
            409: {description: Document déjà déposé}
            422: {description: Fichier refusé}
        """
        return self.upload(lambda: (pk, None))


    @expose("/<int:pk>/fiche", methods=["GET"])
    @protect()
    @safe
    def fiche(self, pk):
        """« Télécharger la fiche candidat »: the file as a French PDF.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: La fiche en PDF, en pièce jointe}
            404: {description: Hors périmètre}
        """
        from app.exports.fiche_candidat import fiche_pdf
        from app.security import perimeter
        try:
            candidature = perimeter.get_visible(Candidature, pk)
        except DomainError as exc:
            return self.domain_response(exc)
        return send_bytes(fiche_pdf(candidature), f"fiche-candidat-{candidature.numero_dossier}.pdf",
                          "application/pdf")


    @expose("/<int:pk>/affecter", methods=["POST"])
    @protect()
    @safe
    def affecter(self, pk):
        """Assign a file to one of its certifier's coming jury sessions `{"session_jury_id"}`.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Dossier affecté (en attente de certification)}
            404: {description: Hors périmètre}
            409: {description: Transition refusée ou session passée}
            422: {description: Session inconnue ou d'un autre certificateur}
        """
        return self.action_response(lambda body: juries.affecter(g.user, pk, body.get("session_jury_id")),
                                required=True)

    @expose("/<int:pk>/decision", methods=["POST"])
    @protect()
    @safe
    def decision(self, pk):
        """The jury's decision `{"decision": "certifiee" | "non_certifiee" | "complement", "commentaire"}`.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Décision enregistrée}
            404: {description: Hors périmètre}
            409: {description: Dossier non affecté ou jury pas encore tenu}
            422: {description: Décision inconnue ou message manquant}
        """
        return self.action_response(lambda body: juries.decider(g.user, pk, body.get("decision"), body.get("commentaire")),
                                required=True)

    @expose("/<int:pk>/completer", methods=["POST"])
    @protect()
    @safe
    def completer(self, pk):
        """Answer a complement request and confirm the re-sending `{"message"}`.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Candidature complétée}
            404: {description: Hors périmètre}
            409: {description: Aucun complément demandé}
            422: {description: Message manquant}
        """
        return self.action_response(lambda body: juries.completer(g.user, pk, body.get("message")), required=True)

    @expose("/<int:pk>/echanges", methods=["POST"])
    @protect()
    @safe
    def echanger(self, pk):
        """A message on the « Echanges » tab `{"message"}`.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            201: {description: Message envoyé}
            404: {description: Hors périmètre}
            409: {description: Echanges pas encore ouverts}
            422: {description: Message manquant}
        """
        try:
            echange = juries.echanger(g.user, pk, self._json_body().get("message"))
        except DomainError as exc:
            return self.domain_response(exc)
        return self.response(201, id=echange.id, result={"id": echange.id, "candidature": pk, "cote": echange.cote,
                                                          "message": echange.message,
                                                          "created_at": echange.created_at.isoformat()})

    @expose("/<int:pk>/envoi_certificat", methods=["POST"])
    @protect()
    @safe
    def envoi_certificat(self, pk):
        """Record a mailing of the certificate `{"statut_lettre", "date_traitement", "canal", "commentaire"}`.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            201: {description: Envoi enregistré}
            403: {description: Réservé au certificateur}
            404: {description: Hors périmètre}
            409: {description: Candidature non certifiée}
            422: {description: Données invalides}
        """
        try:
            envoi = juries.enregistrer_envoi(g.user, pk, self._json_body())
        except DomainError as exc:
            return self.domain_response(exc)
        return self.response(201, id=envoi.id, result={
            "id": envoi.id, "candidature": pk, "statut_lettre": envoi.statut_lettre,
            "date_traitement": envoi.date_traitement.isoformat(), "canal": envoi.canal,
            "commentaire": envoi.commentaire})

    @expose("/<int:pk>/changer_certificateur", methods=["POST"])
    @protect()
    @safe
    def changer_certificateur(self, pk):
        """Certif Pro re-assigns the file `{"certificateur", "commentaire"}`.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Certificateur changé}
            403: {description: Réservé à Certif Pro}
            404: {description: Hors périmètre}
            409: {description: Dossier pas chez un certificateur}
            422: {description: Certificateur inconnu ou commentaire manquant}
        """
        return self.action_response(lambda body: juries.changer_certificateur(
            g.user, pk, body.get("certificateur"), body.get("commentaire")), required=True)


class DocumentApi(FrenchResponses, BaseApi):
    """GET /api/v1/document/<pk>/download — only inside the perimeter."""
    resource_name = "document"
    class_permission_name = access.EVALUATIONS
    method_permission_name = {"download": "read"}
    allow_browser_login = True

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    def download(self, pk):
        """Download a document.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Le fichier, en pièce jointe}
            404: {description: Hors périmètre}
        """
        try:
            return send_document(documents.visible(g.user, pk))
        except DomainError as exc:
            return self.response(exc.status, message=exc.message)



def register(appbuilder):
    appbuilder.add_api(CandidatureApi)
    appbuilder.add_api(DocumentApi)
