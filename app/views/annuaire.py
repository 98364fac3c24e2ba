"""« Annuaire des organismes habilités » (domain.md §10, api.md "Public directory"): public, read-only, no login
(hence no @has_access). Thin: what is listed and which fields are public is in app/services/annuaire.py."""

import csv
import io

from flask import Response, request, stream_with_context, url_for
from flask_appbuilder import BaseView, expose

from app.answers import field_errors
from app.domain.regions import REGIONS
from app.exports import xlsx
from app.services import annuaire as service, dossiers, vie_habilitation

TITRE = "Annuaire des organismes habilités"
FICHIER = "annuaire-organismes-habilites"


def _url(endpoint: str, filtres: dict, **extra) -> str:
    args = {k: v for k, v in {**filtres, **extra}.items() if v and not (k == "page" and v == 1)}
    return url_for(endpoint, **args)


class AnnuaireView(BaseView):
    route_base = "/annuaire"
    default_view = "index"

    @expose("/")
    def index(self):
        filtres, erreurs = service.lire_filtres(request.args)
        resultat = service.page(filtres["region"], filtres["q"], service.lire_page(request.args.get("page")))
        return self.render_template(
            "clea/annuaire.html",
            title=TITRE,
            breadcrumb=[(TITRE, None)],
            resultat=resultat,
            filtres=filtres,
            erreurs=erreurs,
            regions=REGIONS,
            page_url=lambda n: _url("AnnuaireView.index", filtres, page=n),
            export_xlsx=_url("AnnuaireView.export", filtres),
            export_csv=_url("AnnuaireView.export_csv", filtres),
            calendriers=dossiers.calendriers(),
            decisions=vie_habilitation.decisions_publiques(),
        )

    @expose("/export")
    def export(self):
        filtres, errors = field_errors(lambda: service.verifier_filtres(request.args))
        if errors:
            return self._refus(errors)
        return xlsx.download(
            f"{FICHIER}.xlsx", "Annuaire", service.ENTETES, service.lignes_xlsx(filtres["region"], filtres["q"])
        )

    @expose("/export.csv")
    def export_csv(self):
        filtres, errors = field_errors(lambda: service.verifier_filtres(request.args))
        if errors:
            return self._refus(errors)

        def csv_lines():
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";")

            def line(values):
                writer.writerow(values)
                text = buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                return text

            # The BOM makes French Excel read UTF-8 (accents) and « ; » is its list separator.
            yield "\ufeff" + line(service.ENTETES)
            for values in service.lignes_csv(filtres["region"], filtres["q"]):
                yield line(values)

        response = Response(stream_with_context(csv_lines()), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{FICHIER}.csv"'
        return response

    def _refus(self, errors: dict):
        return self.render_template(
            "clea/annuaire_erreur.html",
            title=TITRE,
            breadcrumb=[(TITRE, None)],
            message=next(iter(errors.values()))[0],
            retour=url_for("AnnuaireView.index"),
        ), 400


def register(appbuilder):
    appbuilder.add_view_no_menu(AnnuaireView())
