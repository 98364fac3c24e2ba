"""The perimeter (roles.md "Perimeter"): which rows a user may see, as SQLAlchemy filters.

One function per model gives the WHERE clause for a user; every list, page, action, dropdown, API call
and export goes through `restrict()` or `get_visible()`. A record outside it is treated as missing (404).
"""

from collections.abc import Callable
from typing import Any

from flask import g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import and_, false, or_, select, true

from app.domain import access, statuts
from app.domain.errors import NotFound
from app.extensions import db
from app.models import (
    AuditHabilitation,
    AuditLog,
    Candidature,
    Certificateur,
    ChangementSituation,
    DemandeHabilitation,
    Document,
    Etablissement,
    MiseEnConformite,
    Notification,
    OffreCpf,
    Organisme,
    RechercheNationale,
    Reseau,
    SessionOffreCpf,
    Utilisateur,
)
from app.models.evaluations import Evaluation
from app.models.formations import Formation
from app.models.habilitations import demande_certificateur, demande_etablissement
from app.models.juries import Certificat, DecisionJury, DemandeRattachement, Echange, EnvoiCertificat, SessionJury


def current_user() -> Utilisateur | None:
    if not has_request_context():
        return getattr(g, "clea_user", None) if g else None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def level_of(user) -> str | None:
    if user is None or not user.roles:
        return None
    return access.PERIMETER_LEVEL.get(user.profil)


def cle(user) -> str:
    """A key naming the user's perimeter (the same for every user who sees the same rows): caches are keyed by it."""
    return ":".join(
        str(x)
        for x in (
            level_of(user),
            user.profil,
            user.reseau_id,
            user.organisme_id,
            user.etablissement_id,
            user.certificateur_id,
        )
    )


def _organisme_ids_of_reseau(reseau_id):
    return select(Organisme.id).where(Organisme.reseau_id == reseau_id)


def _etablissement_ids_of_reseau(reseau_id):
    return select(Etablissement.id).join(Organisme).where(Organisme.reseau_id == reseau_id)


def _organisme_of_etablissement(etablissement_id):
    return select(Etablissement.organisme_id).where(Etablissement.id == etablissement_id).scalar_subquery()


def _reseau_clause(user, level):
    if level == access.RESEAU:
        return Reseau.id == user.reseau_id
    return false()


def _organisme_clause(user, level):
    if level == access.RESEAU:
        return Organisme.reseau_id == user.reseau_id
    if level == access.ORGANISME:
        return Organisme.id == user.organisme_id
    if level == access.ETABLISSEMENT:
        return Organisme.id == _organisme_of_etablissement(user.etablissement_id)
    return false()


def _etablissement_clause(user, level):
    if level == access.RESEAU:
        return Etablissement.organisme_id.in_(_organisme_ids_of_reseau(user.reseau_id))
    if level == access.ORGANISME:
        return Etablissement.organisme_id == user.organisme_id
    if level == access.ETABLISSEMENT:
        return Etablissement.id == user.etablissement_id
    return false()


def _offre_cpf_clause(user, level):
    """An establishment's CPF offers: those of the establishments of the perimeter."""
    return OffreCpf.etablissement_id.in_(select(Etablissement.id).where(_etablissement_clause(user, level)))


def _session_offre_cpf_clause(user, level):
    return SessionOffreCpf.offre_id.in_(select(OffreCpf.id).where(_offre_cpf_clause(user, level)))


def _habilitation_clause(user, level):
    if level == access.CERTIFICATEUR_LEVEL:
        # A branch sees the dossiers addressed to it once deposited; an instructor named on one, that one.
        return or_(
            and_(
                DemandeHabilitation.etat != "brouillon",
                DemandeHabilitation.id.in_(
                    select(demande_certificateur.c.demande_id).where(
                        demande_certificateur.c.certificateur_id == user.certificateur_id
                    )
                ),
            ),
            DemandeHabilitation.instructeur_id == user.id,
        )
    if level == access.RESEAU:
        return DemandeHabilitation.organisme_id.in_(_organisme_ids_of_reseau(user.reseau_id))
    if level == access.ORGANISME:
        return DemandeHabilitation.organisme_id == user.organisme_id
    if level == access.ETABLISSEMENT:
        return DemandeHabilitation.id.in_(
            select(demande_etablissement.c.demande_id).where(
                demande_etablissement.c.etablissement_id == user.etablissement_id
            )
        )
    return false()


