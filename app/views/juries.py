"""Jury sessions and the certifier's actions on a file (guide §7 « Onglet CERTIFICATION », §20): plan a session,
assign files (one by one or in bulk), record decisions, answer a complement request, exchange messages,
record certificate mailings, change a file's certifier. Views are thin: every rule is in services/juries.py."""

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access
from app.domain.statuts import CANDIDATURE
from app.exports import xlsx
from app.formatting import date_fr, datetime_fr
from app.models import Candidature
from app.models.juries import DecisionJury, SessionJury
from app.security import perimeter
from app.services import documents, juries
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView, submitted
from app.views.documents import send_bytes


class SessionJuryView(CleaModelView):
    route_base = "/certificateurs/jurys"
    datamodel = ServiceInterface(SessionJury)
    # Routes whose pk is the candidate file's (perimeter first, app/security/perimeter.py).
    perimetre_des_routes = {"echanger": Candidature, "envoi": Candidature}
    tab = access.CERTIFICATION
    list_title = "Sessions de jury"
    list_template = "clea/jurys_list.html"
    list_columns = ["date", "libelle", "certificateur"]
    search_columns = ["date", "libelle", "certificateur"]
    order_columns = ["date", "libelle"]
    base_order = ("date", "desc")
    label_columns = {"date": "Date du jury", "libelle": "Libellé", "certificateur": "Certificateur"}
    formatters_columns = {"date": datetime_fr}
    # Writes go through the services, which check the exact profile (certifier, jury member, OF, Certif Pro).
    extra_permissions = {
        "planifier": "create",
        "affecter_lot": "edit",
        "echanger": "read",
        "envoi": "read",
        "fiche": "read",
        # A session's outputs: the service checks the named right (sorties_session_jury); its members: creating.
        "proces_verbal": "read",
        "liste": "read",
        "certificats": "read",
        "membres": "create",
    }
    exclude_route_methods = {"add", "edit", "delete"}

    @expose("/planifier", methods=["GET", "POST"])
    @has_access
    def planifier(self):
        """« Planifier un jury »: date, time and label."""
        values, errors = {}, {}
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in ("date", "heure", "libelle", "certificateur")}
            data = dict(values, date=f"{values['date']} {values['heure'] or '09:00'}".strip())
            outcome = submitted(lambda: juries.creer_session(g.user, data))
            if outcome.ok:
                flash(f"Le jury du {date_fr(outcome.value.date)} est planifié.", "success")
                return redirect(url_for("SessionJuryView.fiche", pk=outcome.value.id))
            errors = outcome.errors
        certificateurs = (
            juries.certificateurs_de_dossiers() if access.may(g.user, "planifier_jury_tout_certificateur") else []
        )
        return self.render_template(
            "clea/jury_planifier.html",
            title="Planifier un jury",
            values=values,
            errors=errors,
            certificateurs=certificateurs,
            breadcrumb=[("Sessions de jury", url_for("SessionJuryView.list")), ("Planifier un jury", None)],
        )

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return redirect(url_for("SessionJuryView.fiche", pk=self._pk_or_404(pk)))

    @expose("/<int:pk>")
    @has_access
    def fiche(self, pk):
        """A session: its files (with the decision form) and the files waiting for a jury (bulk assignment)."""
        session = perimeter.get_visible(SessionJury, pk)
        can_assign = CANDIDATURE.may("affecter", g.user) and session.a_venir
        assigned, waiting, decisions = juries.contenu_de_session(g.user, session, avec_attente=can_assign)
        return self.render_template(
            "clea/jury_show.html",
            title=session.label,
            session=session,
            assigned=assigned,
            waiting=waiting,
            can_assign=can_assign,
            can_decide=CANDIDATURE.may("decider", g.user),
            machine=CANDIDATURE,
            decisions=decisions,
            labels=DecisionJury.LABELS,
            passed=session.tenue,
            peut_sorties=access.may(g.user, "sorties_session_jury"),
            par_prestataire=juries.par_prestataire(session.certificateur),
            peut_composer=access.may(g.user, "certification.creer"),
            membres_possibles=(
                juries.membres_possibles(session.certificateur_id) if access.may(g.user, "certification.creer") else []
            ),
            breadcrumb=[("Sessions de jury", url_for("SessionJuryView.list")), (session.label, None)],
        )

    @expose("/<int:pk>/affecter", methods=["POST"])
    @has_access
    def affecter_lot(self, pk):
        """The bulk action: the checked files go to this session."""
        perimeter.get_visible(SessionJury, pk)
        ids = request.form.getlist("candidatures", type=int)
        if not ids:
            flash("Cochez au moins un dossier.", "danger")
            return redirect(url_for("SessionJuryView.fiche", pk=pk))
        done, refusals = juries.affecter_plusieurs(g.user, ids, pk)
        if done:
            flash(f"{done} dossier{'s' if done > 1 else ''} affecté{'s' if done > 1 else ''} à ce jury.", "success")
        for refusal in refusals:
            flash(refusal, "danger")
        return redirect(url_for("SessionJuryView.fiche", pk=pk))

    @expose("/<int:pk>/membres", methods=["POST"])
    @has_access
    def membres(self, pk):
        """« Membres du jury »: who sits on the session (named on its minutes)."""
        ids = request.form.getlist("membres", type=int)
        return self.run_action(
            lambda: juries.definir_membres(g.user, pk, ids),
            url_for("SessionJuryView.fiche", pk=pk),
            "La composition du jury est enregistrée.",
        )

    # --- A session's outputs (the services check the right; a refusal is flashed on the session's page) -------
    def _sortie(self, pk, build, mimetype):
        outcome = submitted(lambda: build(g.user, pk))
        if not outcome.ok:
            return redirect(url_for("SessionJuryView.fiche", pk=pk))
        content, filename = outcome.value
        if mimetype == xlsx.XLSX:
            return xlsx.send_file(content, filename)
        return send_bytes(content, filename, mimetype)

    @expose("/<int:pk>/proces-verbal.pdf")
    @has_access
    def proces_verbal(self, pk):
        return self._sortie(pk, juries.proces_verbal, "application/pdf")

    @expose("/<int:pk>/dossiers.xlsx")
    @has_access
    def liste(self, pk):
        return self._sortie(pk, juries.liste_de_session, xlsx.XLSX)

    @expose("/<int:pk>/certificats.pdf")
    @has_access
    def certificats(self, pk):
        return self._sortie(pk, juries.certificats_de_session, "application/pdf")

    # --- Actions on one file (buttons of the candidate page) ---------------------------------------------------
    def _on_file(self, pk, action, success, tab):
        back = request.form.get("retour")
        if not (back and back.startswith("/") and not back.startswith("//")):
            back = url_for("CandidatureView.show", pk=pk) + tab
        return self.run_action(action, back, success)

    @expose("/candidature/<int:pk>/echanges", methods=["POST"])
    @has_access
    def echanger(self, pk):
        upload = request.files.get("file")

        def act():
            echange = juries.echanger(g.user, pk, request.form.get("message"))
            if upload is not None and upload.filename:
                documents.deposer(
                    g.user,
                    pk,
                    upload.filename,
                    upload.read(documents.TAILLE_MAX + 1),
                    objet="echange",
                    objet_id=echange.id,
                )

        return self._on_file(pk, act, "Le message est envoyé.", "#echanges")

    @expose("/candidature/<int:pk>/envoi", methods=["POST"])
    @has_access
    def envoi(self, pk):
        values = {k: request.form.get(k, "") for k in ("statut_lettre", "date_traitement", "canal", "commentaire")}
        return self._on_file(
            pk, lambda: juries.enregistrer_envoi(g.user, pk, values), "L'envoi du certificat est enregistré.", "#envois"
        )


def register(appbuilder):
    appbuilder.add_view_no_menu(SessionJuryView())
