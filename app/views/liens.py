"""« No link leads to Accès refusé » (issue 17): whether the current user may open a page of ours, asked by the
templates before they draw a link (breadcrumbs, links between records). The answer is the route's own check — the
permission FAB's `has_access` asks for on the view — and, for one record's page, the perimeter."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, g
from flask_appbuilder.const import PERMISSION_PREFIX
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.security import perimeter

RECORD_ARGS = ("pk",)


def _views() -> dict:
    views = getattr(g, "_clea_views", None)
    if views is None:
        views = g._clea_views = {view.endpoint: view for view in current_app.appbuilder.baseviews}
    return views


def ouvrable(href: str | None) -> bool:
    """True when following `href` shows the page (not a refusal, not a 404) to the current user."""
    if not href or g.get("user") is None or not g.user.is_authenticated:
        return False
    path = urlsplit(href).path
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    view_name, _, method_name = endpoint.partition(".")
    view = _views().get(view_name)
    method = getattr(view, method_name, None) if view is not None else None
    if method is None or not hasattr(method, "_permission_name"):
        return True  # not a page FAB protects (login, static…): its own rules apply
    name = (view.method_permission_name or {}).get(method_name) or method._permission_name
    permission = name if name.startswith(PERMISSION_PREFIX) else PERMISSION_PREFIX + name
    if permission not in view.base_permissions or not current_app.appbuilder.sm.has_access(
        permission, view.class_permission_name
    ):
        return False
    model = getattr(getattr(view, "datamodel", None), "obj", None)
    pk = next((args[a] for a in RECORD_ARGS if a in args), None)
    if model is not None and pk is not None:
        record = db.session.get(model, pk)
        return record is not None and perimeter.is_visible(record)
    return True
