"""FAB security manager of the platform: our user model, and roles generated from the access matrix."""

from flask import current_app, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_jwt_extended import get_jwt, jwt_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain import access
from app.models import Utilisateur
from app.security import connexions


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
        """FAB's `@safe` calls this inside its `except`: the database down is a 503, a refusal (too many failed
        logins: 429) is answered as such (app/answers.py), anything else is a real 500."""
        import contextlib
        import sys

        from app import answers
        from app.extensions import db

        error = sys.exc_info()[1]
        with contextlib.suppress(Exception):  # the database may be gone
            db.session.rollback()
        if answers.is_unavailable(error):  # the login needs the database
            return self.response(503, message=answers.INDISPONIBLE)
        refusal = answers.as_domain_error(error)
        if refusal is not None:
            body, status = answers.api_answer(refusal)
            return self.response(status, **body)
        from app import request_ids

        return self.response(500, message=answers.ERREUR_INTERNE, request_id=request_ids.log_server_error(error))

    @expose("/logout", methods=["POST"])
    @jwt_required(verify_type=False)
    @safe
    def logout(self):
        """Ends this login: its access and refresh tokens are revoked.
        ---
        post:
          description: >-
            Révoque le jeton d'accès et le jeton de rafraîchissement de cette connexion (l'un ou l'autre
            peut être présenté).
          responses:
            200:
              description: Déconnecté
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt: []
        """
        connexions.end_api_login(get_jwt())
        return self.response(200, message="Vous êtes déconnecté : les jetons de cette connexion sont révoqués.")


class CleaSecurityManager(SecurityManager):
    user_model = Utilisateur
    security_api = CleaSecurityApi

    def register_views(self):
        # Only FAB's login (web and API): users, roles and passwords have the platform's own pages. No
        # limiter on every POST of the login: only failed logins count (auth_user_db below).
        self.appbuilder.add_api(self.security_api)
        self.auth_view = self.appbuilder.add_view_no_menu(CleaAuthDBView())

    def auth_user_db(self, username, password):
        """FAB's check of a login and password (web form and API alike), refused while the account or the
        address has too many recent failures; a failure is counted, a success never."""
        if not connexions.limited():
            return super().auth_user_db(username, password)
        login = username if isinstance(username, str) else ""
        found = (self.find_user(username=login) or self.find_user(email=login)) if login else None
        keys = connexions.login_keys(found, login)
        connexions.check_not_locked(keys)
        user = super().auth_user_db(username, password)
        if user is None:
            connexions.record_failure(keys)
        return user

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

    def _with_roles_and_groups(self) -> list:
        # Every request reads them (rights, menu, perimeter): lazy loading cost two more round trips.
        return [joinedload(Utilisateur.roles), joinedload(Utilisateur.groups).joinedload(self.group_model.roles)]

    def get_user_by_id(self, pk):
        """The user with its roles and groups in one statement (issue 13: the fixed cost of a request)."""
        return self.session.get(Utilisateur, pk, options=self._with_roles_and_groups())

    def load_user(self, pk):
        """The user of a web session: active, and the session neither ended nor older than the user's last
        password change. One statement reads the user, its roles and groups and whether the login was ended."""
        statement = (
            select(Utilisateur, connexions.session_ended())
            .options(*self._with_roles_and_groups())
            .where(Utilisateur.id == int(pk))
        )
        row = self.session.execute(statement).unique().first()
        if row is None:
            return None
        user, ended = row
        if ended or not user.active or not connexions.session_is_current(user):
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """The user of an API token (its revocation is checked before, by connexions.token_is_revoked)."""
        user = self.get_user_by_id(int(jwt_data["sub"]))
        if user is not None and user.active:
            g.user = user
            return user
        return None

    def on_user_logout(self, user) -> None:
        connexions.close_session(user)

    def on_user_login(self, user) -> None:
        g.clea_user = user
