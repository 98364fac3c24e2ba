"""Cross-cutting web behaviour: security headers, CSRF, French error pages, template filters and the
navigation of the guide (built from the access matrix)."""

import contextlib
import logging
import secrets
import time
from urllib.parse import quote

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_appbuilder.api import BaseApi
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup, escape

from app import answers, formatting, request_ids
from app.domain import access
from app.domain.errors import TooManyAttempts

log = logging.getLogger(__name__)
csrf = CSRFProtect()

# Scripts: our files and FAB's (static/), and the inline blocks that carry this request's nonce — no
# inline event handler, no javascript: URL, no eval. Styles: files only for <link>/<style> (style-src-elem),
# but style="…" attributes stay allowed (style-src-attr): FAB's templates hide forms and lay out buttons with
# them, and an attribute cannot run code. A browser without the CSP 3 directives falls back on style-src.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; style-src-elem 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def csp_nonce() -> str:
    """This request's script nonce (`<script nonce="{{ csp_nonce() }}">`), drawn once per request. A Jinja
    global, so that FAB's templates find it too (their `baselib.get_nonce()` asks for `csp_nonce`)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message, **extra):
    payload = {"message": message}
    payload.update(extra)
    return jsonify(payload), status


def install(app) -> None:
    csrf.init_app(app)
    # The REST API authenticates with a bearer token, not a cookie: no CSRF there.
    for view in app.appbuilder.baseviews:
        if isinstance(view, BaseApi) and view.blueprint is not None:
            csrf.exempt(view.blueprint)

    _french_jwt_errors(app.appbuilder.sm.jwt_manager)
    from app.security import connexions

    connexions.install(app)
    _french_form_messages()
    _safe_list_arguments()
    _french_default_titles(app.appbuilder)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Pages, API answers and files may hold personal data: never kept by a browser or a proxy cache.
        # Only the static assets (style sheets, scripts, images) may be cached.
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        return response

    from app import metrics

    metrics.install(app)
    from app.services import consultations

    consultations.install(app)  # the journal of who opened which candidate file (donnees-personnelles.md §3)

    @app.route("/sante")
    def sante():
        """Health for operators and load balancers (no login, nothing personal): 503 names what is down."""
        from app.services import sante as health

        report, ok = health.etat()
        return jsonify(report), 200 if ok else 503

    @app.errorhandler(404)
    def not_found(error):
        if is_api_request():
            return json_error(404, "Élément introuvable.")
        return render_template(
            "clea/error.html",
            code=404,
            title="Page introuvable",
            message="La page demandée n'existe pas ou ne fait pas partie de votre périmètre.",
            appbuilder=app.appbuilder,
        ), 404

    @app.errorhandler(405)
    def not_allowed(error):
        if is_api_request():
            return json_error(405, "Méthode non autorisée.")
        return render_template(
            "clea/error.html",
            code=405,
            title="Action impossible",
            message="Cette action n'est pas possible ici.",
            appbuilder=app.appbuilder,
        ), 405

    @app.errorhandler(403)
    def forbidden(error):
        if is_api_request():
            return json_error(403, "Vous n'avez pas les droits nécessaires pour cette action.")
        return render_template(
            "clea/error.html",
            code=403,
            title="Accès refusé",
            message="Vous n'avez pas les droits nécessaires pour cette page.",
            appbuilder=app.appbuilder,
        ), 403

    @app.errorhandler(413)
    def too_large(error):
        from app.services.documents import TROP_GROS

        message = TROP_GROS
        if is_api_request():
            return json_error(413, message)
        return render_template(
            "clea/error.html", code=413, title="Fichier trop volumineux", message=message, appbuilder=app.appbuilder
        ), 413

    @app.errorhandler(429)
    def too_many_requests(error):
        message = "Trop de tentatives : veuillez patienter quelques secondes avant de réessayer."
        if is_api_request():
            return json_error(429, message)
        return render_template(
            "clea/error.html", code=429, title="Trop de tentatives", message=message, appbuilder=app.appbuilder
        ), 429

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        flash("Votre session a expiré : veuillez recommencer.", "warning")
        return redirect(request.referrer or url_for("TableauDeBord.index"))

    def domain_error(error):
        """Every refusal of a service, in one place: JSON for the API, a flash and the previous page for
        the UI, the 404 page outside the perimeter."""
        from app.extensions import db

        db.session.rollback()
        refusal = answers.as_domain_error(error)
        if is_api_request():
            body, status = answers.api_answer(refusal)
            return jsonify(body), status
        if refusal.status == 404:
            return not_found(refusal)
        flash(answers.ui_message(refusal), "danger")
        if isinstance(refusal, TooManyAttempts):  # a login refused: back to the login form
            return redirect(app.appbuilder.get_url_for_login)
        back = request.referrer
        if not back or back == request.url:
            back = url_for("TableauDeBord.index")
        return redirect(back)

    for error_type in answers.ANSWERED:
        app.register_error_handler(error_type, domain_error)

    # After a failure, every request of the next seconds answers 503 at once, the login page included (a circuit
    # breaker): the web workers do not pile up waiting for a database that just failed; then one request tries again.
    breaker = {"until": 0.0}

    @app.before_request
    def database_recently_down():
        if time.monotonic() < breaker["until"] and request.endpoint not in ("static", "appbuilder.static", "sante"):
            return _unavailable()
        return None

    from app.security import perimeter

    perimeter.install(app)  # perimeter first: after the identity (connexions) and the circuit breaker above

    @app.before_request
    def unreadable_input():
        """NUL characters, bodies nested too deep (app/entrees.py): 400 in French, before any view."""
        from app import entrees

        message = entrees.refusal()
        if message is not None:
            return bad_request(message)
        return None

    def bad_request(message):
        if is_api_request():
            return json_error(400, message)
        return render_template(
            "clea/error.html", code=400, title="Requête invalide", message=message, appbuilder=app.appbuilder
        ), 400

    @app.errorhandler(400)
    def bad_request_error(error):
        return bad_request("La requête est incomplète ou mal formée : revenez à la page précédente et réessayez.")

    def _unavailable():
        if is_api_request():
            return json_error(503, answers.INDISPONIBLE)
        # Straight from the Jinja environment: render_template would run the context processors, and Flask-Login's
        # loads the user from the database.
        page = app.jinja_env.get_template("clea/indisponible.html").render(message=answers.INDISPONIBLE)
        return page, 503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "30"}

    def database_down(error):
        """Every page and answer while the database does not answer: the page is drawn without it (no menu, no
        user: both would ask the database again)."""
        log.error("Base de données indisponible : %s", error)
        breaker["until"] = time.monotonic() + app.config["DB_PANNE_SECONDES"]
        from app.extensions import db

        with contextlib.suppress(Exception):  # the connection is gone; the pool replaces it later
            db.session.rollback()
        return _unavailable()

    for error_type in answers.UNAVAILABLE:
        app.register_error_handler(error_type, database_down)

    @app.errorhandler(500)
    def server_error(error):
        """A real server error (Flask has logged it once, with its stack and the request id): the French page or
        answer, giving the request id as the error's reference."""
        from app.extensions import db

        with contextlib.suppress(Exception):
            db.session.rollback()
        request_id = request_ids.current()
        if is_api_request():
            return json_error(500, answers.ERREUR_INTERNE, request_id=request_id)
        return render_template(
            "clea/error.html",
            code=500,
            title="Erreur",
            message="Une erreur est survenue. L'équipe technique a été prévenue.",
            request_id=request_id,
            appbuilder=app.appbuilder,
        ), 500

    formatting.install(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["clea_boutons_ligne"] = row_buttons
    app.jinja_env.globals["clea_static"] = static_url
    from app.services.documents import TAILLE_MAX

    app.jinja_env.globals["clea_taille_max"] = formatting.taille_fr(TAILLE_MAX)  # « 4,0 Mo »
    from app.services.audit import readable_changes

    app.jinja_env.filters["changements"] = readable_changes
    app.jinja_env.filters["lien_de_page"] = lien_de_page
    app.context_processor(lambda: {"clea_nav": navigation, "clea_can": can, "event_url": event_url})
    app.context_processor(lambda: {"clea_notifications": notifications_menu})
    from app.views.liens import ouvrable

    app.jinja_env.globals["clea_ouvrable"] = ouvrable


# The row key's placeholder in the addresses drawn once per page: a number, so that `<int:pk>` routes take it.
ROW_KEY = 7_000_000_000_000_000_007


def row_buttons(modelview_name: str, filters, can_show: bool, can_edit: bool, can_delete: bool):
    """FAB's `btn_crud` (a list row's « show », « edit », « delete » buttons, the same HTML), drawn once per page:
    the addresses with a placeholder for the row's key and the titles translated once, each row only puts its
    key in. FAB's macros, called for each of 20 rows, took a quarter of the list's drawing (url_for and six
    translations per row)."""
    from flask_babel import gettext as _

    # FAB's own template filters, as its macro calls them: no route, no button; a related view's filters follow
    # the show and edit links.
    safe_url_for, set_link_filters = (current_app.jinja_env.filters[n] for n in ("safe_url_for", "set_link_filters"))
    nonce = csp_nonce()

    def address(action: str, with_filters: bool) -> str | None:
        path = safe_url_for(f"{modelview_name}.{action}", pk=ROW_KEY)
        return set_link_filters(path, filters) if path and with_filters else path

    def link(href: str, icon: str, title: str, label: str) -> str:
        return (
            f'<a href="{escape(href)}" class="btn btn-sm btn-default" data-toggle="tooltip" rel="tooltip" '
            f'title="{escape(title)}"><span class="sr-only">{escape(label)}</span><i class="fa {icon}"></i></a>'
        )

    pieces = []
    if can_show and (href := address("show", True)):
        pieces.append(link(href, "fa-search", _("Show record"), _("Show")))
    if can_edit and (href := address("edit", True)):
        pieces.append(link(href, "fa-edit", _("Edit record"), _("Edit")))
    if can_delete and (href := address("delete", False)):
        pieces.append(
            f'<a id="btn-delete-{escape(href)}" href="#" class="btn btn-sm btn-default confirm" rel="tooltip" '
            f'title="{escape(_("Delete record"))}"><span class="sr-only">{escape(_("Delete"))}</span>'
            f'<i class="fa fa-trash"></i></a><script nonce="{nonce}">'
            f'document.getElementById("btn-delete-{escape(href)}").addEventListener("click", function () {{ '
            "const adminAction = new AdminActions(); "
            f"return adminAction.execute_single_delete('{escape(href)}',"
            f"'{escape(_('Are you sure you want to delete this item?'))}'); }})</script>"
        )
    drawn = '<div class="btn-group btn-group-xs" style="display: flex;">' + "".join(pieces) + "</div>"
    placeholder = str(ROW_KEY)

    def buttons(pk) -> Markup:
        # The key as url_for writes it in a path (werkzeug's default converter), then as HTML.
        key = str(pk) if isinstance(pk, int) else str(escape(quote(str(pk), safe="!$&'()*+,:;=@")))
        return Markup(drawn.replace(placeholder, key))

    return buttons


_static_addresses: dict[tuple, str] = {}


def static_url(endpoint: str, filename: str) -> str:
    """`url_for` of a static file (`static` or `appbuilder.static`), made once per application and file: every
    page links 23 of them, and url_for builds each through the router (~10 µs apiece)."""
    key = (current_app._get_current_object(), request.script_root if request else "", endpoint, filename)
    found = _static_addresses.get(key)
    if found is None:
        found = _static_addresses[key] = url_for(endpoint, filename=filename)
    return found


def lien_de_page(page: int, modelview_name: str, suite: str | None = None) -> str:
    """FAB's `link_page` (the list's address, its other arguments kept) whose cursor is the link's own: `suite`
    for « Page suivante » / « Page précédente » (app/services/listes.py), none for the numbered pages."""
    args = request.args.copy()
    args.pop("suite", None)
    args["page_" + modelview_name] = str(page)
    if suite:
        args["suite"] = suite
    return url_for(request.endpoint, **{**(request.view_args or {}), **args.to_dict()})


def _french_jwt_errors(jwt):
    """Flask-JWT-Extended answers before FAB for a missing, invalid or expired token, or a deactivated user."""

    def unauthorized(message):
        return lambda *args: json_error(401, message)

    jwt.unauthorized_loader(unauthorized("Authentification requise."))
    jwt.invalid_token_loader(unauthorized("Jeton d'authentification invalide."))
    jwt.expired_token_loader(unauthorized("Jeton d'authentification expiré : reconnectez-vous."))
    jwt.revoked_token_loader(unauthorized("Jeton d'authentification révoqué."))
    jwt.needs_fresh_token_loader(unauthorized("Reconnectez-vous pour cette action."))
    jwt.user_lookup_error_loader(unauthorized("Compte désactivé ou inconnu : authentification refusée."))


def _french_form_messages():
    """Flask-WTF translates form messages with WTForms' own catalogue only, so the messages of FAB's fields
    ("Not a valid choice", "Already exists.") stayed in English: fall back on Flask-Babel (FAB's catalogue
    and ours, app/translations). FAB's empty choice of a dropdown is labelled « — Aucun — », not "__None"."""
    import flask_babel
    from flask_appbuilder.fields import QuerySelectField
    from flask_wtf import i18n

    if getattr(i18n.Translations, "clea_french", False):
        return
    wtforms_gettext = i18n.Translations.gettext

    def gettext(self, string):
        translated = wtforms_gettext(self, string)
        return flask_babel.gettext(string) if translated == string else translated

    fab_iter_choices = QuerySelectField.iter_choices

    def iter_choices(self):
        for choice in fab_iter_choices(self):
            if choice[0] == "__None" and not choice[1]:
                choice = (choice[0], "— Aucun —") + tuple(choice[2:])
            yield choice

    i18n.Translations.gettext = gettext
    i18n.Translations.clea_french = True
    QuerySelectField.iter_choices = iter_choices


MAX_PAGE = 10**6  # past the last page anyway: an empty page, never an integer the database cannot take
MAX_PAGE_SIZE = 100  # as the API (FAB_API_MAX_PAGE_SIZE)


def _safe_list_arguments():
    """FAB reads a list's page (`page_<View>=`) and page size (`psize_<View>=`) with a bare int(): « abc » or a
    number beyond 64 bits gave a 500, and any page size was served. Unreadable values are ignored, the others
    kept within bounds. (The sort column is checked by CleaModelView._get_list_widget.)"""
    from flask_appbuilder import baseviews, views

    if getattr(baseviews, "clea_safe_list_arguments", False):
        return

    def numbers(prefix: str, low: int, high: int) -> dict:
        found = {}
        for arg in request.args:
            if not arg.startswith(prefix):
                continue
            raw = request.args.get(arg, "").strip()
            if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 18):
                continue
            found[arg[len(prefix) :]] = min(max(int(raw), low), high)
        return found

    def get_page_args():
        return numbers("page_", 0, MAX_PAGE)

    def get_page_size_args():
        return numbers("psize_", 1, MAX_PAGE_SIZE)

    for module in (baseviews, views):
        module.get_page_args = get_page_args  # type: ignore[attr-defined]
        module.get_page_size_args = get_page_size_args  # type: ignore[attr-defined]
    baseviews.clea_safe_list_arguments = True  # type: ignore[attr-defined]


