"""EVALUATIONS tab (guide §7, §14, §17): the CANDIDATURE list, « Proposer une candidature », the candidate page."""

import json

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from wtforms import SelectField

from app.domain import access, statuts
from app.domain.errors import NotFound, StaleVersion, ValidationFailed
from app.domain.statuts import CANDIDATURE
from app.formatting import date_fr, datetime_fr, oui_non
from app.models import Candidature, Document, Etablissement, FichierExport, ImportCandidats, Organisme, Reseau
from app.security import perimeter
from app.services import (
    audit,
    candidatures as service,
    choix,
    consultations,
    documents,
    donnees_personnelles,
    dossier_complet,
    evaluations,
    exports,
    formations,
    habilitations,
    juries,
    lots,
    notifications,
    transitions,
    workflow,
)
from app.services.listes import CandidatureInterface
from app.views.base import CleaModelView, submitted
from app.views.documents import send_bytes, send_document, send_temporary_file

FORM_FIELDS = ("etablissement", *service.CHAMPS)


def _valeurs_du_formulaire(candidature) -> dict:
    """The file's values as « Editer la fiche » shows them (dates jj/mm/aaaa, Oui = "1")."""
    values = {field: getattr(candidature, field, "") for field in FORM_FIELDS if field != "etablissement"}
    values.update(
        etablissement=candidature.etablissement_id,
        date_naissance=date_fr(candidature.date_naissance),
        **{f: "1" if getattr(candidature, f) else "" for f in service.BOOLEAN_FIELDS},
    )
    return values


def _encore_visible(pk) -> bool:
    try:
        perimeter.get_visible(Candidature, pk)
    except NotFound:
        return False
    return True


