"""Downloads, shared by the UI and the API: attachment, nosniff, no caching."""

from urllib.parse import quote

from flask import Response


def send_bytes(content: bytes, filename: str, mimetype: str) -> Response:
    response = Response(content, mimetype=mimetype)
    ascii_name = filename.encode("ascii", "ignore").decode() or "document"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_document(document) -> Response:
    return send_bytes(document.contenu, document.nom, document.type_mime)
