"""REST resource `stats` (api.md « Statistics »): the STATS tab's counters and its .xlsx exports, for the
caller's perimeter, through the same services as the page."""

from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api.base import FrenchResponses
from app.domain import access
from app.services import exports, stats


class StatsApi(FrenchResponses, BaseApi):
    resource_name = "stats"
    class_permission_name = access.STATS
    method_permission_name = {"get": "read", "export": "read", "export_dossiers": "read"}
    allow_browser_login = True

    def _periode_params(self) -> dict:
        return {"du": request.args.get("du", ""), "au": request.args.get("au", "")}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get(self):
        """Counters of the caller's perimeter (files created between `du` and `au` when given).
        ---
        get:
          parameters:
          - {in: query, name: du, schema: {type: string, format: date}}
          - {in: query, name: au, schema: {type: string, format: date}}
          responses:
            200: {description: "dossiers, certificats, en_cours, non_certifies, abandonnes, generated_at"}
            403: {description: Profil sans accès aux statistiques}
            422: {description: Dates invalides (messages par champ)}
        """
        params = self._periode_params()
        periode = stats.periode(params["du"], params["au"])
        tableau = stats.tableau(g.user, periode)
        return self.response(
            200,
            **tableau["compteurs"],
            generated_at=tableau["generated_at"].isoformat(timespec="seconds"),
            du=params["du"] or None,
            au=params["au"] or None,
            par_statut={code: n for code, _, n in tableau["par_statut"]},
            par_mois=[
                {
                    "mois": f"{m['annee']}-{m['mois']:02d}",
                    "inscriptions": m["inscriptions"],
                    "certifications": m["certifications"],
                }
                for m in tableau["par_mois"]
            ],
        )

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self):
        """« Télécharger l'ensemble des statistiques » (.xlsx, streamed).
        ---
        get:
          parameters:
          - {in: query, name: du, schema: {type: string, format: date}}
          - {in: query, name: au, schema: {type: string, format: date}}
          responses:
            200: {description: Classeur .xlsx en pièce jointe}
            422: {description: Dates invalides}
        """
        return self._xlsx("statistiques", self._periode_params())

    @expose("/export_dossiers", methods=["GET"])
    @protect()
    @safe
    def export_dossiers(self):
        """« Télécharger les statistiques des dossiers » (.xlsx, one row per file, streamed).
        ---
        get:
          parameters:
          - {in: query, name: du, schema: {type: string, format: date}}
          - {in: query, name: au, schema: {type: string, format: date}}
          responses:
            200: {description: Classeur .xlsx en pièce jointe}
            422: {description: Dates invalides}
        """
        return self._xlsx("dossiers", self._periode_params())

    def _xlsx(self, type_, params):
        from app.api.exports import export_answer

        return export_answer(self, exports.telecharger(g.user, type_, params))


def register(appbuilder):
    appbuilder.add_api(StatsApi)
