"""« Besoin d'aide ? » and Support: the guide's contacts and the page's own help."""

from flask_appbuilder import BaseView, expose


class AideView(BaseView):
    route_base = "/aide"
    default_view = "index"

    @expose("/")
    def index(self):
        # Any logged-in user; FAB's has_access is not used because help has no permission of its own.
        from flask import g, redirect

        if not (g.user and g.user.is_authenticated):
            return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("clea/aide.html", title="Besoin d'aide ?")


def register(appbuilder):
    appbuilder.add_view_no_menu(AideView())
