"""REST resource `candidature` (api.md): list and read inside the perimeter, create through the same service as
« Proposer une candidature ». Status changes come through the status machine's actions."""

from flask import current_app, g, request, url_for
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api.base import CleaModelRestApi, FrenchResponses, event_actions
from app.domain import access
from app.domain.errors import ValidationFailed
from app.domain.statuts import CANDIDATURE
from app.models import Candidature, Document
from app.security import perimeter
from app.services import (
    audit,
    candidatures as service,
    consultations as journal_des_consultations,
    documents,
    donnees_personnelles,
    dossier_complet,
    exports,
    juries,
    transitions,
    workflow,
)
from app.services.listes import CandidatureInterface
from app.views.documents import send_bytes, send_document, send_temporary_file

FIELDS = service.CHAMPS


# The status changes of a file: one action per event of the machine (app/domain/statuts.py). Evaluations are
# finalised and reopened through the evaluation resource.
EVENTS = [
    e
    for e in CANDIDATURE.events
    if e not in ("finaliser_evaluation", "rouvrir_evaluation", "rouvrir_evaluation_apres_envoi", "abandon_automatique")
]


# The fields' French labels are the audit trail's (one list for the whole platform), plus the API's own keys.
LIBELLES = {
    **audit.FIELD_LABELS,
    "id": "Identifiant",
    "etablissement.id": "Etablissement d'évaluation",
    "organisme.id": "Organisme",
    "certificateur.id": "Certificateur",
    "session_jury.id": "Session de jury",
    "statut": "Statut de la candidature",
    "created_at": "Date de création",
    "updated_at": "Dernière modification",
}