def _utilisateur_clause(user, level):
    if level == access.CERTIFICATEUR_LEVEL:
        return Utilisateur.certificateur_id == user.certificateur_id
    if level == access.RESEAU:
        return or_(
            Utilisateur.reseau_id == user.reseau_id,
            Utilisateur.organisme_id.in_(_organisme_ids_of_reseau(user.reseau_id)),
            Utilisateur.etablissement_id.in_(_etablissement_ids_of_reseau(user.reseau_id)),
        )
    if level == access.ORGANISME:
        return or_(
            Utilisateur.organisme_id == user.organisme_id,
            Utilisateur.etablissement_id.in_(
                select(Etablissement.id).where(Etablissement.organisme_id == user.organisme_id)
            ),
        )
    if level == access.ETABLISSEMENT:
        return Utilisateur.etablissement_id == user.etablissement_id
    return false()


def _candidature_clause(user, level, files: Any = Candidature):
    """The files of the perimeter, written on `files`: the candidature table, or a table carrying a file's
    organisme_id, etablissement_id, certificateur_id and statut (the counters, app/services/compteurs.py), for which
    a rule needing another column (a jury member's sessions) gives None."""
    if level == access.CERTIFICATEUR_LEVEL:
        # A certifier sees the files sent to it, from "En attente de jury" on; a jury member only those assigned
        # to one of its certifier's sessions.
        sent = (files.certificateur_id == user.certificateur_id) & files.statut.in_(statuts.CHEZ_CERTIFICATEUR)
        if access.may(user, "voir_dossiers_non_affectes"):
            return sent
        if not hasattr(files, "session_jury_id"):
            return None
        sessions = select(SessionJury.id).where(SessionJury.certificateur_id == user.certificateur_id)
        return sent & files.session_jury_id.in_(sessions)
    if level == access.RESEAU:
        return files.organisme_id.in_(_organisme_ids_of_reseau(user.reseau_id))
    if level == access.ORGANISME:
        return files.organisme_id == user.organisme_id
    if level == access.ETABLISSEMENT:
        return files.etablissement_id == user.etablissement_id
    return false()


def candidature_clause_on(files, user):
    """The perimeter's rule for files applied to another table that carries their organisation, establishment,
    certifier and status (the counters): one rule for both; None when it cannot be expressed there."""
    level = level_of(user)
    if level is None:
        return false()
    if level == access.NATIONAL:
        return true()
    return _candidature_clause(user, level, files)


def _part_of_file(model):
    """Documents, trainings, evaluations: visible exactly when their candidate file is."""

    def rule(user, level):
        return model.candidature_id.in_(select(Candidature.id).where(_candidature_clause(user, level)))

    return rule


def _session_jury_clause(user, level):
    # Every profile reads the juries' calendar (CERTIFICATION tab); a certifier works on its own sessions only.
    if level == access.CERTIFICATEUR_LEVEL:
        return SessionJury.certificateur_id == user.certificateur_id
    return true()


def _rattachement_clause(user, level):
    """A transfer request is seen by both sides: the file's perimeter and the destination's."""
    if level == access.CERTIFICATEUR_LEVEL:
        return false()
    return or_(
        DemandeRattachement.candidature_id.in_(select(Candidature.id).where(_candidature_clause(user, level))),
        DemandeRattachement.etablissement_destination_id.in_(
            select(Etablissement.id).where(_etablissement_clause(user, level))
        ),
    )


def _audit_clause(user, level):
    if level == access.RESEAU:
        return AuditLog.organisme_id.in_(_organisme_ids_of_reseau(user.reseau_id))
    if level == access.ORGANISME:
        return AuditLog.organisme_id == user.organisme_id
    if level == access.ETABLISSEMENT:
        return AuditLog.etablissement_id == user.etablissement_id
    return false()


def _notification_clause(user, level):
    return Notification.user_id == user.id


def _changement_clause(user, level):
    """A change of situation is its organisation's: as the organisations (certifiers see none)."""
    if level == access.RESEAU:
        return ChangementSituation.organisme_id.in_(_organisme_ids_of_reseau(user.reseau_id))
    if level == access.ORGANISME:
        return ChangementSituation.organisme_id == user.organisme_id
    if level == access.ETABLISSEMENT:
        return ChangementSituation.organisme_id == _organisme_of_etablissement(user.etablissement_id)
    return false()


def _via_habilitation(model):
    """Audits and compliance procedures are their habilitation's: seen where it is."""

    def rule(user, level):
        return model.habilitation_id.in_(select(DemandeHabilitation.id).where(_habilitation_clause(user, level)))

    return rule


