"""Document download, shared by the UI and the API: attachment, nosniff, no caching."""
from urllib.parse import quote

from flask import Response


def send_document(document) -> Response:
    response = Response(document.contenu, mimetype=document.type_mime)
    response.headers["Content-Disposition"] = (f'attachment; filename="{document.nom}"; '
                                               f"filename*=UTF-8''{quote(document.nom)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
