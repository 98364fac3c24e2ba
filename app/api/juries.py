"""REST resource `sessionjury` (api.md): the juries' calendar; a certifier plans its own sessions."""

from flask import g

from app.api.base import CleaModelRestApi
from app.domain import access
from app.models.juries import SessionJury
from app.services import juries
from app.services.ecritures import ServiceInterface


class SessionJuryApi(CleaModelRestApi):
    resource_name = "sessionjury"
    datamodel = ServiceInterface(SessionJury)
    tab = access.CERTIFICATION
    list_columns = show_columns = ["id", "certificateur.id", "date", "libelle"]
    add_columns = edit_columns = []
    search_columns = ["certificateur", "date", "libelle"]
    order_columns = ["date", "libelle"]
    base_order = ("date", "desc")
    include_route_methods = {"get_list", "get", "info", "post"}

    def post_headless(self):
        data = self._json_body()
        self.reject_unknown(data, {"date", "libelle", "certificateur"})
        session = juries.creer_session(g.user, data)
        return self.response(201, id=session.id, result=self.dump(session))


def register(appbuilder):
    appbuilder.add_api(SessionJuryApi)
