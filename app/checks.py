"""Start-up checks: the rules that must hold for the whole application, verified once when it starts, so that a
forgotten perimeter rule or right is a clear error at start instead of a leak at run time."""

from __future__ import annotations

from app.domain import access
from app.domain.machine import REGISTRY

# Models served by a view or an API with no perimeter of their own: national reference data every profile reads
# and only Certif Pro's rights may write (lists of values, barème, news), or the user's own objects.
NATIONAL_MODELS = {
    "Referentiel",
    "Domaine",
    "SousDomaine",
    "ValeurListe",
    "BaremeRedevance",
    "Actualite",
    "FichierExport",
    "MailSortant",
    # The instances' public calendars (habilitation.md §2): read by everyone, written under gerer_campagnes.
    "CampagneHabilitation",
    "ReunionInstance",
    # Personal data: Certif Pro's register of processing activities.
    "Traitement",
}


class StartupError(RuntimeError):
    pass


def served_models(appbuilder) -> dict[type, list[str]]:
    """model → names of the views and APIs that serve it."""
    served: dict[type, list[str]] = {}
    for view in appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        model = getattr(datamodel, "obj", None)
        if model is not None:
            served.setdefault(model, []).append(type(view).__name__)
    return served


def problems(appbuilder) -> list[str]:
    from app.security.perimeter import RULES, route_models

    found = []
    for model, views in sorted(served_models(appbuilder).items(), key=lambda item: item[0].__name__):
        if model not in RULES and model.__name__ not in NATIONAL_MODELS:
            found.append(
                f"{model.__name__} est servi par {', '.join(sorted(views))} sans règle de périmètre "
                "(app/security/perimeter.py RULES)."
            )
    for machine in REGISTRY.values():
        unknown = sorted(set(machine.rights()) - set(access.RIGHTS) - {access.SYSTEM})
        if unknown:
            found.append(f"La machine {machine.name} demande des droits absents de la matrice : {', '.join(unknown)}.")
    from flask import current_app, has_app_context

    _, unknown_routes = route_models(current_app) if has_app_context() else ({}, [])
    for route in unknown_routes:
        found.append(
            f"La route {route} nomme un enregistrement sans dire de quel modèle (perimetre_des_routes de sa vue) : "
            "le périmètre ne peut pas y être vérifié en premier."
        )
    resources = {getattr(view, "class_permission_name", None) for view in appbuilder.baseviews}
    for tab in access.TABS:
        if tab not in resources:
            found.append(f"L'onglet {tab} de la matrice n'a ni vue ni API.")
    return found


def run(appbuilder) -> None:
    found = problems(appbuilder)
    if found:
        raise StartupError("Configuration incohérente :\n- " + "\n- ".join(found))
