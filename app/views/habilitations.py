"""HABILITATION ETABLISSEMENT (guide §12–13, habilitation.md): the habilitation dossiers — « Déposer un dossier
d'habilitation », the draft's form by section, the dossier's page (what is missing, deadlines, documents, messages,
notices, the buttons of its machine), the instances' campaigns and meetings."""

import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access, dossiers as regles, jours_ouvres
from app.domain.dossiers import DOSSIER
from app.domain.habilitations import AUDIT, AVIS_AUDIT, CHANGEMENT, CONFORMITE, HABILITATION, TYPES_AUDIT
from app.domain.regions import REGIONS
from app.exports import xlsx
from app.formatting import date_fr
from app.models import DemandeHabilitation, Etablissement
from app.models.habilitations import AuditHabilitation, CampagneHabilitation, ChangementSituation, MiseEnConformite
from app.security import perimeter
from app.services import audit, controles, dossiers, habilitations, vie_habilitation, workflow
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView, submitted

# The repeated rows of the form: prefix → their fields (a row is kept when one of them is filled).
ROWS = {
    "sites": ("raison_sociale", "adresse", "code_postal", "ville", "region"),
    "membres": ("nom", "siret", "adresse", "services", "signataire"),
    "intervenants": ("nom", "prenom", "role", "qualification"),
    "sequences": ("sous_domaine", "mode", "outils", "consignes", "duree", "ressources", "roles"),
    "chiffres_affaires": ("annee", "montant"),
}
BLANK_ROWS = 2  # empty rows offered after the filled ones
TEXTS = [
    "type_candidature",
    "activite_principale",
    "siren",
    "code_naf",
    "numero_declaration_activite",
    "adresse",
    "code_postal",
    "ville",
    "site_web",
    "contact_nom",
    "contact_email",
    "contact_telephone",
    "facturation_nom",
    "facturation_email",
    "label_qualite",
    "label_autre",
    "autres_habilitations",
    "couverture",
    "motivation",
    "promotion",
    "processus_evaluation",
    "accompagnement",
    "modalites_distance",
    "references",
    "engagement_signataire",
    "engagement_qualite",
    "engagement_lieu",
    "date_creation",
    "engagement_date",
]


def _form_values(form, sous_domaines) -> dict:
    """The draft's form → the service's values (the same names as the API's body)."""
    values: dict = {name: form.get(name, "") for name in TEXTS if name in form}
    if "effectif" in form:
        values["effectif"] = form.get("effectif").strip() or None
    if "premiere_demande" in form:
        values["premiere_demande"] = {"oui": True, "non": False}.get(form.get("premiere_demande"))
    values["engagement_lu"] = form.get("engagement_lu") == "1"
    values["regions"] = form.getlist("regions")
    values["etablissements"] = form.getlist("etablissements")
    for prefix, keys in ROWS.items():
        rows = []
        index = 0
        while f"{prefix}-{index}-{keys[0]}" in form:
            row = {key: form.get(f"{prefix}-{index}-{key}", "").strip() for key in keys}
            if any(row.values()):
                rows.append({key: (value or None) for key, value in row.items()})
            index += 1
        values[prefix] = rows
    values["modalites"] = [
        {"sous_domaine": sd.code, "modalite": form.get(f"modalite-{sd.code}", "").strip() or None}
        for _, sds in sous_domaines
        for sd in sds
        if form.get(f"modalite-{sd.code}", "").strip()
    ]
    return values


