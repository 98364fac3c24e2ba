"""REST API (api.md): FAB ModelRestApi per resource, through the same services and perimeter as the UI."""


def register_apis(appbuilder):
    from app.api import candidatures, formations, french, resources
    french.install()
    resources.register(appbuilder)
    candidatures.register(appbuilder)
    formations.register(appbuilder)
