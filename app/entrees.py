"""Input no request may carry, refused before any view reads it (app/web.py runs `refusal()` in a before_request,
after « perimeter first »): a NUL character anywhere in the URL, the query, a form field or a JSON body
(PostgreSQL cannot store it; a file sent in a multipart field may hold any byte), and a JSON body nested deeper
than any of our bodies (a thousand « [ » would exhaust the parser's recursion). Answered 400 in French."""

from __future__ import annotations

import json

from flask import request

NUL = "\x00"
MAX_DEPTH = 20  # our deepest body: {"resultats": [{"sous_domaine": …}]} — 3 levels
CARACTERE_NUL = "La requête contient un caractère nul (\\u0000), refusé : retirez-le et réessayez."
TROP_IMBRIQUE = "Le corps de la requête est trop imbriqué (au plus 20 niveaux de listes et d'objets)."


def _json_refusal(data) -> str | None:
    """Walks a parsed JSON document without recursion: its depth and its strings (keys included)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return TROP_IMBRIQUE
        if isinstance(value, str):
            if NUL in value:
                return CARACTERE_NUL
        elif isinstance(value, dict):
            for key, item in value.items():
                if NUL in key:
                    return CARACTERE_NUL
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return None


def refusal() -> str | None:
    """The French reason to refuse this request's input, or None."""
    if NUL in request.path:
        return CARACTERE_NUL
    for key, value in request.args.items(multi=True):
        if NUL in key or NUL in value:
            return CARACTERE_NUL
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.is_json:
        raw = request.get_data(cache=True)
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except RecursionError:
            return TROP_IMBRIQUE
        except ValueError:
            return None  # not JSON: the view says so in its own words
        return _json_refusal(data)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Read (and kept) before the form is parsed: a view may still read the raw body (the API refuses a form
        # where it expects JSON); the body is bounded by MAX_CONTENT_LENGTH.
        request.get_data(cache=True)
        for key, value in request.form.items(multi=True):
            if NUL in (key or "") or NUL in (value or ""):
                return CARACTERE_NUL
        for key, upload in request.files.items(multi=True):
            if NUL in key or NUL in (upload.filename or ""):
                return CARACTERE_NUL
    return None