class DemandeHabilitationView(CleaModelView):
    route_base = "/habilitations"
    datamodel = ServiceInterface(DemandeHabilitation)
    tab = access.HABILITATIONS
    list_title = "Dossiers d'habilitation"
    list_template = "clea/dossiers_list.html"
    list_columns = [
        "numero",
        "organisme",
        "certification_label",
        "instance_label",
        "campagne",
        "date_depot",
        "reunion",
        "situation_label",
        "date_fin",
    ]
    search_columns = [
        "organisme",
        "etat",
        "certification",
        "campagne",
        "certificateurs",
        "date_demande",
        "date_depot",
        "date_fin",
    ]
    pickers = ("organisme",)
    order_columns = ["date_depot", "date_fin"]
    base_order = ("date_demande", "desc")
    label_columns = {
        "numero": "N° de dossier",
        "organisme": "Organisme",
        "etablissements_label": "Etablissement(s)",
        "instance_label": "Instance",
        "certificateurs": "Instance",
        "certification_label": "Certification",
        "campagne": "Campagne",
        "reunion": "Réunion de l'instance",
        "date_depot": "Date de dépôt",
        "date_demande": "Date de création du dossier",
        "date_debut": "Date de début de l'habilitation",
        "date_fin": "Date de fin de l'habilitation",
        "etat_label": "Etat du dossier",
        "situation_label": "Etat du dossier",
        "etat": "Etat du dossier",
        "certification": "Certification",
        "type": "Type",
        "motif_rejet": "Motif du refus",
    }
    formatters_columns = {"date_depot": date_fr, "date_debut": date_fr, "date_fin": date_fr}
    # Dossiers are written through their own pages and buttons: no raw add/edit/delete.
    extra_permissions = {
        "nouveau": "read",
        "modifier": "read",
        "evenement": "read",
        "pieces": "read",
        "piece": "read",
        "supprimer_piece": "read",
        "ecrire": "read",
        "courrier": "read",
        "accuser": "read",
        "instructeur": "read",
        "renouveler": "read",
        "demander": "read",
        "export": "read",
        "en_retard": "read",
        "ouvrir_audit": "read",
        "procedures": "read",
        "controle": "read",
    }
    exclude_route_methods = {"add", "edit", "delete"}

    def _page(self, pk):
        return perimeter.get_visible(DemandeHabilitation, pk)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        dossier = self._page(pk)
        events = DOSSIER.allowed_events(dossier.etat, g.user)
        if dossier.etat == regles.ACCORDEE:  # the life of the habilitation: its own machine
            events += HABILITATION.allowed_events(dossier.statut_habilitation or "", g.user)
        applicant = access.may(g.user, "deposer_dossier_habilitation")
        if "classer" in events and not applicant and dossier.etat == regles.BROUILLON:
            events = [e for e in events if e != "classer" or access.may(g.user, "decider_toute_habilitation")]
        return self.render_template(
            "clea/dossier_show.html",
            title=str(dossier),
            dossier=dossier,
            machine=DOSSIER,
            events=events,
            parameters={e: workflow.parameters(_machine_of(e), e) for e in events},
            definitions={e: _machine_of(e).event(e) for e in events},
            regles=regles,
            applicant=applicant,
            may_edit=applicant and dossier.etat in regles.MODIFIABLES,
            may_write=dossier.etat != regles.BROUILLON and (applicant or access.may(g.user, "instruire_habilitation")),
            may_name=access.may(g.user, "nommer_instructeur") and dossier.etat in regles.EN_COURS,
            instructeurs=dossiers.instructeurs_possibles() if access.may(g.user, "nommer_instructeur") else [],
            manquants=dossiers.manquants_par_section(dossier) if dossier.etat in regles.MODIFIABLES else [],
            controles=_controles(dossier),
            echeances=dossiers.echeances(dossier),
            sous_domaines=dossiers.sous_domaines(dossier.certification),
            can_renew=(dossier.etat == regles.ACCORDEE and applicant and dossier.type == DemandeHabilitation.INITIALE),
            audit=[
                a
                for a in audit.lignes(organisme_id=dossier.organisme_id)
                if a.entity_type == "Demande d'habilitation"
                and a.entity_id == dossier.id
                and a.etablissement_id is None
            ],
            breadcrumb=[("Dossiers d'habilitation", url_for("DemandeHabilitationView.list")), (str(dossier), None)],
        )

    @expose("/export")
    @has_access
    def export(self):
        """The dossiers of the perimeter as .xlsx (filters: etat, certification, campagne, en_retard)."""
        headers, rows = dossiers.export_lignes(
            g.user,
            etat=request.args.get("etat") or None,
            certification=request.args.get("certification") or None,
            campagne=request.args.get("campagne", type=int),
            en_retard=request.args.get("en_retard") == "1",
        )
        return xlsx.download("dossiers-habilitation.xlsx", "Dossiers", headers, rows)

    @expose("/procedures")
    @has_access
    def procedures(self):
        """The procedures in progress (audits, compliance, renunciations, suspensions, changes) and their next
        deadline; filters by kind and overdue; .xlsx."""
        genre = request.args.get("genre") or None
        if genre not in (None, *controles.PROCEDURES):
            genre = None
        retard = request.args.get("en_retard") == "1"
        rows = controles.procedures_en_cours(g.user, genre, retard)
        if request.args.get("format") == "xlsx":
            headers = ["Procédure", "Objet", "Organisme", "Etat", "Prochaine échéance", "Date", "Jours ouvrés restants"]
            lines = [
                [r["genre_label"], r["libelle"], r["organisme"], r["etat"], r["echeance"], r["date"], r["jours"]]
                for r in rows
            ]
            return xlsx.download("procedures-habilitation.xlsx", "Procédures", headers, lines)
        return self.render_template(
            "clea/procedures.html",
            title="Procédures en cours",
            rows=rows,
            genres=controles.PROCEDURES,
            genre=genre,
            en_retard=retard,
            breadcrumb=[("Dossiers d'habilitation", url_for("DemandeHabilitationView.list")), ("Procédures", None)],
        )

    @expose("/en-retard")
    @has_access
    def en_retard(self):
        """The dossiers whose deadline is passed, with who must act."""
        return self.render_template(
            "clea/dossiers_en_retard.html",
            title="Dossiers d'habilitation en retard",
            rows=dossiers.en_retard_liste(g.user),
            breadcrumb=[
                ("Dossiers d'habilitation", url_for("DemandeHabilitationView.list")),
                ("Echéances dépassées", None),
            ],
        )

    @expose("/demander", methods=["GET", "POST"])
    @has_access
    def demander(self):
        """The establishment page's button (« Déposer un dossier d'habilitation »)."""
        return redirect(url_for("DemandeHabilitationView.nouveau", etablissement=request.values.get("etablissement")))

    @expose("/nouveau", methods=["GET", "POST"])
    @has_access
    def nouveau(self):
        """« Déposer un dossier d'habilitation »: certification, instance and establishments; the draft follows."""
        etab = perimeter.get_visible(Etablissement, request.values.get("etablissement"))
        if not access.may(g.user, "deposer_dossier_habilitation"):
            flash("Seul un administrateur d'organisme ou de réseau dépose un dossier d'habilitation.", "danger")
            return redirect(url_for("EtablissementView.show", pk=etab.id))
        choices, branches = habilitations.choix_de_demande(g.user, etab)
        errors = {}
        if request.method == "POST":
            aupres = request.form.get("aupres", "certif_pro")
            values = {
                "organisme": etab.organisme_id,
                "certification": request.form.get("certification", "clea"),
                "etablissements": request.form.getlist("etablissements"),
                "type_candidature": request.form.get("type_candidature", "individuelle"),
            }
            if aupres == "branche":
                values["certificateurs"] = request.form.getlist("certificateurs")
                values["instance"] = "branche" if not values["certificateurs"] else None
                if values["instance"] is None:
                    values.pop("instance")
            else:
                values["instance"] = "certif_pro"
            outcome = submitted(lambda: dossiers.creer(g.user, values))
            if outcome.ok:
                flash("Le brouillon du dossier est créé : complétez-le, il est enregistré à chaque étape.", "success")
                return redirect(url_for("DemandeHabilitationView.modifier", pk=outcome.value.id))
            errors = outcome.errors
        return self.render_template(
            "clea/habilitation_demande.html",
            title="Déposer un dossier d'habilitation",
            etab=etab,
            choices=choices,
            branches=branches,
            types=regles.TYPES_CANDIDATURE,
            errors=errors,
            form=request.form,
            breadcrumb=[
                (etab.nom, url_for("EtablissementView.show", pk=etab.id)),
                ("Déposer un dossier d'habilitation", None),
            ],
        )

    @expose("/<int:pk>/modifier", methods=["GET", "POST"])
    @has_access
    def modifier(self, pk):
        dossier = self._page(pk)
        if not access.may(g.user, "deposer_dossier_habilitation") or dossier.etat not in regles.MODIFIABLES:
            flash("Ce dossier n'est pas modifiable.", "warning")
            return redirect(url_for("DemandeHabilitationView.show", pk=dossier.id))
        sous_domaines = dossiers.sous_domaines(dossier.certification)
        errors: dict = {}
        if request.method == "POST":
            values = _form_values(request.form, sous_domaines)
            version = request.form.get("version", type=int)
            outcome = submitted(lambda: dossiers.modifier(g.user, pk, values, version))
            if outcome.ok:
                flash("Le dossier est enregistré.", "success")
                if request.form.get("suite") == "deposer":
                    return redirect(url_for("DemandeHabilitationView.show", pk=pk) + "#actions")
                return redirect(url_for("DemandeHabilitationView.modifier", pk=pk))
            errors = outcome.errors
            dossier = self._page(pk)
        etablissements, _ = habilitations.choix_de_demande(
            g.user, dossier.etablissements[0] if dossier.etablissements else _first_etab(dossier)
        )
        return self.render_template(
            "clea/dossier_form.html",
            title=f"Dossier d'habilitation n°{dossier.numero}",
            dossier=dossier,
            errors=errors,
            regles=regles,
            rows=ROWS,
            blank=BLANK_ROWS,
            regions=REGIONS,
            etablissements=etablissements,
            sous_domaines=sous_domaines,
            modalites={m.get("sous_domaine"): m.get("modalite") for m in dossier.modalites or []},
            manquants=dossiers.manquants_par_section(dossier),
            breadcrumb=[
                ("Dossiers d'habilitation", url_for("DemandeHabilitationView.list")),
                (str(dossier), url_for("DemandeHabilitationView.show", pk=dossier.id)),
                ("Compléter le dossier", None),
            ],
        )

    @expose("/<int:pk>/action/<event>", methods=["POST"])
    @has_access
    def evenement(self, pk, event):
        if event not in DOSSIER.events and event not in HABILITATION.events:
            abort(404)
        machine = _machine_of(event)
        definition = machine.event(event)
        if definition.right == access.SYSTEM:
            abort(404)
        params = {name: request.form.get(name) for name in workflow.parameters(machine, event)}
        back = url_for("DemandeHabilitationView.show", pk=pk)
        outcome = submitted(lambda: workflow.run(machine, event, g.user, pk, **params), flash_refusal=True)
        if outcome.ok:
            flash(definition.success or f"« {definition.label} » est enregistré.", "success")
        elif outcome.errors:
            for messages in outcome.errors.values():
                for message in messages:
                    flash(message, "danger")
        return redirect(back)

    @expose("/<int:pk>/audits", methods=["POST"])
    @has_access
    def ouvrir_audit(self, pk):
        values = {"habilitation": pk, "type": request.form.get("type"), "date": request.form.get("date")}
        values["auditeur"] = request.form.get("auditeur") or None
        return self.run_action(
            lambda: controles.ouvrir(g.user, values),
            url_for("DemandeHabilitationView.show", pk=pk) + "#controles",
            success="L'audit est ouvert : l'organisme en est informé.",
        )

    @expose("/<int:pk>/controles/<kind>/<int:record_id>/<event>", methods=["POST"])
    @has_access
    def controle(self, pk, kind, record_id, event):
        """An event of an audit (`kind` audit) or of a compliance procedure (`conformite`) of this habilitation."""
        machine, model = {"audit": (AUDIT, AuditHabilitation), "conformite": (CONFORMITE, MiseEnConformite)}.get(
            kind, (None, None)
        )
        if machine is None or event not in machine.events or machine.event(event).right == access.SYSTEM:
            abort(404)
        record = perimeter.get_visible(model, record_id)
        if record.habilitation_id != pk:
            abort(404)
        params = {name: request.form.get(name) for name in workflow.parameters(machine, event)}
        return self.run_action(
            lambda: workflow.run(machine, event, g.user, record_id, **params),
            url_for("DemandeHabilitationView.show", pk=pk) + "#controles",
            success=machine.event(event).success,
        )

    @expose("/<int:pk>/pieces", methods=["POST"])
    @has_access
    def pieces(self, pk):
        upload = request.files.get("file")
        back = request.form.get("retour") == "formulaire"
        target = url_for("DemandeHabilitationView.modifier" if back else "DemandeHabilitationView.show", pk=pk)

        def act():
            if upload is None or not upload.filename:
                from app.domain.errors import ValidationFailed

                raise ValidationFailed({"file": "Choisissez un fichier."})
            dossiers.ajouter_piece(g.user, pk, upload.filename, upload.read(), request.form.get("nature", ""))

        return self.run_action(act, target + "#pieces", success="La pièce est jointe au dossier.")

    @expose("/<int:pk>/pieces/<int:piece_id>")
    @has_access
    def piece(self, pk, piece_id):
        found = dossiers.piece(g.user, pk, piece_id)
        return send_file(
            io.BytesIO(found.contenu), mimetype=found.type_mime, as_attachment=True, download_name=found.nom
        )

    @expose("/<int:pk>/pieces/<int:piece_id>/supprimer", methods=["POST"])
    @has_access
    def supprimer_piece(self, pk, piece_id):
        return self.run_action(
            lambda: dossiers.supprimer_piece(g.user, pk, piece_id),
            url_for("DemandeHabilitationView.modifier", pk=pk) + "#pieces",
            success="La pièce est retirée du dossier.",
        )

    @expose("/<int:pk>/messages", methods=["POST"])
    @has_access
    def ecrire(self, pk):
        upload = request.files.get("file")
        fichier = (upload.filename, upload.read()) if upload is not None and upload.filename else None
        return self.run_action(
            lambda: dossiers.ecrire(g.user, pk, request.form.get("message"), fichier),
            url_for("DemandeHabilitationView.show", pk=pk) + "#messagerie",
            success="Votre message est envoyé.",
        )

    @expose("/<int:pk>/courriers/<int:avis_id>")
    @has_access
    def courrier(self, pk, avis_id):
        avis = dossiers.avis_pdf(g.user, pk, avis_id)
        return send_file(
            io.BytesIO(avis.pdf),
            mimetype="application/pdf",
            as_attachment=True,
            download_name=f"dossier-{pk}-{avis.nature}.pdf",
        )

    @expose("/<int:pk>/courriers/<int:avis_id>/accuser", methods=["POST"])
    @has_access
    def accuser(self, pk, avis_id):
        return self.run_action(
            lambda: dossiers.accuser(g.user, pk, avis_id),
            url_for("DemandeHabilitationView.show", pk=pk) + "#courriers",
            success="Réception accusée.",
        )

    @expose("/<int:pk>/instructeur", methods=["POST"])
    @has_access
    def instructeur(self, pk):
        return self.run_action(
            lambda: dossiers.nommer_instructeur(g.user, pk, request.form.get("instructeur")),
            url_for("DemandeHabilitationView.show", pk=pk),
            success="L'instructeur est nommé.",
        )

    @expose("/<int:pk>/renouveler", methods=["POST"])
    @has_access
    def renouveler(self, pk):
        outcome = submitted(lambda: dossiers.renouveler(g.user, pk))
        if outcome.ok:
            flash("Le dossier de renouvellement est créé (brouillon) : vérifiez-le puis déposez-le.", "success")
            return redirect(url_for("DemandeHabilitationView.modifier", pk=outcome.value.id))
        return redirect(url_for("DemandeHabilitationView.show", pk=pk))