RULES: dict[type, Callable] = {
    Reseau: _reseau_clause,
    Organisme: _organisme_clause,
    Etablissement: _etablissement_clause,
    OffreCpf: _offre_cpf_clause,
    SessionOffreCpf: _session_offre_cpf_clause,
    DemandeHabilitation: _habilitation_clause,
    ChangementSituation: _changement_clause,
    AuditHabilitation: _via_habilitation(AuditHabilitation),
    MiseEnConformite: _via_habilitation(MiseEnConformite),
    Utilisateur: _utilisateur_clause,
    AuditLog: _audit_clause,
    Candidature: _candidature_clause,
    Document: _part_of_file(Document),
    Formation: _part_of_file(Formation),
    Evaluation: _part_of_file(Evaluation),
    DecisionJury: _part_of_file(DecisionJury),
    Echange: _part_of_file(Echange),
    Certificat: _part_of_file(Certificat),
    EnvoiCertificat: _part_of_file(EnvoiCertificat),
    SessionJury: _session_jury_clause,
    DemandeRattachement: _rattachement_clause,
    Notification: _notification_clause,
    # One's own searches (reading the journal is Certif Pro's right: national, so everything).
    RechercheNationale: lambda user, level: RechercheNationale.user_id == user.id,
    # Every profile reads the certifiers (CERTIFICATION tab); writing them is a matter of permissions.
    Certificateur: lambda user, level: true(),
}


def clause(model, user=None):
    """WHERE clause limiting `model` to the user's perimeter (a false clause when nobody is logged in)."""
    user = user if user is not None else current_user()
    level = level_of(user)
    if level is None:
        return false()
    if model is Notification:
        return _notification_clause(user, level)
    if level == access.NATIONAL:
        return true()
    rule = RULES.get(model)
    if rule is None:
        raise LookupError(f"No perimeter rule for {model.__name__}")
    return rule(user, level)


def restrict(query, model, user=None):
    """Apply the perimeter to a Query or a Select."""
    where = clause(model, user)
    return query.filter(where) if hasattr(query, "filter") else query.where(where)


def parse_pk(pk) -> int | None:
    """A primary key as the database can take it (32-bit integer), or None: "abc", "1.5", 10**30, True…
    name no record, and must answer 404 rather than reach the database (SQLite overflows, PostgreSQL
    refuses text for an integer)."""
    if isinstance(pk, bool):
        return None
    if isinstance(pk, str):
        pk = pk.strip()
        if not pk.isascii() or not pk.lstrip("-").isdigit() or len(pk) > 11:
            return None
    elif not isinstance(pk, int):
        return None
    pk = int(pk)
    return pk if -(2**31) < pk < 2**31 else None


def get_visible(model, pk, user=None):
    """The record if it exists inside the perimeter; NotFound (404) otherwise. A page's record that its route
    was checked for (`check_route`, a read) is not read a second time."""
    pk = parse_pk(pk)
    if pk is None:
        raise NotFound()
    checked = g.get("clea_route_record") if has_request_context() else None
    if checked is not None and checked[:3] == (model, pk, _user_id(user)):
        return checked[3]
    obj = db.session.execute(select(model).where(model.id == pk).where(clause(model, user))).scalar_one_or_none()
    if obj is None:
        raise NotFound()
    return obj


def _user_id(user) -> int | None:
    who = user if user is not None else current_user()
    return getattr(who, "id", None)


def is_visible(obj, user=None) -> bool:
    model = type(obj)
    return db.session.execute(select(model.id).where(model.id == obj.id).where(clause(model, user))).first() is not None


class PerimeterFilter(BaseFilter):
    """FAB base filter: `base_filters = [["id", PerimeterFilter, None]]` puts the perimeter on a view or API's
    lists, show, edit, delete and actions (FAB passes base filters to `datamodel.get`)."""

    name = "Périmètre"
    arg_name = "perimetre"

    def apply(self, query, value):
        return restrict(query, self.model)


PERIMETER = [["id", PerimeterFilter, None]]


def own_network_clause(user):
    """The network the user's organisation belongs to (its value in the organisation's form)."""
    if user is None:
        return false()
    if user.reseau_id:
        return Reseau.id == user.reseau_id
    organisme = user.organisme_id
    if organisme is None and user.etablissement_id:
        organisme = _organisme_of_etablissement(user.etablissement_id)
    if organisme is None:
        return false()
    return Reseau.id == select(Organisme.reseau_id).where(Organisme.id == organisme).scalar_subquery()


class RelatedNetworkFilter(BaseFilter):
    """The « Réseau » of an organisation's form: the networks of the perimeter, and the user's own one — an
    organisation's administrator sees (and keeps) the network of its organisation, which only Certif Pro changes."""

    name = "Réseau"
    arg_name = "reseau_du_formulaire"

    def apply(self, query, value):
        return query.filter(related_clause(Reseau, current_user()))