def _version(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _json_object(text) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _meme(a, b) -> bool:
    """The same value of a form's field (as typed, as loaded: None and "" alike)."""
    return ("" if a is None else str(a).strip()) == ("" if b is None else str(b).strip())


def _changements(avant: dict, apres: dict) -> list[tuple[str, str]]:
    """« Valeurs enregistrées entre-temps »: each field the other person changed, with the value now saved."""
    rows = []
    for field in service.CHAMPS:
        old, new = avant.get(field), apres.get(field)
        if _meme(old, new):
            continue
        if field in service.BOOLEAN_FIELDS:
            shown = "Oui" if new else "Non"
        elif field == "certification":
            shown = service.CERTIFICATIONS.get(new, new)
        else:
            shown = "" if new is None else str(new)
        rows.append((audit.FIELD_LABELS.get(field, field), shown or "(vide)"))
    return rows


class CandidatureView(CleaModelView):
    route_base = "/candidatures"
    datamodel = CandidatureInterface(Candidature)
    # Routes naming a document (perimeter first, app/security/perimeter.py).
    perimetre_des_routes = {"telecharger": Document, "supprimer_document": Document}
    tab = access.EVALUATIONS
    list_title = "Candidature"
    list_template = "clea/candidatures_list.html"
    list_columns = [
        "numero_dossier",
        "candidat",
        "etablissement",
        "statut_label",
        "jury_label",
        "courrier_label",
        "actif",
    ]
    search_columns = exports.RECHERCHE_CANDIDATURES
    # The list's filter: the perimeter's establishments; « Proposer une candidature », « Importer des candidats »:
    # those where a file may be registered today.
    pickers = {
        "etablissement": choix.Source(Etablissement),
        "proposable": service.ETABLISSEMENTS_PROPOSABLES,
    }
    # Statuses and certifications are chosen from their French labels (the filter still compares the codes).
    search_form_extra_fields = {
        "statut": SelectField("Statut de la candidature", choices=list(statuts.LABELS.items())),
        "certification": SelectField("Certification", choices=list(service.CERTIFICATIONS.items())),
    }
    order_columns = ["numero_dossier", "statut", "updated_at"]
    base_order = ("updated_at", "desc")
    label_columns = {
        "numero_dossier": "Numéro de dossier",
        "candidat": "Candidat",
        "etablissement": "Etablissement d'évaluation",
        "statut_label": "Statut de la candidature",
        "statut": "Statut de la candidature",
        "actif": "Actif",
        "nom_naissance": "Nom de naissance",
        "prenom": "Prénom",
        "date_naissance": "Date de naissance",
        "certification": "Certification",
        "jury_label": "Jury",
        "courrier_label": "Courrier envoyé",
    }
    formatters_columns = {"actif": oui_non}
    # Files are created with « Proposer une candidature » and changed through the status machine.
    extra_permissions = {
        "proposer": "create",
        "add": "create",
        # the events' own rights are checked by the engine (app/services/workflow.py)
        "evenement": "read",
        "supprimer": "delete",
        "editer": "edit",
        "activer": "edit",
        "deposer": "edit",
        "telecharger": "read",
        "supprimer_document": "edit",
        "ajouter_formation": "edit",
        "corriger_formation": "edit",
        "supprimer_formation": "edit",
        "fiche": "read",
        "exporter": "read",
        # Personal data: the services check the named rights (exporter_donnees_personnelles, anonymiser_candidature)
        "donnees": "read",
        "dossier_complet": "read",
        "anonymiser": "read",
        "consultation": "read",
        "importer": "create",
        "import_suivi": "create",
        "modele_import": "create",
        # « Pour la sélection » (FAB actions): reading the list is enough to ask, the engine checks each event's
        # right and rule file by file, and the export gives what the list shows.
        "exporter_selection": "read",
        "envoyer_selection": "read",
        "abandonner_selection": "read",
        "abandon_groupe": "read",
    }
    exclude_route_methods = {"edit", "delete"}

    @expose("/exporter", methods=["POST"])
    @has_access
    def exporter(self):
        """« Exporter la liste (.xlsx) »: the files of the list with its current filters, prepared in the
        background."""
        from urllib.parse import parse_qs

        from app.views.stats import demander_export

        args = parse_qs(request.form.get("filtres", "")[:10000], keep_blank_values=True)
        filtres = [[key, values] for key, values in args.items() if key.startswith("_flt_")]
        return demander_export("candidatures", {"filtres": filtres}, url_for("CandidatureView.list"))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self.proposer()

    @expose("/proposer", methods=["GET", "POST"])
    @has_access
    def proposer(self):
        values, errors = {"certification": "clea"}, {}
        if request.method == "POST":
            values = {field: request.form.get(field, "") for field in FORM_FIELDS}
            from app.views.rattachements import message_doublon  # a duplicate: link to a transfer request

            outcome = submitted(
                lambda: service.creer(g.user, values), wording=lambda message: message_doublon(message, g.user)
            )
            if outcome.ok:
                flash(f"La candidature n°{outcome.value.numero_dossier} est créée.", "success")
                return redirect(url_for("CandidatureView.show", pk=outcome.value.id))
            errors = outcome.errors
        return self._form(None, values, errors)

    @expose("/<int:pk>/editer", methods=["GET", "POST"])
    @has_access
    def editer(self, pk):
        """« Editer la fiche ». The form carries the version it was loaded with and the values it showed: a save
        made after someone else's is refused, and the form comes back with « Valeurs enregistrées entre-temps »."""
        candidature = perimeter.get_visible(Candidature, pk)
        if not service.peut_modifier(g.user, candidature):
            flash("Cette candidature est en lecture seule pour votre profil.", "danger")
            return redirect(url_for("CandidatureView.show", pk=pk))
        values = _valeurs_du_formulaire(candidature)
        loaded, version, errors, entre_temps = dict(values), candidature.version, {}, []
        if request.method == "POST":
            values = {field: request.form.get(field, "") for field in FORM_FIELDS}
            posted = _version(request.form.get("version"))
            outcome = submitted(lambda: service.modifier(g.user, pk, values, version=posted))
            if outcome.ok:
                flash("La fiche est mise à jour.", "success")
                return redirect(url_for("CandidatureView.show", pk=pk))
            errors = outcome.errors
            if isinstance(outcome.refusal, StaleVersion):
                # The other person's values are now shown: the next save is made on them.
                shown = _json_object(request.form.get("valeurs_chargees")) or values
                loaded, version = _valeurs_du_formulaire(candidature), candidature.version
                entre_temps = _changements(shown, loaded)
                # The form takes the saved values, but for the fields this person changed (their input kept).
                values = {f: loaded.get(f) if _meme(values.get(f), shown.get(f)) else values.get(f) for f in values}
            else:  # still the version the person started from
                loaded = _json_object(request.form.get("valeurs_chargees")) or loaded
                version = posted if posted is not None else version
        return self._form(candidature, values, errors, loaded=loaded, version=version, entre_temps=entre_temps)

    def _form(self, candidature, values, errors, loaded=None, version=None, entre_temps=()):
        if candidature is None:
            etablissement = self.picker("proposable", values.get("etablissement"), single=True)
            title = "Créer une candidature"
            crumbs = [("Candidature", url_for("CandidatureView.list")), (title, None)]
        else:
            etablissement = None
            title = f"Editer la fiche - {candidature.candidat}"
            crumbs = [
                ("Candidature", url_for("CandidatureView.list")),
                (f"Candidat - {candidature.candidat}", url_for("CandidatureView.show", pk=candidature.id)),
                ("Editer la fiche", None),
            ]
        lists = {field: service.valeurs(liste) for field, liste in service.LIST_FIELDS.items()}
        return self.render_template(
            "clea/candidature_form.html",
            title=title,
            values=values,
            errors=errors,
            candidature=candidature,
            etablissement=etablissement,
            lists=lists,
            certifications=service.CERTIFICATIONS,
            breadcrumb=crumbs,
            version=version,
            valeurs_chargees=json.dumps(loaded or {}, ensure_ascii=False, default=str),
            entre_temps=entre_temps,
            notice_donnees_personnelles=donnees_personnelles.notice(),
        )

    @expose("/<int:pk>/documents", methods=["POST"])
    @has_access
    def deposer(self, pk):
        upload = request.files.get("file")

        def act():
            if upload is None or not upload.filename:
                raise ValidationFailed({"file": "Choisissez un fichier."})
            formation_id = request.form.get("formation", type=int)
            documents.deposer(
                g.user,
                pk,
                upload.filename,
                upload.read(documents.TAILLE_MAX + 1),
                objet="formation" if formation_id else "candidature",
                objet_id=formation_id,
            )

        tab = "#formations" if request.form.get("formation") else "#documents"
        return self.run_action(act, url_for("CandidatureView.show", pk=pk) + tab, "Le document est ajouté au dossier.")

    @expose("/<int:pk>/formations", methods=["POST"])
    @has_access
    def ajouter_formation(self, pk):
        values = {k: request.form.get(k, "") for k in formations.REQUIRED if k != "domaines"}
        values["domaines"] = request.form.getlist("domaines")
        return self.run_action(
            lambda: formations.creer(g.user, pk, values),
            url_for("CandidatureView.show", pk=pk) + "#formations",
            "La formation est créée.",
        )

    @expose("/formations/<int:formation_id>/corriger", methods=["POST"])
    @has_access
    def corriger_formation(self, formation_id):
        formation = formations.visible(g.user, formation_id)
        values = {k: request.form.get(k, "") for k in formations.REQUIRED if k != "domaines"}
        values["domaines"] = request.form.getlist("domaines")
        return self.run_action(
            lambda: formations.modifier(g.user, formation_id, values),
            url_for("CandidatureView.show", pk=formation.candidature_id) + "#formations",
            "La formation est corrigée.",
        )

    @expose("/formations/<int:formation_id>/supprimer", methods=["POST"])
    @has_access
    def supprimer_formation(self, formation_id):
        formation = formations.visible(g.user, formation_id)
        return self.run_action(
            lambda: formations.supprimer(g.user, formation_id),
            url_for("CandidatureView.show", pk=formation.candidature_id) + "#formations",
            "La formation et ses attestations sont supprimées.",
        )

    @expose("/documents/<int:document_id>")
    @has_access
    def telecharger(self, document_id):
        return send_document(documents.visible(g.user, document_id))

    @expose("/documents/<int:document_id>/supprimer", methods=["POST"])
    @has_access
    def supprimer_document(self, document_id):
        document = documents.visible(g.user, document_id)
        tab = "#formations" if document.objet == "formation" else "#documents"
        back = url_for("CandidatureView.show", pk=document.candidature_id) + tab
        return self.run_action(lambda: documents.supprimer(g.user, document_id), back, "Le document est supprimé.")

    @expose("/<int:pk>/fiche.pdf")
    @has_access
    def fiche(self, pk):
        """« Télécharger la fiche candidat »."""
        from app.exports.fiche_candidat import fiche_pdf

        candidature = perimeter.get_visible(Candidature, pk)
        return send_bytes(fiche_pdf(candidature), f"fiche-candidat-{candidature.numero_dossier}.pdf", "application/pdf")

    # --- « Pour la sélection »: bulk actions, each file through the state machine -----------------------------

    @action("exporter_selection", "Exporter la sélection (.xlsx)", None, "fa-file-excel-o", single=False)
    def exporter_selection(self, items):
        from app.exports import xlsx

        headers, rows = service.lignes_selection(items)
        return xlsx.download("candidatures-selection.xlsx", "Candidatures", headers, rows)

    @action(
        "envoyer_selection",
        "Envoyer en certification",
        "Envoyer les dossiers sélectionnés en certification ? Ils ne pourront plus être modifiés par votre organisme.",
        "fa-paper-plane",
        single=False,
    )
    def envoyer_selection(self, items):
        results = transitions.par_lot("envoyer_certification", g.user, [c.id for c in items])
        return self._rapport_lot("Envoi en certification", results)

    @action("abandonner_selection", "Abandonner", None, "fa-ban", single=False)
    def abandonner_selection(self, items):
        """One motif for the selection: asked on the next page, then each file is abandoned through the machine."""
        return redirect(url_for("CandidatureView.abandon_groupe", ids=",".join(str(c.id) for c in items)))

    @expose("/abandon-groupe", methods=["GET", "POST"])
    @has_access
    def abandon_groupe(self):
        raw = (request.form.get("ids") if request.method == "POST" else request.args.get("ids")) or ""
        ids = [int(x) for x in raw.split(",") if x.isdigit()][: lots.LOT_MAX]
        files = service.visibles(g.user, ids)
        if not files:
            flash("Sélectionnez au moins un dossier dans la liste.", "warning")
            return redirect(url_for("CandidatureView.list"))
        if request.method == "POST":
            params = {name: request.form.get(name) or None for name in workflow.parameters(CANDIDATURE, "abandonner")}
            outcome = submitted(lambda: transitions.par_lot("abandonner", g.user, [c.id for c in files], **params))
            if outcome.errors:
                flash(outcome.message, "danger")
            elif outcome.ok:
                return self._rapport_lot("Abandon", outcome.value)
        return self.render_template(
            "clea/abandon_groupe.html",
            title="Abandonner les dossiers sélectionnés",
            files=files,
            ids=",".join(str(c.id) for c in files),
            motifs=[m for m in service.valeurs("motif_abandon") if m != transitions.MOTIF_AUTOMATIQUE],
            breadcrumb=[("Candidature", url_for("CandidatureView.list")), ("Abandon de la sélection", None)],
        )

    def _rapport_lot(self, what, results):
        return self.rapport_lot(what, results, "dossier(s)", ("Dossier", "Candidat"))

    @expose("/modele-import.xlsx")
    @has_access
    def modele_import(self):
        """The import template: the form's columns, its lists as dropdowns, the personal-data notice."""
        from app.exports.xlsx import XLSX
        from app.services import import_candidats

        return send_bytes(import_candidats.modele(), "modele-import-candidats.xlsx", XLSX)

    @expose("/importer", methods=["GET", "POST"])
    @has_access
    def importer(self):
        """« Importer des candidats »: upload the filled template, then the report by line and column."""
        from app.services import import_candidats

        rapport, errors = None, {}
        form = request.form
        if request.method == "POST":
            upload = request.files.get("file")
            action = form.get("action", "simulation")

            def run():
                if upload is None or not upload.filename:
                    raise ValidationFailed({"file": "Choisissez le fichier à importer (.xlsx)."})
                return import_candidats.demander(
                    g.user,
                    upload.read(10 * 1024 * 1024),
                    upload.filename,
                    form.get("etablissement", type=int),
                    simulation=action == "simulation",
                    partiel=action == "partiel",
                )

            outcome = submitted(run)
            if isinstance(outcome.value, ImportCandidats):  # a big file: followed on its own page
                return redirect(url_for("CandidatureView.import_suivi", job_id=outcome.value.id))
            rapport, errors = outcome.value, outcome.errors
        return self.render_template(
            "clea/import_candidats.html",
            title="Importer des candidats",
            etablissement=self.picker("proposable", form.get("etablissement"), single=True),
            rapport=rapport,
            errors=errors,
            maximum=import_candidats.LIGNES_MAX,
            direct=current_app.config["IMPORT_DIRECT_LIGNES"],
            breadcrumb=[("Candidature", url_for("CandidatureView.list")), ("Importer des candidats", None)],
        )

    @expose("/importer/<int:job_id>")
    @has_access
    def import_suivi(self, job_id):
        """A big import running in the background: its progress, then its report (its author only)."""
        from app.services import import_candidats

        job = import_candidats.visible(g.user, job_id)
        return self.render_template(
            "clea/import_suivi.html",
            title="Import de candidats",
            job=job,
            rapport=import_candidats.rapport_de(job),
            breadcrumb=[
                ("Candidature", url_for("CandidatureView.list")),
                ("Importer des candidats", url_for("CandidatureView.importer")),
                (f"Import du {datetime_fr(job.created_at)}", None),
            ],
        )

    @expose("/<int:pk>/donnees")
    @has_access
    def donnees(self, pk):
        """« Télécharger toutes les données de la personne » (right of access): the ZIP, or its background job."""
        back = url_for("CandidatureView.show", pk=pk)
        outcome = submitted(lambda: donnees_personnelles.telecharger(g.user, pk))
        if not outcome.ok:
            return redirect(back)
        if isinstance(outcome.value, FichierExport):
            flash("L'archive est préparée en arrière-plan : elle sera téléchargeable sur cette page.", "info")
            return redirect(url_for("ExportView.show", pk=outcome.value.id))
        output, filename = outcome.value
        return send_temporary_file(output, filename, "application/zip")

    @expose("/<int:pk>/dossier-complet")
    @has_access
    def dossier_complet(self, pk):
        """« Télécharger le dossier complet »: the ZIP, or its background job for a big file."""
        outcome = submitted(lambda: dossier_complet.telecharger(g.user, pk))
        if not outcome.ok:
            return redirect(url_for("CandidatureView.show", pk=pk))
        if isinstance(outcome.value, FichierExport):
            flash("Le dossier complet est préparé en arrière-plan : il sera téléchargeable sur cette page.", "info")
            return redirect(url_for("ExportView.show", pk=outcome.value.id))
        output, filename = outcome.value
        return send_temporary_file(output, filename, "application/zip")

    @expose("/<int:pk>/anonymiser", methods=["POST"])
    @has_access
    def anonymiser(self, pk):
        """Certif Pro erases the person (confirmation and motif in the dialog; irreversible)."""
        form = request.form
        outcome = submitted(
            lambda: donnees_personnelles.anonymiser(
                g.user,
                pk,
                form.get("motif"),
                form.get("confirmation"),
                effacer_preuve=form.get("effacer_preuve"),
                motif_preuve=form.get("motif_preuve"),
            )
        )
        if outcome.ok:
            flash(outcome.value.message, "info" if outcome.value.deja else "success")
        elif outcome.errors:
            flash(" ".join(m for messages in outcome.errors.values() for m in messages), "danger")
        return redirect(url_for("CandidatureView.show", pk=pk))

    @expose("/<int:pk>/consultation", methods=["POST"])
    @has_access
    def consultation(self, pk):
        """A tab of the page opened (posted by the page's script): a line of the consultation journal."""
        consultations.onglet(g.user, pk, request.form.get("onglet", "")[:100] or "Onglet")
        return "", 204

    @expose("/<int:pk>/activer", methods=["POST"])
    @has_access
    def activer(self, pk):
        actif = request.form.get("actif") == "1"
        return self._act(
            pk,
            lambda: service.changer_actif(g.user, pk, actif),
            "La candidature est réactivée." if actif else "La candidature est désactivée.",
        )

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        candidature = perimeter.get_visible(Candidature, pk)
        history = audit.historique("Candidature", candidature.id)
        return self.render_template(
            "clea/candidature_show.html",
            title=f"Candidat - {candidature.candidat}",
            c=candidature,
            history=history,
            events=[] if candidature.anonymise_le else CANDIDATURE.allowed_events(candidature.statut, g.user),
            machine=CANDIDATURE,
            motifs=[m for m in service.valeurs("motif_abandon") if m != transitions.MOTIF_AUTOMATIQUE],
            can_delete=transitions.supprimable(candidature) and self.can("can_delete"),
            can_edit=service.peut_modifier(g.user, candidature),
            documents=documents.documents_de(candidature.id),
            formations=[
                (f, documents.documents_de(candidature.id, "formation", f.id))
                for f in formations.formations_de(candidature.id)
            ],
            domaines=formations.domaines_du_referentiel(candidature),
            # The tabs where the establishment works on the file: under its habilitation for this certification.
            habilitee=habilitations.refus_du_dossier(candidature) is None,
            avertissements=transitions.avertissements_envoi(candidature),
            evaluations=evaluations.evaluations_de(candidature.id),
            refus_ajout_evaluation=evaluations.refus_ajout(g.user, candidature),
            peut_evaluer=evaluations.peut_saisir(g.user, candidature),
            peut_exporter_donnees=access.may(g.user, "exporter_donnees_personnelles"),
            peut_dossier_complet=access.may(g.user, "telecharger_dossier_complet"),
            peut_anonymiser=access.may(g.user, "anonymiser_candidature") and candidature.anonymise_le is None,
            certifiee=candidature.statut == statuts.CERTIFIEE,
            consultations=(
                consultations.journal(g.user, candidature.id) if access.may(g.user, "voir_consultations") else None
            ),
            conservation_journal=(
                donnees_personnelles.valeur("conservation_journal_jours")
                if access.may(g.user, "voir_consultations")
                else None
            ),
            **self._certifier_side(candidature),
            breadcrumb=[("Candidature", url_for("CandidatureView.list")), (f"Candidat - {candidature.candidat}", None)],
        )

    @staticmethod
    def _certifier_side(candidature) -> dict:
        """What the tabs « Echanges », « Décision du jury », « Historique des envois » and « Mails au candidat » show
        and allow."""
        sent = (
            CANDIDATURE.in_group("chez_certificateur", candidature.statut) or candidature.certificateur_id is not None
        )
        if not sent:
            return {"sent": False}
        echanges = juries.echanges_de(candidature.id)
        pieces = {}
        for document in documents.documents_de(candidature.id, "echange"):
            pieces.setdefault(document.objet_id, []).append(document)
        changer = "changer_certificateur" in CANDIDATURE.allowed_events(candidature.statut, g.user)
        return {
            "sent": True,
            "echanges": echanges,
            "pieces": pieces,
            "decisions": juries.decisions_de(candidature.id),
            "certificat": juries.certificat_de(candidature.id),
            "envois": juries.envois_de(candidature.id),
            "mails_candidat": notifications.mails_au_candidat(candidature.id),
            "peut_echanger": juries.peut_echanger(g.user, candidature),
            "sessions": (juries.sessions_a_venir(candidature.certificateur_id) if candidature.certificateur_id else []),
            "peut_envoi": (
                access.may(g.user, "enregistrer_envoi_certificat")
                and CANDIDATURE.in_group("certifiee", candidature.statut)
            ),
            "statuts_lettre": service.valeurs("statut_lettre"),
            "certificateurs": juries.certificateurs_de_dossiers() if changer else [],
        }

    def _act(self, pk, action, success):
        return self.run_action(action, url_for("CandidatureView.show", pk=pk), success)

    # Where the page opens after an event (the tab that shows its result).
    EVENT_TABS = {
        "affecter": "#decision",
        "decider": "#decision",
        "changer_certificateur": "#decision",
        "completer": "#echanges",
    }

    @expose("/<int:pk>/<string:action>", methods=["POST"])
    @has_access
    def evenement(self, pk, action):
        """Every button of the status machine posts here (`action` is the event's path in the table)."""
        event = CANDIDATURE.by_path(action)
        if event is None or CANDIDATURE.event(event).right == access.SYSTEM:
            abort(404)
        params = {name: request.form.get(name) or None for name in workflow.parameters(CANDIDATURE, event)}
        back = request.form.get("retour")
        if not (back and back.startswith("/") and not back.startswith("//")):
            back = url_for("CandidatureView.show", pk=pk) + self.EVENT_TABS.get(event, "")
        outcome = submitted(lambda: transitions.run(event, g.user, pk, **params))
        if outcome.errors:
            flash(outcome.message, "danger")
        elif outcome.ok and CANDIDATURE.event(event).success:
            flash(CANDIDATURE.event(event).success, "success")
        if not outcome.ok and not _encore_visible(pk):
            # Someone else's action just took the file out of the perimeter: the reason is flashed on the list.
            back = url_for("CandidatureView.list")
        return redirect(back)

    @expose("/<int:pk>/supprimer", methods=["POST"])
    @has_access
    def supprimer(self, pk):
        if not submitted(lambda: transitions.supprimer(g.user, pk)).ok:
            return redirect(url_for("CandidatureView.show", pk=pk))
        flash("La candidature est supprimée.", "success")
        return redirect(url_for("CandidatureView.list"))


class FormationsView(CleaModelView):
    """FORMATIONS tab (guide §7): find the file, open it on « Formations CléA »."""

    route_base = "/formations"
    datamodel = CandidatureInterface(Candidature)
    tab = access.FORMATIONS
    list_title = "Formations"
    list_columns = ["numero_dossier", "candidat", "etablissement", "email", "statut_label"]
    search_columns = [
        "numero_dossier",
        "nom_naissance",
        "prenom",
        "date_naissance",
        "pays_naissance",
        "code_postal_naissance",
        "ville_naissance",
        "reseau",
        "organisme",
        "etablissement",
    ]
    pickers = {
        "reseau": choix.Source(Reseau),
        "organisme": choix.Source(Organisme),
        "etablissement": choix.Source(Etablissement),
    }
    order_columns = ["numero_dossier", "updated_at"]
    base_order = ("updated_at", "desc")
    label_columns = {
        "numero_dossier": "Numéro de dossier",
        "candidat": "Candidat",
        "email": "Contact",
        "etablissement": "Etablissement d'évaluation",
        "statut_label": "Statut",
        "nom_naissance": "Nom",
        "prenom": "Prénom",
        "date_naissance": "Date de naissance",
        "pays_naissance": "Pays de naissance",
        "code_postal_naissance": "Code postal de naissance",
        "ville_naissance": "Ville de naissance",
        "organisme": "Organisme",
        "reseau": "Réseau",
    }
    extra_permissions = {}
    exclude_route_methods = {"add", "edit", "delete"}

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return redirect(url_for("CandidatureView.show", pk=pk) + "#formations")


class CandidatureAbandonneeView(CleaModelView):
    """CANDIDATURES ABANDONNEES (guide §7): the abandoned files of the perimeter, with their motif."""

    route_base = "/candidatures-abandonnees"
    datamodel = CandidatureInterface(Candidature)
    tab = access.EVALUATIONS
    list_title = "Candidatures abandonnées"
    list_columns = ["numero_dossier", "candidat", "etablissement", "motif_abandon", "date_abandon"]
    search_columns = ["numero_dossier", "nom_naissance", "prenom", "motif_abandon", "date_abandon"]
    order_columns = ["numero_dossier", "date_abandon"]
    base_order = ("date_abandon", "desc")
    label_columns = {
        "numero_dossier": "Numéro de dossier",
        "candidat": "Candidat",
        "etablissement": "Etablissement d'évaluation",
        "motif_abandon": "Motif",
        "date_abandon": "Date d'abandon",
        "nom_naissance": "Nom de naissance",
        "prenom": "Prénom",
    }
    formatters_columns = {"date_abandon": date_fr}
    list_template = "clea/candidatures_abandonnees.html"
    extra_permissions = {"export": "read"}
    exclude_route_methods = {"add", "edit", "delete"}

    def __init__(self, **kwargs):
        from flask_appbuilder.models.sqla.filters import FilterEqual

        from app.security.perimeter import PerimeterFilter

        self.base_filters = [["id", PerimeterFilter, None], ["statut", FilterEqual, statuts.ABANDONNEE]]
        super().__init__(**kwargs)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return redirect(url_for("CandidatureView.show", pk=pk))

    @expose("/export")
    @has_access
    def export(self):
        """« Export des dossiers abandonnés sur 30 jours »."""
        import datetime as dt

        from app.exports import xlsx

        rows = service.abandons_recents(g.user, jours=30)
        return xlsx.download(
            f"dossiers-abandonnes-{dt.date.today():%Y-%m-%d}.xlsx",
            "Dossiers abandonnés",
            [
                "Numéro de dossier",
                "Nom de naissance",
                "Nom d'usage",
                "Prénom",
                "Date de naissance",
                "Etablissement d'évaluation",
                "Motif",
                "Date d'abandon",
            ],
            rows,
        )


def register(appbuilder):
    appbuilder.add_view_no_menu(CandidatureView())
    appbuilder.add_view_no_menu(CandidatureAbandonneeView())
    appbuilder.add_view_no_menu(FormationsView())