def _controles(dossier) -> dict | None:
    """The audits and compliance procedures of an accorded habilitation, with the buttons the user may press."""
    if dossier.etat != regles.ACCORDEE:
        return None
    audits, procedures = controles.de_l_habilitation(dossier.id)
    return {
        "audits": [(a, AUDIT.allowed_events(a.etat, g.user)) for a in audits],
        "procedures": [(c, CONFORMITE.allowed_events(c.etat, g.user)) for c in procedures],
        "audit_machine": AUDIT,
        "conformite_machine": CONFORMITE,
        "parametres": {
            **{("audit", e): workflow.parameters(AUDIT, e) for e in AUDIT.events},
            **{("conformite", e): workflow.parameters(CONFORMITE, e) for e in CONFORMITE.events},
        },
        "may_open": access.may(g.user, "auditer_habilitation")
        and dossier.statut_habilitation in HABILITATION.group("en_vigueur"),
        "types": TYPES_AUDIT,
        "avis": AVIS_AUDIT,
        "decisions_audit": controles.DECISIONS_AUDIT,
        "decisions_conformite": controles.DECISIONS_CONFORMITE,
    }


def _machine_of(event: str):
    """The dossier's machine, or the accorded habilitation's (suspendre, retirer, renoncer…)."""
    return DOSSIER if event in DOSSIER.events else HABILITATION


