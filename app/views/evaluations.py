"""« Evaluations » tab of the candidate page (guide §17–18): add, save and resume, finalise, reopen, matrix."""

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access
from app.exports.matrice import matrice_xlsx
from app.formatting import date_fr
from app.models import Candidature
from app.models.evaluations import EN_COURS, Evaluation
from app.security import perimeter
from app.services import documents, evaluations as service
from app.services.candidatures import valeurs
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView, submitted
from app.views.documents import send_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _posted_results(candidature) -> list[dict]:
    """Radio « acquis_<id> » (1 / 0) and text « commentaire_<id> » of each sub-domain of the form."""
    results = []
    for sd in service.sous_domaines(candidature):
        choice = request.form.get(f"acquis_{sd.id}")
        item = {"sous_domaine": sd.code, "commentaire": request.form.get(f"commentaire_{sd.id}", "")}
        if choice in ("1", "0"):
            item["acquis"] = choice == "1"
        results.append(item)
    return results


class EvaluationView(CleaModelView):
    route_base = "/candidatures/evaluations"
    datamodel = ServiceInterface(Evaluation)
    # Routes whose pk is the candidate file's (perimeter first, app/security/perimeter.py).
    perimetre_des_routes = {"matrice": Candidature, "nouvelle": Candidature}
    tab = access.EVALUATIONS
    extra_permissions = {"nouvelle": "edit", "fiche": "read", "rouvrir": "edit", "matrice": "read", "show": "read"}
    exclude_route_methods = {"add", "edit", "delete", "list"}

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return redirect(url_for("EvaluationView.fiche", pk=self._pk_or_404(pk)))

    @expose("/candidature/<int:pk>/matrice")
    @has_access
    def matrice(self, pk):
        """« Télécharger la matrice »."""
        candidature = perimeter.get_visible(Candidature, pk)
        return send_bytes(matrice_xlsx(candidature), f"matrice-evaluation-{candidature.numero_dossier}.xlsx", XLSX)

    @expose("/candidature/<int:pk>/nouvelle", methods=["GET", "POST"])
    @has_access
    def nouvelle(self, pk):
        """« Ajouter une évaluation »: the form; nothing is stored before the first save."""
        candidature = perimeter.get_visible(Candidature, pk)
        back = url_for("CandidatureView.show", pk=pk) + "#evaluations"
        reason = service.refus_ajout(g.user, candidature)
        if reason:
            flash(reason, "danger")
            return redirect(back)
        values = {}
        if request.method == "POST":
            values = {field: request.form.get(field, "") for field in service.FIELDS}
            outcome = submitted(lambda: service.creer(g.user, pk, values, _posted_results(candidature)))
            if outcome.errors:
                return self._page(candidature, None, values, outcome.errors, _posted_results(candidature))
            return self._after_save(outcome.value) if outcome.ok else redirect(back)
        earlier = service.acquis_anterieurs(candidature.id)
        return self._page(
            candidature,
            None,
            values,
            {},
            [
                {
                    "sous_domaine": sd.code,
                    "acquis": True if sd.id in earlier else None,
                    "acquis_anterieurement": sd.id in earlier,
                    "commentaire": "",
                }
                for sd in service.sous_domaines(candidature)
            ],
        )

    @expose("/<int:pk>", methods=["GET", "POST"])
    @has_access
    def fiche(self, pk):
        """An evaluation: the form while it is a draft, read-only once finalised."""
        evaluation = perimeter.get_visible(Evaluation, pk)
        candidature = evaluation.candidature
        if request.method == "POST":
            values = {field: request.form.get(field, "") for field in service.FIELDS}
            outcome = submitted(lambda: service.enregistrer(g.user, pk, values, _posted_results(candidature)))
            if outcome.errors:
                return self._page(candidature, evaluation, values, outcome.errors, _posted_results(candidature))
            return self._after_save(evaluation) if outcome.ok else redirect(url_for("EvaluationView.fiche", pk=pk))
        values = {field: getattr(evaluation, field) for field in service.FIELDS}
        if evaluation.date_evaluation:
            values["date_evaluation"] = date_fr(evaluation.date_evaluation)
        return self._page(candidature, evaluation, values, {}, service.resultats_par_code(evaluation))

    def _after_save(self, evaluation):
        """Uploads of the form, then « Finaliser l'évaluation » when asked; each refusal is shown on the page."""
        problems = []
        for upload in request.files.getlist("file"):
            if not upload or not upload.filename:
                continue
            content = upload.read(documents.TAILLE_MAX + 1)
            outcome = submitted(
                lambda upload=upload, content=content: documents.deposer(
                    g.user,
                    evaluation.candidature_id,
                    upload.filename,
                    content,
                    objet="evaluation",
                    objet_id=evaluation.id,
                ),
                flash_refusal=False,
            )
            if not outcome.ok:
                problems += [f"{upload.filename} : {m}" for msgs in outcome.errors.values() for m in msgs] or [
                    f"{upload.filename} : {outcome.message}"
                ]
        if request.form.get("action") == "finaliser" and not problems:
            outcome = submitted(lambda: service.finaliser(g.user, evaluation.id), flash_refusal=False)
            problems += [m for msgs in outcome.errors.values() for m in msgs] or (
                [] if outcome.ok else [outcome.message]
            )
            if outcome.ok:
                flash("L'évaluation est finalisée.", "success")
                return redirect(url_for("CandidatureView.show", pk=evaluation.candidature_id) + "#evaluations")
        for problem in problems:
            flash(problem, "danger")
        if not problems:
            flash("L'évaluation est enregistrée : vous pourrez la reprendre plus tard.", "success")
        return redirect(url_for("EvaluationView.fiche", pk=evaluation.id))

    @expose("/<int:pk>/rouvrir", methods=["POST"])
    @has_access
    def rouvrir(self, pk):
        """« Modifier l'évaluation »."""
        perimeter.get_visible(Evaluation, pk)
        return self.run_action(
            lambda: service.rouvrir(g.user, pk),
            url_for("EvaluationView.fiche", pk=pk),
            "L'évaluation est rouverte : vous pouvez la modifier puis la finaliser à nouveau.",
        )

    def _page(self, candidature, evaluation, values, errors, resultats):
        by_code = {r["sous_domaine"]: r for r in resultats}
        editable = service.peut_saisir(g.user, candidature) and (evaluation is None or evaluation.etat == EN_COURS)
        title = f"Evaluation - {candidature.candidat}"
        anterieurs = service.acquis_anterieurs(candidature.id, sauf=evaluation.id if evaluation else None)
        domaines = service.referentiel(candidature)
        acquis_par_domaine = {
            d.id: sum(
                1 for sd in d.sous_domaines if sd.id in anterieurs or by_code.get(sd.code, {}).get("acquis") is True
            )
            for d in domaines
        }
        return self.render_template(
            "clea/evaluation_form.html",
            title=title,
            c=candidature,
            evaluation=evaluation,
            values=values,
            errors=errors,
            domaines=domaines,
            resultats=by_code,
            editable=editable,
            acquis_par_domaine=acquis_par_domaine,
            anterieurs=anterieurs,
            conclusions=valeurs("conclusion_evaluation"),
            documents=service.documents_de(evaluation) if evaluation else [],
            refus_reouverture=service.refus_reouverture(g.user, evaluation) if evaluation else None,
            breadcrumb=[
                ("Candidature", url_for("CandidatureView.list")),
                (f"Candidat - {candidature.candidat}", url_for("CandidatureView.show", pk=candidature.id)),
                (str(evaluation) if evaluation else "Nouvelle évaluation", None),
            ],
        )


def register(appbuilder):
    appbuilder.add_view_no_menu(EvaluationView())
