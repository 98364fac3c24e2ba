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


def send_parts(parts, filename: str, mimetype: str, size: int | None = None) -> Response:
    """A big file streamed part after part (never whole in memory), as an attachment."""
    from flask import stream_with_context

    response = send_bytes(b"", filename, mimetype)
    response.response = stream_with_context(parts)
    if size is not None:
        response.headers["Content-Length"] = str(size)
    return response


def send_document(document) -> Response:
    return send_bytes(document.contenu, document.nom, document.type_mime)


def send_temporary_file(output, filename: str, mimetype: str) -> Response:
    """A file built into a temporary file (the access ZIP): streamed, then closed (and so deleted)."""
    from flask import send_file

    response = send_file(output, mimetype=mimetype, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