def _first_etab(dossier):
    """An establishment of the organisation, to list its establishments on the form."""
    from sqlalchemy import select

    from app.extensions import db

    return db.session.execute(
        select(Etablissement).where(Etablissement.organisme_id == dossier.organisme_id).limit(1)
    ).scalar_one()


class CampagneView(CleaModelView):
    """The instances' calendars: deposit campaigns and meetings (Certif Pro for all, a branch for itself)."""

    route_base = "/campagnes"
    datamodel = ServiceInterface(CampagneHabilitation)
    tab = access.HABILITATIONS
    base_filters: list = []
    list_title = "Campagnes et réunions"
    extra_permissions = {"calendrier": "read", "campagne": "read", "reunion": "read"}
    include_route_methods = {"calendrier", "campagne", "reunion"}
    perimetre_des_routes = {"calendrier": None, "campagne": None, "reunion": None}

    @expose("/")
    @has_access
    def calendrier(self):
        campagnes, reunions = dossiers.calendriers()
        return self.render_template(
            "clea/campagnes.html",
            title="Campagnes et réunions",
            campagnes=campagnes,
            reunions=reunions,
            may_manage=access.may(g.user, "gerer_campagnes"),
            national=access.may(g.user, "decider_toute_habilitation"),
            instances=_instances(),
            today=jours_ouvres.ajouter,
            breadcrumb=[("Campagnes et réunions", None)],
        )

    @expose("/campagne", methods=["POST"])
    @has_access
    def campagne(self):
        values = {k: request.form.get(k) for k in ("certification", "libelle", "debut", "fin")}
        if request.form.get("certificateur"):
            values["certificateur"] = request.form.get("certificateur", type=int)
        return self.run_action(
            lambda: dossiers.creer_campagne(g.user, values),
            url_for("CampagneView.calendrier"),
            success="La campagne de dépôt est ouverte.",
        )

    @expose("/reunion", methods=["POST"])
    @has_access
    def reunion(self):
        values = {k: request.form.get(k) for k in ("date", "lieu")}
        if request.form.get("certificateur"):
            values["certificateur"] = request.form.get("certificateur", type=int)
        return self.run_action(
            lambda: dossiers.creer_reunion(g.user, values),
            url_for("CampagneView.calendrier"),
            success="La réunion est planifiée.",
        )


