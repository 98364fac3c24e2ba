"""Mes utilisateurs (guide §9), Mon profil (guide §5), password links (invitation, « Mot de passe oublié ? »)."""

from flask import flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.answers import field_errors
from app.domain import access
from app.formatting import oui_non
from app.models import JetonUtilisateur, Utilisateur
from app.security import connexions, perimeter
from app.services import audit, choix, dossiers, users as user_service
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView, submitted
from app.views.selection import SELECTION_PERMISSIONS, SelectionActions

FIELDS = (
    "role",
    "username",
    "first_name",
    "last_name",
    "email",
    "reseau",
    "organisme",
    "etablissement",
    "certificateur",
)


def _flash_pending_email(user, asked: str, subject: str) -> None:
    if user.email_pending and user.email_pending == asked.strip():
        flash(
            f"{subject} ({user.email_pending}) doit être confirmée : un lien de confirmation lui a été envoyé et "
            f"l'adresse actuelle ({user.email}) a été prévenue. D'ici là, les messages restent envoyés à "
            "l'adresse actuelle.",
            "info",
        )


class UtilisateurView(SelectionActions, CleaModelView):
    route_base = "/utilisateurs"
    datamodel = ServiceInterface(Utilisateur)
    tab = access.UTILISATEURS
    list_title = "Mes utilisateurs"
    list_columns = ["profil", "first_name", "last_name", "email", "rattachement", "active"]
    search_columns = ["first_name", "last_name", "email", "username", "active"]
    order_columns = ["first_name", "last_name", "email"]
    base_order = ("last_name", "asc")
    label_columns = {
        "profil": "Rôle",
        "first_name": "Prénom",
        "last_name": "Nom",
        "email": "Email",
        "username": "Login de connexion",
        "rattachement": "Rattachement",
        "active": "Actif",
    }
    formatters_columns = {"active": oui_non}
    pickers = user_service.RATTACHEMENTS  # typed, inside the creator's perimeter
    # Users are deactivated, never deleted.
    extra_permissions = {"activer": "edit", **SELECTION_PERMISSIONS}
    exclude_route_methods = {"delete"}
    lot_unit, lot_headers, lot_filename = "compte(s)", ("Utilisateur", "Email"), "utilisateurs-selection.xlsx"

    def changer_actif(self, item, actif):
        return user_service.changer_actif(g.user, item.id, actif)

    def lot_libelle(self, item):
        return item.nom_complet

    def lot_detail(self, item):
        return item.email

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._form(None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        target = user_service.get_managed(g.user, pk)
        return self._form(target)

    def _form(self, target):
        errors, values = {}, {}
        if target is not None:
            values = {
                "role": target.profil,
                "username": target.username,
                "first_name": target.first_name,
                "last_name": target.last_name,
                "email": target.email,
                "reseau": target.reseau_id,
                "organisme": target.organisme_id,
                "etablissement": target.etablissement_id,
                "certificateur": target.certificateur_id,
            }
        if request.method == "POST":
            values = {field: request.form.get(field, "").strip() for field in FIELDS}
            if target is None:
                created, errors = field_errors(lambda: user_service.creer(g.user, values))
                if not errors:
                    flash(
                        f"L'utilisateur {created.nom_complet} est créé : il reçoit un email pour choisir son "
                        "mot de passe.",
                        "success",
                    )
            else:
                updated, errors = field_errors(lambda: user_service.modifier(g.user, target.id, values))
                if not errors:
                    flash("Modifications enregistrées.", "success")
                    _flash_pending_email(updated, values["email"], "Cette nouvelle adresse")
            if not errors:
                return redirect(url_for("UtilisateurView.list"))
        title = "Créer un utilisateur" if target is None else "Modifier l'utilisateur"
        return self.render_template(
            "clea/utilisateur_form.html",
            title=title,
            target=target,
            values=values,
            errors=errors,
            roles=user_service.grantable_profiles(g.user),
            levels=access.PERIMETER_LEVEL,
            pickers={
                field: self.picker(field, values.get(field))
                for field, source in user_service.RATTACHEMENTS.items()
                if choix.offre(source, g.user)
            },
            breadcrumb=[("Mes utilisateurs", url_for("UtilisateurView.list")), (title, None)],
        )

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        target = perimeter.get_visible(Utilisateur, pk)
        return self.render_template(
            "clea/utilisateur_show.html",
            title=target.nom_complet,
            target=target,
            can_edit=self.can("can_edit") and target.profil in user_service.grantable_profiles(g.user),
            audit=audit.lignes(utilisateur_id=target.id),
            breadcrumb=[("Mes utilisateurs", url_for("UtilisateurView.list")), (target.nom_complet, None)],
        )

    @expose("/<int:pk>/activer", methods=["POST"])
    @has_access
    def activer(self, pk):
        active = request.form.get("actif") == "1"
        return self.run_action(
            lambda: user_service.changer_actif(g.user, pk, active),
            url_for("UtilisateurView.show", pk=pk),
            "Le compte est réactivé."
            if active
            else "Le compte est désactivé : cet utilisateur ne peut plus se connecter.",
        )


class MonProfilView(BaseView):
    """« Mon profil »: every logged-in user, whatever their profile."""

    route_base = "/mon-profil"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    def index(self):
        if not (g.user and g.user.is_authenticated):
            return redirect(self.appbuilder.get_url_for_login)
        errors, values = {}, {"first_name": g.user.first_name, "last_name": g.user.last_name, "email": g.user.email}
        if request.method == "POST":
            form = request.form
            # Two forms on the page: the password one is recognised even when sent empty.
            password_form = form.get("action") == "mot_de_passe" or "nouveau" in form or "actuel" in form
            if password_form:
                _, errors = field_errors(
                    lambda: user_service.changer_mot_de_passe(
                        g.user, form.get("actuel"), form.get("nouveau"), form.get("confirmation")
                    )
                )
                if not errors:  # every other session and API token of the user is over, not this one
                    connexions.keep_current_session(g.user)
                done = "Votre mot de passe a été changé. Vos autres sessions et vos jetons d'API sont fermés."
            else:
                values = {k: form.get(k, "") for k in ("first_name", "last_name", "email")}
                _, errors = field_errors(lambda: user_service.modifier_profil(g.user, values))
                done = "Votre profil a été mis à jour."
            if not errors:
                flash(done, "success")
                if not password_form:
                    _flash_pending_email(g.user, values["email"], "Votre nouvelle adresse")
                return redirect(url_for("MonProfilView.index"))
        return self.render_template(
            "clea/mon_profil.html",
            title="Mon profil",
            values=values,
            errors=errors,
            password_rule=user_service.PASSWORD_RULE,
        )


LINK_KEY = "clea_lien"  # the session's link being used: its hash, never the code itself


class MotDePasseView(BaseView):
    """Public pages: « Mot de passe oublié ? » and the single-use link that sets a password."""

    route_base = "/compte"
    default_view = "oublie"

    @expose("/mot-de-passe-oublie", methods=["GET", "POST"])
    def oublie(self):
        errors = {}
        if request.method == "POST":
            _, errors = field_errors(lambda: user_service.demander_reinitialisation(request.form.get("login", "")))
            if not errors:
                flash(
                    "Si cet identifiant correspond à un compte actif, un email contenant un lien pour choisir "
                    "un nouveau mot de passe vient d'être envoyé.",
                    "info",
                )
                return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("clea/mot_de_passe_oublie.html", title="Mot de passe oublié", errors=errors)

    @expose("/lien", methods=["GET", "POST"])
    def lien(self):
        """Every mailed link opens here (`/compte/lien#code`): the page posts the code found after « # »
        (app/static/clea/lien.js), which is never in a URL the server sees. A password link leads to the form
        (the session holds which link it is); a confirmation link confirms the new address at once."""
        if request.method == "GET":
            return self.render_template("clea/lien.html", title="Ouverture du lien")
        code = (request.form.get("jeton") or request.form.get("code") or "").strip().lstrip("#")
        empreinte = user_service.empreinte(code)
        row = user_service.jeton_valide(empreinte, user_service.ALL_LINKS)
        if row is None:
            # A notice of a habilitation dossier: its acknowledgment of receipt (app/services/dossiers.py).
            avis = dossiers.accuser_reception(empreinte, g.user if g.user and g.user.is_authenticated else None)
            if avis is not None:
                flash(f"Merci : la réception du courrier « {avis.titre} » est enregistrée.", "success")
                return redirect(self.appbuilder.get_url_for_index)
            return self._gone()
        if row.objet == JetonUtilisateur.EMAIL:
            user = user_service.confirmer_email(empreinte)
            flash(f"Votre nouvelle adresse email est confirmée : {user.email}.", "success")
            return redirect(self.appbuilder.get_url_for_index)
        session[LINK_KEY] = empreinte
        return redirect(url_for("MotDePasseView.definir"))

    @expose("/mot-de-passe", methods=["GET", "POST"])
    def definir(self):
        empreinte = session.get(LINK_KEY)
        row = user_service.jeton_valide(empreinte)
        if row is None:
            session.pop(LINK_KEY, None)
            return self._gone()
        errors = {}
        if request.method == "POST":
            outcome = submitted(
                lambda: user_service.definir_mot_de_passe(
                    empreinte, request.form.get("password"), request.form.get("confirmation")
                )
            )
            errors = outcome.errors
            if not errors:  # set, or refused (the refusal is flashed): back to the login page
                session.pop(LINK_KEY, None)
                if outcome.ok:
                    flash("Votre mot de passe est enregistré : vous pouvez vous connecter.", "success")
                return redirect(self.appbuilder.get_url_for_login)
        return self.render_template(
            "clea/mot_de_passe_definir.html",
            title="Choisir votre mot de passe",
            user=row.user,
            errors=errors,
            password_rule=user_service.PASSWORD_RULE,
        )

    @expose("/mot-de-passe/<ancien>", methods=["GET", "POST"])
    def ancien_lien(self, ancien):
        """Links of the older form (the code in the path) are no longer accepted."""
        return self._gone()

    def _gone(self):
        return self.render_template(
            "clea/error.html", code=410, title="Lien expiré", message=user_service.LINK_INVALID
        ), 410


def register(appbuilder):
    appbuilder.add_view_no_menu(UtilisateurView())
    appbuilder.add_view_no_menu(MonProfilView())
    password_pages = appbuilder.add_view_no_menu(MotDePasseView())
    if appbuilder.sm.is_auth_limited:
        # Like the login: each request sends a mail, so a flood of them is refused (429).
        appbuilder.sm.limiter.limit(appbuilder.sm.auth_rate_limit, methods=["POST"])(password_pages.blueprint)
