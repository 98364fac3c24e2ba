"""FAB views, one module per tab of the guide; thin: forms and display, actions call services."""


def register_views(appbuilder):
    from app.views import (
        administration,
        aide,
        candidatures,
        evaluations,
        habilitations,
        referentiels,
        structures,
        users,
    )

    structures.register(appbuilder)
    habilitations.register(appbuilder)
    candidatures.register(appbuilder)
    evaluations.register(appbuilder)
    users.register(appbuilder)
    administration.register(appbuilder)
    referentiels.register(appbuilder)
    aide.register(appbuilder)
    from app.views import notifications

    notifications.register(appbuilder)
    from app.views import juries

    juries.register(appbuilder)
    from app.views import rattachements, recherche

    rattachements.register(appbuilder)
    recherche.register(appbuilder)
    from app.views import actualites, annuaire, donnees, redevances, stats

    stats.register(appbuilder)
    annuaire.register(appbuilder)
    redevances.register(appbuilder)
    actualites.register(appbuilder)
    donnees.register(appbuilder)
    from app.views import offres_cpf, verification

    offres_cpf.register(appbuilder)
    verification.register(appbuilder)
