"""« Vérifier un certificat » (api.md "Certificate verification"): the public page the certificate's QR code leads to.
No login (hence no @has_access), rate-limited (VERIFICATION_RATE_LIMIT, Flask-Limiter: French 429), never indexed.
Thin: what it shows is decided by `juries.verifier`."""

from flask import current_app
from flask_appbuilder import BaseView, expose

from app.services import juries

TITRE = "Vérification d'un certificat"
NOINDEX = "noindex, nofollow"


def _jamais_indexee(response):
    """Every answer of the page (200, 404, 429) asks search engines not to index it, nor caches to keep it."""
    response.headers["X-Robots-Tag"] = NOINDEX
    response.headers["Cache-Control"] = "no-store"
    return response


class VerificationView(BaseView):
    route_base = "/verifier"

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.after_request(_jamais_indexee)
        return blueprint

    @expose("/<string:code>")
    def verifier(self, code):
        verification = juries.verifier(code)
        page = self.render_template(
            "clea/verification.html", title=TITRE, breadcrumb=[(TITRE, None)], verification=verification
        )
        return page, (200 if verification else 404)


def _limite() -> str:
    return current_app.config["VERIFICATION_RATE_LIMIT"]


def register(appbuilder):
    view = appbuilder.add_view_no_menu(VerificationView())
    # Codes are not to be found by trying them: each address may ask a few per minute (429 past them).
    appbuilder.sm.limiter.limit(_limite)(view.blueprint)