def related_clause(model, user=None):
    """The records a user may choose in a form's field naming a `model` (its dropdown, its quick picker, the ids
    its post may carry): the perimeter's; for a network, the user's own one too (RelatedNetworkFilter)."""
    user = user if user is not None else current_user()
    if model is Reseau:
        return or_(clause(Reseau, user), own_network_clause(user))
    return clause(model, user)


def related_filters(datamodel) -> dict:
    """FAB's `*_query_rel_fields` for every relation of a view's model whose target has a perimeter rule: the
    related dropdowns, `_info` and the ids accepted in bodies stay inside the perimeter."""
    return {
        column: [
            ["id", RelatedNetworkFilter if datamodel.get_related_model(column) is Reseau else PerimeterFilter, None]
        ]
        for column in datamodel.get_columns_list()
        if datamodel.is_relation(column) and datamodel.get_related_model(column) in RULES
    }


# --- Perimeter first: every route naming a record ---------------------------------------------------------
# Before the route's permission, its input or anything else is looked at, a record named by its URL that is not
# in the user's perimeter answers 404 — whatever the body, whatever the profile may do on the tab. One
# before_request (`install`) asks `check_route` for every route of `route_models`.

# Explanations asked before the 404 (each may raise a clearer refusal, e.g. a 409 « ce dossier vient de quitter
# votre périmètre : … » when a concurrent transition just took the record away). Registered by the layer that
# knows (the services: `perimeter.EXPLANATIONS.append(workflow.just_left)`), since this module imports none of it.
EXPLANATIONS: list[Callable] = []


def check_route(model, user, pk, acting: bool = False) -> None:
    """The perimeter's one decision for a route naming the record `pk` of `model`: nothing when the record is
    visible to `user`; otherwise, for a request that acts on it (`acting`: not a read), each of EXPLANATIONS may
    answer `(model, user, pk)` with its own refusal, and NotFound (404) is raised. A read of a record that left
    the perimeter is a 404 like any other."""
    try:
        obj = get_visible(model, pk, user)
        if not acting:
            # The page reads the record it names: the same one, for the same user, during this read.
            g.clea_route_record = (model, parse_pk(pk), _user_id(user), obj)
    except NotFound:
        parsed = parse_pk(pk)
        if parsed is not None and acting:
            for explain in EXPLANATIONS:
                explain(model, user, parsed)
        raise


RECORD_ARGUMENT = "pk"


def record_argument(rule) -> str | None:
    """The URL variable naming the record: `pk`, or the one variable `…_id` (`/documents/<int:document_id>`)."""
    if RECORD_ARGUMENT in rule.arguments:
        return RECORD_ARGUMENT
    ids = [name for name in rule.arguments if name.endswith("_id")]
    return ids[0] if len(ids) == 1 else None


def route_models(app) -> tuple[dict[str, tuple[type, str]], list[str]]:
    """endpoint → (model, URL variable) for every route of a view or an API naming a record; and the routes
    naming a record whose model is unknown (a start-up error, app/checks.py). The model is the view's (its
    `datamodel`) unless the view says otherwise in `perimetre_des_routes = {method: Model}` (None: the record is
    not one of a perimeter — e.g. one's own export —, the route's service decides)."""
    views = {view.endpoint: view for view in app.appbuilder.baseviews}
    found: dict[str, tuple[type, str]] = {}
    unknown = []
    for rule in app.url_map.iter_rules():
        owner, _, method = rule.endpoint.partition(".")
        view = views.get(owner)
        argument = record_argument(rule)
        if view is None or not method or argument is None:
            continue
        declared = getattr(view, "perimetre_des_routes", {})
        if method in declared:
            model = declared[method]
        else:
            model = getattr(getattr(view, "datamodel", None), "obj", None)
            if model is None:
                unknown.append(f"{rule.rule} ({rule.endpoint})")
                continue
        if model is not None and model in RULES:
            found[rule.endpoint] = (model, argument)
    return found, unknown


def install(app) -> None:
    """The before_request of « perimeter first » (after the request's identity is known: web session or bearer
    token). Nobody logged in: the route's own answer (401, the login page)."""
    from flask import request

    routes, _ = route_models(app)

    @app.before_request
    def perimeter_first():
        route = routes.get(request.endpoint or "")
        if route is None or not request.view_args:
            return None
        user = current_user()
        if user is None:
            return None
        model, argument = route
        check_route(model, user, request.view_args.get(argument), acting=request.method not in ("GET", "HEAD"))
        return None
