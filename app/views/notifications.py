"""NOTIFICATIONS (guide §21, domain.md §9): one's own notifications, filtered, opened, marked as read.
Thin: the rules (what is "mine", what a safe link is, marking) are in app/services/notifications.py."""

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.answers import field_errors
from app.domain import access
from app.models import Notification
from app.security import perimeter
from app.services import notifications as service

FILTERS = ("rubrique", "titre", "contenu", "lue")
MAX_FILTER_LENGTH = 250


def read_filters(source) -> dict:
    """The page's filters from a query string or a form, reduced to values the page knows (also used to come
    back to the same list after an action, so nothing else is ever put in the redirect)."""
    rubrique = source.get("rubrique", "")
    # The page opens on the unread ones (issue 17); « Toutes » is the explicit empty value `lue=`.
    lue = source.get("lue", "non")
    values = {
        "rubrique": rubrique if rubrique in Notification.RUBRIQUES else "",
        "titre": (source.get("titre") or "").strip()[:MAX_FILTER_LENGTH],
        "contenu": (source.get("contenu") or "").strip()[:MAX_FILTER_LENGTH],
        "lue": lue if lue in dict(service.LUE_CHOICES) else "",
    }
    page = source.get("page", "")
    values["page"] = int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1
    return values


def list_url(filters: dict, **extra) -> str:
    # `lue` is kept even empty: « Toutes » stays « Toutes » after an action or on the next page.
    args = {k: v for k, v in filters.items() if (v or k == "lue") and not (k == "page" and v == 1)}
    return url_for("NotificationView.list", **args, **extra)


class NotificationView(BaseView):
    route_base = "/notifications"
    default_view = "list"
    class_permission_name = access.NOTIFICATIONS
    perimetre_des_routes = {"lire": Notification, "ouvrir": Notification}  # perimeter first: one's own
    method_permission_name = {"list": "read", "lire": "edit", "ouvrir": "edit", "marquer_lues": "edit"}

    @expose("/")
    @has_access
    def list(self):
        filters = read_filters(request.args)
        page = service.search(
            g.user, filters["rubrique"], filters["titre"], filters["contenu"], filters["lue"], filters["page"]
        )
        filters["page"] = page.page
        # The notification just opened with the eye, shown in full (someone else's: 404).
        ouverte = request.args.get("ouverte")
        ouverte = perimeter.get_visible(Notification, ouverte, g.user) if ouverte else None
        return self.render_template(
            "clea/notifications.html",
            title="NOTIFICATIONS",
            page=page,
            filters=filters,
            ouverte=ouverte,
            rubriques=Notification.RUBRIQUES,
            lue_choices=service.LUE_CHOICES,
            safe_link=service.safe_link,
            page_url=lambda n: list_url({**filters, "page": n}),
            breadcrumb=[("Notifications", None)],
        )

    @expose("/<int:pk>/lire", methods=["POST"])
    @has_access
    def lire(self, pk):
        """The eye: marks it read and shows it in full, on the same list."""
        notification = service.mark_read(g.user, pk)
        return redirect(list_url(read_filters(request.form), ouverte=notification.id))

    @expose("/<int:pk>/ouvrir", methods=["GET", "POST"])
    @has_access
    def ouvrir(self, pk):
        """The arrow (and the bell's links): marks it read and goes to the page it is about. A link, hence GET:
        marking one's own notification read is harmless and repeatable."""
        lien = service.open_notification(g.user, pk)
        if lien:
            return redirect(lien)
        flash("Cette notification ne renvoie vers aucune page : elle est marquée comme lue.", "info")
        return redirect(url_for("NotificationView.list", ouverte=perimeter.parse_pk(pk)))

    @expose("/marquer-lues", methods=["POST"])
    @has_access
    def marquer_lues(self):
        """« Marquer comme lu » on the selected notifications (all of them must be one's own)."""
        back = list_url(read_filters(request.form))
        count, errors = field_errors(lambda: service.mark_many(g.user, request.form.getlist("ids")))
        if errors:
            flash(next(iter(errors.values()))[0], "warning")
            return redirect(back)
        if count == 0:
            flash("Les notifications sélectionnées étaient déjà lues.", "info")
        elif count == 1:
            flash("1 notification marquée comme lue.", "success")
        else:
            flash(f"{count} notifications marquées comme lues.", "success")
        return redirect(back)


def register(appbuilder):
    appbuilder.add_view_no_menu(NotificationView())
