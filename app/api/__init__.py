"""REST API (api.md): FAB ModelRestApi per resource, through the same services and perimeter as the UI."""


def register_apis(appbuilder):
    from app.api import candidatures, evaluations, formations, french, resources

    french.install()
    resources.register(appbuilder)
    candidatures.register(appbuilder)
    formations.register(appbuilder)
    evaluations.register(appbuilder)
    from app.api import notifications

    notifications.register(appbuilder)
    from app.api import juries

    juries.register(appbuilder)
    from app.api import rattachements

    rattachements.register(appbuilder)
    from app.api import actualites, donnees, exports, redevances, stats

    stats.register(appbuilder)
    exports.register(appbuilder)
    redevances.register(appbuilder)
    actualites.register(appbuilder)
    donnees.register(appbuilder)
    from app.api import offres_cpf

    offres_cpf.register(appbuilder)