@event_actions(CANDIDATURE, EVENTS)
class CandidatureApi(CleaModelRestApi):
    resource_name = "candidature"
    list_title, show_title = "Candidatures", "Candidature"
    label_columns = LIBELLES
    datamodel = CandidatureInterface(Candidature)
    tab = access.EVALUATIONS
    list_columns = [
        "id",
        "numero_dossier",
        "etablissement.id",
        "nom_naissance",
        "nom_usage",
        "prenom",
        "date_naissance",
        "statut",
        "actif",
        "updated_at",
    ]
    show_columns = [
        "id",
        "numero_dossier",
        "etablissement.id",
        "organisme.id",
        "certificateur.id",
        "statut",
        "actif",
        "created_at",
        "date_envoi_certification",
        "motif_abandon",
        "session_jury.id",
        "date_decision",
    ] + FIELDS
    add_columns = edit_columns = []
    search_columns = exports.RECHERCHE_CANDIDATURES
    order_columns = ["numero_dossier", "updated_at", "statut"]
    include_route_methods = {
        "get_list",
        "get",
        "info",
        "post",
        "put",
        "deposer",
        "fiche",
        "echanger",
        "envoi_certificat",
        "export",
        "donnees",
        "dossier_complet",
        "anonymiser",
        "consultations",
        "modele_import",
        "importer",
        "import_suivi",
        "lot",
    }
    # The certifier side writes exchanges and mailings on files it reads; the services check the named right.
    extra_permissions = {
        "deposer": "edit",
        "fiche": "read",
        "echanger": "read",
        "envoi_certificat": "read",
        "export": "read",
        # Personal data: the services check the named rights
        "donnees": "read",
        "dossier_complet": "read",
        "anonymiser": "read",
        "consultations": "read",
        "modele_import": "create",
        "importer": "create",
        "import_suivi": "create",
        # the engine checks each event's right and rule file by file
        "lot": "read",
    }

    def info_headless(self, **kwargs):
        """`_info` also carries the notice shown at collection (donnees-personnelles.md §1)."""
        response = super().info_headless(**kwargs)
        payload = response.get_json()
        payload["notice_donnees_personnelles"] = donnees_personnelles.notice()
        return self.response(200, **payload)

    def get_headless(self, pk, **kwargs):
        """A file also says its certificate's verification code (`code_verification`, api.md), null until certified
        (or once Certif Pro erased the certificate's proof)."""
        response = super().get_headless(pk, **kwargs)
        if response.status_code == 200:
            payload = response.get_json()
            certificat = juries.certificat_de(payload["id"])
            payload["result"]["code_verification"] = certificat.code_verification if certificat else None
            response.set_data(current_app.json.dumps(payload))
        return response

    def event_extras(self, event, item):
        if event == "envoyer_certification":
            return {"avertissements": transitions.avertissements_envoi(item)}
        return {}

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self):
        """The files of the perimeter matching the list's filters, as .xlsx (streamed; prepared in the background
        beyond EXPORT_API_DIRECT_MAX rows: 202 and the job, followed at /api/v1/export/<id>).
        ---
        get:
          parameters:
          - in: query
            name: q
            description: "rison, comme pour la liste : (filters:!((col:statut,opr:eq,value:attente_jury)))"
            schema: {type: string}
          responses:
            200: {description: Classeur .xlsx en pièce jointe}
            202: {description: "Au-delà de EXPORT_API_DIRECT_MAX lignes : préparé en arrière-plan (/api/v1/export/id)"}
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
        from app.api.exports import export_answer

        return export_answer(self, exports.telecharger(g.user, "candidatures", {"filtres_api": filters}))

    def post_headless(self):
        data = self._json_body()
        self.reject_unknown(data, FIELDS + ["etablissement"])
        candidature = service.creer(g.user, data)
        return self.response(201, id=candidature.id, result=self.dump(candidature))

    def put_headless(self, pk):
        """« Editer la fiche » through the API: the same service and rules as the form; `version` (or the ETag in
        `If-Match`) is the version the caller read, a stale one answers 409 with the record as saved meanwhile."""
        perimeter.get_visible(Candidature, pk)  # outside the perimeter: 404 whatever the body
        data = self._json_body()
        version = self.expected_version(data)
        self.reject_unknown(data, FIELDS)
        candidature = service.modifier(g.user, pk, data, version=version, partiel=True)
        return self.with_etag(self.response(200, id=candidature.id, result=self.dump(candidature)), candidature)

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

        candidature = perimeter.get_visible(Candidature, pk)
        return send_bytes(fiche_pdf(candidature), f"fiche-candidat-{candidature.numero_dossier}.pdf", "application/pdf")

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
        echange = juries.echanger(g.user, pk, self._json_body().get("message"))
        return self.response(
            201,
            id=echange.id,
            result={
                "id": echange.id,
                "candidature": pk,
                "cote": echange.cote,
                "message": echange.message,
                "created_at": echange.created_at.isoformat(),
            },
        )

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
        envoi = juries.enregistrer_envoi(g.user, pk, self._json_body())
        return self.response(
            201,
            id=envoi.id,
            result={
                "id": envoi.id,
                "candidature": pk,
                "statut_lettre": envoi.statut_lettre,
                "date_traitement": envoi.date_traitement.isoformat(),
                "canal": envoi.canal,
                "commentaire": envoi.commentaire,
            },
        )

    @expose("/lot", methods=["POST"])
    @protect()
    @safe
    def lot(self):
        """« Pour la sélection »: one event on several files, each through the state machine; what was done and
        what was refused and why (`{"action": "envoyer_certification" | "abandonner", "ids": [..], "motif"?}`).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    action: {type: string, enum: [envoyer_certification, abandonner]}
                    ids: {type: array, items: {type: integer}}
                    motif: {type: string}
          responses:
            200: {description: "{faits, refuses, resultats: [{id, dossier, candidat, fait, message}]}"}
            404: {description: Un dossier hors du périmètre}
            422: {description: Action ou liste refusée}
        """
        data = self._json_body()
        event = data.get("action")
        if event not in transitions.LOT_EVENTS:
            raise ValidationFailed({"action": "Action inconnue : « envoyer_certification » ou « abandonner »."})
        allowed = workflow.parameters(CANDIDATURE, event)
        self.reject_unknown(data, ["action", "ids", *allowed])
        ids = transitions.selection(g.user, data.get("ids"))
        results = transitions.par_lot(event, g.user, ids, **{k: data.get(k) for k in allowed})
        return self.response(
            200,
            faits=sum(r.fait for r in results),
            refuses=sum(not r.fait for r in results),
            resultats=[
                {"id": r.id, "dossier": r.libelle, "candidat": r.detail, "fait": r.fait, "message": r.message}
                for r in results
            ],
        )

    @expose("/modele_import", methods=["GET"])
    @protect()
    @safe
    def modele_import(self):
        """The bulk import's .xlsx template (the form's columns, its lists as dropdowns, the notice).
        ---
        get:
          responses:
            200: {description: Le modèle .xlsx en pièce jointe}
        """
        from app.exports.xlsx import XLSX
        from app.services import import_candidats

        return send_bytes(import_candidats.modele(), "modele-import-candidats.xlsx", XLSX)

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    def importer(self):
        """Import the candidates of a filled template (multipart `file`, `etablissement`, `simulation`, `partiel`):
        every row checked with the form's rules; nothing created when a row is invalid unless `partiel`. Beyond
        IMPORT_DIRECT_LIGNES rows the import runs in the background: 202 and the job to follow.
        ---
        post:
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    etablissement: {type: integer}
                    simulation: {type: boolean}
                    partiel: {type: boolean}
          responses:
            200: {description: "Le rapport : {crees, erreurs: [{ligne, champ, message}]}"}
            202: {description: "Import en arrière-plan : {id, statut, progression, url} ; suivre l'url"}
            403: {description: Profil sans création}
            422: {description: Fichier ou établissement manquant}
        """
        from app.schemas import TRUE_WORDS
        from app.services import import_candidats

        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed({"file": "Joignez le fichier à importer (.xlsx) dans le champ « file »."})
        etablissement = request.form.get("etablissement", "")
        result = import_candidats.demander(
            g.user,
            upload.read(10 * 1024 * 1024),
            upload.filename,
            int(etablissement) if etablissement.isdigit() else etablissement or None,
            simulation=request.form.get("simulation", "").strip().lower() in TRUE_WORDS,
            partiel=request.form.get("partiel", "").strip().lower() in TRUE_WORDS,
        )
        if isinstance(result, import_candidats.ImportCandidats):
            url = url_for("CandidatureApi.import_suivi", job_id=result.id)
            return self.response(202, **import_candidats.etat(result), url=url)
        return self.response(200, **result.as_json())

    @expose("/import/<int:job_id>", methods=["GET"])
    @protect()
    @safe
    def import_suivi(self, job_id):
        """A background import (its author only): its progress, then its report (`rapport`, as the 200 of
        `POST /import`) once `statut` is `termine`.
        ---
        get:
          responses:
            200: {description: "{id, statut, phase, lignes_total, lignes_faites, progression, erreur, rapport}"}
            404: {description: Import inconnu ou d'un autre utilisateur}
        """
        from app.services import import_candidats

        return self.response(200, **import_candidats.etat(import_candidats.visible(g.user, job_id)))

    @expose("/<int:pk>/donnees", methods=["GET"])
    @protect()
    @safe
    def donnees(self, pk):
        """Everything the platform holds on the person (right of access): a ZIP with donnees.json, resume.pdf and
        the documents; prepared in the background (202 and its job) when the documents are big.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: L'archive ZIP en pièce jointe}
            202: {description: "Préparée en arrière-plan (/api/v1/export/id)"}
            403: {description: Profil sans ce droit}
            404: {description: Hors périmètre}
        """
        from app.api.exports import export_answer

        result = donnees_personnelles.telecharger(g.user, pk)
        if isinstance(result, tuple):
            output, filename = result
            return send_temporary_file(output, filename, "application/zip")
        return export_answer(self, result)

    @expose("/<int:pk>/dossier_complet", methods=["GET"])
    @protect()
    @safe
    def dossier_complet(self, pk):
        """The whole file as a ZIP: the fiche, the evaluations with the matrix and their documents, the trainings
        and attestations, the exchanges and the jury's decision, the documents; prepared in the background (202
        and its job) when the documents are big.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Le dossier complet (ZIP) en pièce jointe}
            202: {description: "Préparé en arrière-plan (/api/v1/export/id)"}
            403: {description: Profil sans ce droit}
            404: {description: Hors périmètre}
        """
        from app.api.exports import export_answer

        result = dossier_complet.telecharger(g.user, pk)
        if isinstance(result, tuple):
            output, filename = result
            return send_temporary_file(output, filename, "application/zip")
        return export_answer(self, result)

    @expose("/<int:pk>/anonymiser", methods=["POST"])
    @protect()
    @safe
    def anonymiser(self, pk):
        """Anonymise the person on request `{"motif", "confirmation": true}` (Certif Pro; irreversible, a second
        call changes nothing). A certified file keeps the certificate's proof unless `{"effacer_preuve": true,
        "motif_preuve"}`.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Dossier anonymisé (ou déjà anonymisé)}
            403: {description: Réservé à Certif Pro}
            404: {description: Hors périmètre}
            422: {description: Motif ou confirmation manquant}
        """
        data = self._json_body()
        self.reject_unknown(data, ("motif", "confirmation", "effacer_preuve", "motif_preuve"))
        result = donnees_personnelles.anonymiser(
            g.user,
            pk,
            data.get("motif"),
            data.get("confirmation"),
            effacer_preuve=data.get("effacer_preuve", False),
            motif_preuve=data.get("motif_preuve"),
        )
        return self.response(
            200,
            message=result.message,
            deja_anonymise=result.deja,
            preuve_conservee=result.preuve_gardee,
            result=self.dump(result.candidature),
        )

    @expose("/<int:pk>/consultations", methods=["GET"])
    @protect()
    @safe
    def consultations(self, pk):
        """The file's consultation journal, latest first (Certif Pro).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Le journal}
            403: {description: Réservé à Certif Pro}
            404: {description: Hors périmètre}
        """
        perimeter.get_visible(Candidature, pk)
        lines = journal_des_consultations.journal(g.user, pk, limite=None)
        return self.response(
            200,
            count=len(lines),
            result=[
                {
                    "date": line.created_at.isoformat(),
                    "utilisateur": line.user_name,
                    "utilisateur_id": line.user_id,
                    "quoi": line.quoi,
                    "quoi_label": line.quoi_label,
                    "detail": line.detail,
                }
                for line in lines
            ],
        )


class DocumentApi(FrenchResponses, BaseApi):
    """GET /api/v1/document/<pk>/download — only inside the perimeter."""

    resource_name = "document"
    class_permission_name = access.EVALUATIONS
    method_permission_name = {"download": "read"}
    perimetre_des_routes = {"download": Document}  # perimeter first (app/security/perimeter.py)
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
        return send_document(documents.visible(g.user, pk))


def register(appbuilder):
    appbuilder.add_api(CandidatureApi)
    appbuilder.add_api(DocumentApi)
