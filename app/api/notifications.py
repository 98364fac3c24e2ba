"""REST resource `notification` (api.md, domain.md §9): one's own notifications, read-only but for « lue »,
through the same service as the NOTIFICATIONS page."""

from flask import g
from flask_appbuilder.api import expose, protect, safe

from app.api.base import CleaModelRestApi
from app.domain import access
from app.domain.errors import ValidationFailed
from app.models import Notification
from app.services import notifications as service
from app.services.ecritures import ServiceInterface


class NotificationApi(CleaModelRestApi):
    resource_name = "notification"
    list_title, show_title = "Notifications", "Notification"
    datamodel = ServiceInterface(Notification)
    tab = access.NOTIFICATIONS
    list_columns = show_columns = ["id", "rubrique", "titre", "contenu", "lien", "lue", "created_at"]
    add_columns = edit_columns = []
    search_columns = ["rubrique", "lue"]
    order_columns = ["created_at"]
    base_order = ("created_at", "desc")
    label_columns = {
        "rubrique": "Rubrique",
        "titre": "Titre",
        "contenu": "Contenu",
        "lien": "Lien",
        "lue": "Déjà lue",
        "created_at": "Reçue le",
    }
    # Notifications are raised by the platform's events: no POST, PUT or DELETE.
    include_route_methods = {"get_list", "get", "info", "lire", "lire_plusieurs", "non_lues"}
    extra_permissions = {"lire": "edit", "lire_plusieurs": "edit", "non_lues": "read"}

    @expose("/non_lues", methods=["GET"])
    @protect()
    @safe
    def non_lues(self):
        """Number of unread notifications (the bell).
        ---
        get:
          responses:
            200: {description: Nombre de notifications non lues (count)}
        """
        return self.response(200, count=service.unread_count(g.user))

    @expose("/<pk>/lire", methods=["POST"])
    @protect()
    @safe
    def lire(self, pk):
        """Mark one notification as read.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Notification marquée comme lue}
            404: {description: Notification introuvable (ou d'un autre utilisateur)}
        """
        notification = service.mark_read(g.user, pk)
        return self.response(200, id=notification.id, result=self.dump(notification))

    @expose("/lire", methods=["POST"])
    @protect()
    @safe
    def lire_plusieurs(self):
        """Mark several notifications as read: `{"ids": [1, 2]}`, or all of them: `{"toutes": true}`.
        Answers how many were still unread.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    ids: {type: array, items: {type: integer}}
                    toutes: {type: boolean}
          responses:
            200: {description: Nombre de notifications marquées comme lues (count)}
            404: {description: Une des notifications est introuvable (ou d'un autre utilisateur)}
            422: {description: Corps invalide}
        """
        data = self._json_body()
        self.reject_unknown(data, {"ids", "toutes"})
        toutes = data.get("toutes", False)
        if not isinstance(toutes, bool):
            raise ValidationFailed({"toutes": "Une valeur booléenne (true/false) est attendue."})
        if toutes and "ids" in data:
            raise ValidationFailed({"_schema": "Envoyez soit « ids », soit « toutes », pas les deux."})
        if toutes:
            count = service.mark_all(g.user)
        elif "ids" in data:
            count = service.mark_many(g.user, data["ids"], strict=True)
        else:
            raise ValidationFailed({"ids": "Envoyez la liste « ids » des notifications, ou « toutes » : true."})
        return self.response(200, count=count)


def register(appbuilder):
    appbuilder.add_api(NotificationApi)
