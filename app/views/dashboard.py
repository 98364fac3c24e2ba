"""TABLEAU DE BORD (guide §5–6). Candidate counters arrive with the candidate files."""
import datetime

from flask import g, redirect
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from app.domain import access
from app.extensions import db
from app.domain import statuts
from app.models import Candidature, DemandeHabilitation, Etablissement
from app.security import perimeter
from app.services import actualites, habilitations


class TableauDeBord(IndexView):
    route_base = ""
    default_view = "index"
    index_template = "clea/dashboard.html"

    @expose("/")
    def index(self):
        if not (g.user and g.user.is_authenticated):
            return redirect(self.appbuilder.get_url_for_login)
        profile = g.user.profil
        # News are national: every profile reads those in force; Certif Pro writes them.
        context = {"actualites": actualites.actualites_du_jour(),
                   "can_manage_news": actualites.peut_gerer(g.user)}
        if access.profile_allows(profile, access.READ, access.EVALUATIONS):
            context.update(self._candidatures())
        if access.profile_allows(profile, access.READ, access.HABILITATIONS):
            today = datetime.date.today()
            soon = today + datetime.timedelta(days=90)
            etabs = perimeter.restrict(select(func.count(Etablissement.id)), Etablissement)
            habilitees = etabs.where(habilitations.habilitee_clause(today))
            pending = perimeter.restrict(select(func.count(DemandeHabilitation.id)), DemandeHabilitation).where(
                DemandeHabilitation.etat == DemandeHabilitation.EN_ATTENTE)
            expiring = perimeter.restrict(select(func.count(DemandeHabilitation.id)), DemandeHabilitation).where(
                DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
                DemandeHabilitation.date_fin.between(today, soon))
            context["counters"] = [
                ("Etablissements", db.session.scalar(etabs)),
                ("Etablissements habilités", db.session.scalar(habilitees)),
                ("Demandes d'habilitation en attente", db.session.scalar(pending)),
                ("Habilitations arrivant à échéance sous 90 jours", db.session.scalar(expiring)),
            ]
        context["can_propose"] = access.profile_allows(profile, access.CREATE, access.EVALUATIONS)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, title="Tableau de bord",
                                    breadcrumb=[], **context)

    @staticmethod
    def _candidatures():
        """The guide's three counters of the perimeter and the latest changes (guide §6)."""
        def count(statut):
            query = perimeter.restrict(select(func.count(Candidature.id)), Candidature)
            return db.session.scalar(query.where(Candidature.statut == statut, Candidature.actif.is_(True)))
        latest = perimeter.restrict(select(Candidature), Candidature).order_by(Candidature.updated_at.desc())
        certified = latest.where(Candidature.statut == statuts.CERTIFIEE)
        return {
            "candidature_counters": [
                ("En attente d'évaluation initiale", count(statuts.ATTENTE_EVALUATION_PREALABLE)),
                ("En attente d'évaluation finale", count(statuts.ATTENTE_EVALUATION_FINALE)),
                ("En attente d'affectation à un jury", count(statuts.ATTENTE_JURY)),
            ],
            "dernieres_modifications": db.session.execute(latest.limit(5)).scalars().all(),
            "dernieres_certifiees": db.session.execute(certified.limit(5)).scalars().all(),
        }
