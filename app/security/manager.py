"""FAB security manager of the platform: our user model, and roles generated from the access matrix."""

from flask import current_app, g
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView

from app.domain import access
from app.models import Utilisateur


class CleaAuthDBView(AuthDBView):
    """FAB's login, with the guide's page (« Connexion », « Mot de passe oublié ? »)."""

    login_template = "clea/login.html"
    invalid_login_message = "Identifiant ou mot de passe incorrect, ou compte désactivé."


class CleaSecurityApi(SecurityApi):
    """FAB's JWT login (POST /api/v1/security/login), answering in French."""

    def response_400(self, message=None):
        from app.api.french import translate

        if message == "Request payload is not JSON" or not message:
            message = "Le corps de la requête doit être un objet JSON."
        return self.response(400, message=translate(message))

    def response_401(self):
        return self.response(401, message="Identifiant ou mot de passe incorrect, ou compte désactivé.")

    def response_500(self, message=None):
        import sys

        from app import answers

        if answers.is_unavailable(sys.exc_info()[1]):  # the login needs the database
            return self.response(503, message=answers.INDISPONIBLE)
        return self.response(500, message="Une erreur interne est survenue.")


class CleaSecurityManager(SecurityManager):
    user_model = Utilisateur
    security_api = CleaSecurityApi

    def register_views(self):
        # Only FAB's login (web and API): users, roles and passwords have the platform's own pages.
        security_api = self.appbuilder.add_api(self.security_api)
        self.auth_view = self.appbuilder.add_view_no_menu(CleaAuthDBView())
        if self.is_auth_limited:
            for view in (self.auth_view, security_api):
                self.limiter.limit(self.auth_rate_limit, methods=["POST"])(view.blueprint)

    @staticmethod
    def create_builtin_roles():
        # The nine profiles, from ONE table (app/domain/access.py).
        return current_app.config.get("FAB_ROLES") or access.fab_roles()

    def _has_access_builtin_roles(self, role, permission_name: str, view_name: str) -> bool:
        # Exact match (FAB matches regexes): a resource name is never a prefix of another.
        return (view_name, permission_name) in self._builtin_sets().get(role.name, ())

    def _builtin_sets(self):
        cache = getattr(self, "_builtin_set_cache", None)
        if cache is None:
            cache = {role: set(pairs) for role, pairs in self.builtin_roles.items()}
            self._builtin_set_cache = cache
        return cache

    def load_user(self, pk):
        user = super().load_user(pk)
        return user if user is not None and user.active else None

    def on_user_login(self, user) -> None:
        g.clea_user = user