def _instances():
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Certificateur

    return list(
        db.session.execute(
            select(Certificateur)
            .where(Certificateur.type.in_((Certificateur.CERTIF_PRO, Certificateur.BRANCHE)), Certificateur.actif)
            .order_by(Certificateur.type.desc(), Certificateur.nom)
        ).scalars()
    )


class ChangementView(CleaModelView):
    """« Changements de situation »: the organisation declares, Certif Pro takes note or keeps the habilitation."""

    route_base = "/changements"
    datamodel = ServiceInterface(ChangementSituation)
    tab = access.HABILITATIONS
    list_title = "Changements de situation"
    extra_permissions = {"index": "read", "declarer": "read", "evenement": "read"}
    include_route_methods = {"index", "declarer", "evenement", "choix"}
    pickers = vie_habilitation.DECLARANTS
    perimetre_des_routes = {"index": None, "declarer": None}

    @expose("/")
    @has_access
    def index(self):
        from app.domain.habilitations import NATURES_CHANGEMENT

        items = vie_habilitation.changements(g.user)
        declarer = access.may(g.user, "declarer_changement")
        return self.render_template(
            "clea/changements.html",
            title="Changements de situation",
            changements=items,
            events={c.id: CHANGEMENT.allowed_events(c.etat, g.user) for c in items},
            machine=CHANGEMENT,
            natures=NATURES_CHANGEMENT,
            may_declare=declarer,
            organisme=self.picker("organisme", single=True) if declarer else None,
            etablissement=self.picker("etablissement") if declarer else None,
            breadcrumb=[("Dossiers d'habilitation", url_for("DemandeHabilitationView.list")), ("Changements", None)],
        )

    @expose("/declarer", methods=["POST"])
    @has_access
    def declarer(self):
        values = {
            k: request.form.get(k) or None for k in ("organisme", "nature", "date", "description", "etablissement")
        }
        return self.run_action(
            lambda: vie_habilitation.declarer(g.user, values),
            url_for("ChangementView.index"),
            success="Le changement de situation est déclaré à Certif Pro.",
        )

    @expose("/<int:pk>/action/<event>", methods=["POST"])
    @has_access
    def evenement(self, pk, event):
        if event not in CHANGEMENT.events:
            abort(404)
        return self.run_action(
            lambda: workflow.run(CHANGEMENT, event, g.user, pk),
            url_for("ChangementView.index"),
            success=CHANGEMENT.event(event).success,
        )


def register(appbuilder):
    appbuilder.add_view_no_menu(DemandeHabilitationView())
    appbuilder.add_view_no_menu(CampagneView())
    appbuilder.add_view_no_menu(ChangementView())