def _french_default_titles(appbuilder):
    """A ModelView without its own titles gets FAB's "List X", "Show X", "Add X", "Edit X" (English, not
    translatable): French ones instead. Views should still set their own titles."""
    from flask_appbuilder.baseviews import BaseCRUDView

    for view in appbuilder.baseviews:
        if not isinstance(view, BaseCRUDView):
            continue
        name = view._prettify_name(view.datamodel.model_name)
        french = name[:1] + name[1:].lower()
        for attr, english, title in (
            ("list_title", "List ", "{} — liste"),
            ("show_title", "Show ", "{} — détail"),
            ("add_title", "Add ", "{} — création"),
            ("edit_title", "Edit ", "{} — modification"),
        ):
            if getattr(view, attr) == english + name:
                setattr(view, attr, title.format(french))


def event_url(candidature_id: int, event: str) -> str:
    """Where a button of the candidature machine posts (one endpoint runs every event)."""
    from app.domain.statuts import CANDIDATURE

    definition = CANDIDATURE.event(event)
    return url_for("CandidatureView.evenement", pk=candidature_id, action=definition.path or event)


def current_profile():
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.profil


def can(permission: str, tab: str) -> bool:
    profile = current_profile()
    return bool(profile) and access.profile_allows(profile, permission, tab)


def navigation():
    """The guide's top menu for the current profile: only the tabs it may use."""
    profile = current_profile()
    if profile is None:
        return {"tabs": [], "reseau": []}
    from app.views.navigation import reseau_menu, top_tabs

    return {"tabs": top_tabs(profile), "reseau": reseau_menu(profile)}


def notifications_menu():
    """The bell of the navbar: unread count and the latest notifications of the logged-in user (one statement,
    once per request even if several templates ask)."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(g, "clea_notifications"):
        from app.services import notifications

        count, latest = notifications.bell(user)
        g.clea_notifications = {"count": count, "latest": latest}
    return g.clea_notifications
