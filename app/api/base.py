"""What every REST resource shares: the tab's permissions (access matrix), the perimeter on every path,
French messages, and writes that go through the same rules and services as the UI (api.md)."""

import contextlib
import functools
import logging
import sys

import prison
from flask import g, request
from flask_appbuilder.api import (
    ModelRestApi,
    expose,
    get_item_schema,
    get_list_schema,
    merge_response_func,
    rison,
    safe,
)
from flask_appbuilder.const import (
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_SHOW_COLUMNS_RIS_KEY,
    API_SHOW_TITLE_RIS_KEY,
)
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app import answers, request_ids
from app.domain import access
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.security import perimeter
from app.security.perimeter import PERIMETER
from app.services.ecritures import verifier_version
from app.services.validation import fab_message_fr

API_METHOD_PERMISSIONS = {
    "get_list": "read",
    "get": "read",
    "info": "read",
    "post": "create",
    "put": "edit",
    "delete": "delete",
}
NOT_JSON = "Le corps de la requête doit être un objet JSON."
BAD_QUERY = "Paramètre de recherche « q » invalide."
OUT_OF_PERIMETER = "Cet élément n'existe pas ou n'est pas dans votre périmètre."
VERSION_INVALIDE = "Numéro de version invalide : renvoyez la « version » lue avec la fiche."
log = logging.getLogger(__name__)


def french_400(message) -> str:
    """FAB's own 400 messages (all about the `q` argument of lists), in French."""
    if isinstance(message, str) and message.startswith("Not a valid rison"):
        return BAD_QUERY + " Format rison ou JSON attendu."
    return fab_message_fr(message) or BAD_QUERY


def checked_q(f):
    """FAB's rison parser can crash (e.g. RecursionError on "(((("): a bad `q` answers 400, never 500."""

    @functools.wraps(f)
    def wraps(self, *args, **kwargs):
        value = request.args.get("q")
        if value:
            try:
                prison.loads(value)
            except prison.decoder.ParserException:
                pass  # FAB tries JSON, then answers 400 itself
            except Exception:  # noqa: BLE001 - prison's own bugs (recursion, …)
                return self.response_400(message=BAD_QUERY)
        return f(self, *args, **kwargs)

    return wraps


def flatten_relations(data):
    """{"organisme": {"id": 3}} → {"organisme": 3}; [{"id": 1}, {"id": 2}] → [1, 2] (api.md: relations are ids);
    {"roles": [{"name": "X"}]} → {"role": "X"}."""
    if isinstance(data, list):
        return [flatten_relations(x) for x in data]
    if not isinstance(data, dict):
        return data
    result = {}
    for key, value in data.items():
        if key == "roles" and isinstance(value, list):
            result["role"] = value[0]["name"] if value else None
        elif isinstance(value, dict) and set(value) == {"id"}:
            result[key] = value["id"]
        elif isinstance(value, list) and value and all(isinstance(v, dict) and set(v) == {"id"} for v in value):
            result[key] = [v["id"] for v in value]
        else:
            result[key] = value
    return result


class FrenchResponses:
    """FAB's generic API answers, in French; for our BaseApi resources and our ModelRestApi alike."""

    def response_400(self, message=None):
        return self.response(400, message=french_400(message) if message else "Requête invalide.")

    def response_401(self):
        return self.response(401, message="Authentification requise.")

    def response_403(self):
        return self.response(403, message="Vous n'avez pas les droits nécessaires pour cette action.")

    def response_404(self):
        return self.response(404, message="Élément introuvable.")

    def response_500(self, message=None):
        """FAB's `@safe` catches every exception and calls this inside its `except`: a refusal of a service
        is answered as such (app/answers.py), anything else is a real 500."""
        error = sys.exc_info()[1]
        with contextlib.suppress(Exception):  # the database may be gone: the answer below says so
            db.session.rollback()
        if answers.is_unavailable(error):
            return self.response(503, message=answers.INDISPONIBLE)
        refusal = answers.as_domain_error(error)
        if refusal is not None:
            return self.domain_response(refusal)
        return self.response(500, message=answers.ERREUR_INTERNE, request_id=request_ids.log_server_error(error))

    def domain_response(self, exc: DomainError):
        db.session.rollback()
        body, status = answers.api_answer(exc, getattr(self, "dump", None))
        return self.response(status, **body)


EVENT_DOC = """{label}.
---
post:
  parameters:
  - {{in: path, name: pk, schema: {{type: integer}}}}
{body}  responses:
    200: {{description: "{label} : fait"}}
    403: {{description: Profil non autorisé}}
    404: {{description: Hors périmètre}}
    409: {{description: Action impossible au statut actuel}}
    422: {{description: Données invalides}}
"""


def event_actions(machine, binding_events=None):
    """Class decorator: one POST action `/<pk>/<action>` per event of `machine` (all but the platform's own),
    gated by the event's right, its body the event's parameters, run by the one engine."""
    from app.services import workflow

    def endpoint_for(event: str):
        definition = machine.event(event)
        action = definition.api or definition.path or event

        def endpoint(self, pk):
            if not access.may(g.user, definition.right):
                return self.response_403()
            names = workflow.parameters(machine, event)
            body = self._json_body(required=bool(names))
            item = workflow.run(machine, event, g.user, pk, **{name: body.get(name) for name in names})
            return self.response(200, id=item.id, result=self.dump(item), **self.event_extras(event, item))

        endpoint.__name__ = action
        names = workflow.parameters(machine, event)
        body = (
            (
                "  requestBody:\n    content:\n      application/json:\n        schema: {type: object, properties: {"
                + ", ".join(f"{n}: {{}}" for n in names)
                + "}}\n"
            )
            if names
            else ""
        )
        endpoint.__doc__ = EVENT_DOC.format(label=definition.label, body=body)
        return action, expose(f"/<int:pk>/{action}", methods=["POST"])(protect()(safe(endpoint)))

    def decorate(cls):
        events = binding_events or [e for e, d in machine.events.items() if d.right != access.SYSTEM]
        for event in events:
            action, endpoint = endpoint_for(event)
            setattr(cls, action, endpoint)
            cls.include_route_methods = set(cls.include_route_methods) | {action}
            # FAB lets any reader of the tab in; the event's own right is checked in the endpoint.
            cls.extra_permissions = {**cls.extra_permissions, action: "read"}
        return cls

    return decorate


class CleaModelRestApi(FrenchResponses, ModelRestApi):
    tab: str = None
    base_filters = PERIMETER
    allow_browser_login = True
    page_size = 20
    max_page_size = 100
    extra_permissions: dict = {}

    def __init__(self):
        self.class_permission_name = self.tab
        self.method_permission_name = {**API_METHOD_PERMISSIONS, **self.extra_permissions}
        # A resource that declares no generic write field (`add_columns = []`) offers none in `_info` either
        # (FAB would otherwise describe every column and relation, with their values).
        everything = self.datamodel.get_columns_list()
        if self.add_columns == []:
            self.add_exclude_columns = everything
        if self.edit_columns == []:
            self.edit_exclude_columns = everything
        # A record that has a version shows it (the `version` to send back with a PUT, also the GET's ETag).
        if self.versioned and self.show_columns and "version" not in self.show_columns:
            self.show_columns = [*self.show_columns, "version"]
        # Related ids offered by `_info` and accepted in bodies are those of the related model's perimeter.
        perimeter_filters = perimeter.related_filters(self.datamodel)
        self.add_query_rel_fields = {**perimeter_filters, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**perimeter_filters, **(self.edit_query_rel_fields or {})}
        super().__init__()

    def response_422(self, message=None):
        return self.response(422, message=message or "Données invalides.")

    # --- Writes ----------------------------------------------------------------------------------------
    def _json_body(self, required: bool = True) -> dict:
        """The request's JSON object. An action may come without a body (`required=False`), never with
        something else than an object."""
        raw = request.get_data(cache=True)  # before get_json: a form body is not parsed away
        data = request.get_json(silent=True)
        if (required or raw.strip()) and not isinstance(data, dict):
            raise ValidationFailed({"_schema": NOT_JSON})
        return data if isinstance(data, dict) else {}

    @staticmethod
    def reject_unknown(data: dict, allowed) -> None:
        unknown = set(data) - set(allowed)
        if unknown:
            raise ValidationFailed(dict.fromkeys(sorted(unknown), "Champ inconnu."))

    def action_response(self, run, required: bool = False):
        """A POST action: `run(body)` calls the service and returns the changed record, answered as the
        resource shows it (refusals are answered by app/answers.py)."""
        item = run(self._json_body(required))
        return self.response(200, id=item.id, result=self.dump(item))

    def _check_relations(self, data: dict):
        """Related ids must exist inside the perimeter (a foreign id answers like an unknown one)."""
        errors = {}
        for column, value in data.items():
            if not self.datamodel.is_relation(column):
                continue
            model = self.datamodel.get_related_model(column)
            many = self.datamodel.is_relation_many_to_many(column) or self.datamodel.is_relation_one_to_many(column)
            if many and not isinstance(value, list):
                errors[column] = ["Une liste d'identifiants est attendue."]
                continue
            values = value if many else [value]
            for pk in values:
                if pk is None and not many:
                    continue
                if isinstance(pk, bool) or not isinstance(pk, int):
                    errors[column] = ["Identifiant invalide."]
                    break
                try:
                    perimeter.get_visible(model, pk)
                except DomainError:
                    errors[column] = [OUT_OF_PERIMETER]
                    break
        if errors:
            raise ValidationFailed(errors)

    # --- Writes: FAB's generic ones, handed to the record's service by its data interface ----------------
    def post_headless(self):
        data = self._json_body()
        self._check_relations(data)
        try:
            item = type(self.add_model_schema)().load(data)  # one schema per request (see put_headless)
        except ValidationError as err:
            raise ValidationFailed(err.messages) from None
        self.pre_add(item)
        self.datamodel.add(item)
        self.post_add(item)
        return self.response(201, id=item.id, result=self.dump(item))

    def put_headless(self, pk):
        item = perimeter.get_visible(self.datamodel.obj, pk)
        data = self._json_body()
        version = self.expected_version(data)
        self._check_relations(data)
        unknown = set(data) - set(self.edit_columns)
        if unknown:
            raise ValidationFailed(dict.fromkeys(sorted(unknown), "Champ inconnu ou non modifiable."))
        verifier_version(item, version)
        try:
            # A schema of this request's own: marshmallow-sqlalchemy keeps the instance being loaded on the
            # schema object, which two requests served at once would share (FAB builds one per resource).
            schema = type(self.edit_model_schema)()
            item = schema.load(self._merge_update_item(item, data), instance=item)
        except ValidationError as err:
            db.session.rollback()
            raise ValidationFailed(err.messages) from None
        self.pre_update(item)
        self.datamodel.edit(item)
        self.post_update(item)
        return self.with_etag(self.response(200, result=self.dump(item)), item)

    def delete_headless(self, pk):
        item = perimeter.get_visible(self.datamodel.obj, pk)
        self.pre_delete(item)
        self.datamodel.delete(item)
        return self.response(200, message="Supprimé.")

    # --- Reads: any pk that is not a record of the perimeter answers 404 (never 405 or 500) -----------
    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @checked_q
    @rison(get_item_schema)
    @merge_response_func(ModelRestApi.merge_show_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_columns, API_SHOW_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_title, API_SHOW_TITLE_RIS_KEY)
    def get(self, pk, **kwargs):
        return self.get_headless(pk, **kwargs)

    get.__doc__ = ModelRestApi.get.__doc__

    def get_headless(self, pk, **kwargs):
        pk = perimeter.parse_pk(pk)
        if pk is None:
            return self.response_404()
        response = super().get_headless(pk, **kwargs)
        if self.versioned and response.status_code == 200:
            version = (response.get_json().get("result") or {}).get("version")
            if version is not None:
                response.set_etag(str(version))
        return response

    # --- Optimistic locking (api.md): `version` in GET, ETag / If-Match, a stale PUT answers 409 --------------
    @property
    def versioned(self) -> bool:
        return "version" in self.datamodel.obj.__table__.columns

    def with_etag(self, response, item):
        """A write's answer carries the record's new ETag (the version to send with the next PUT)."""
        if self.versioned and getattr(item, "version", None) is not None:
            response.set_etag(str(item.version))
        return response

    def expected_version(self, data: dict) -> int | None:
        """The version the caller read: `version` in the body (taken out of it) or the ETag in `If-Match`.
        None when the caller says neither (the save is then guarded by the version column only). An `If-Match`
        that is no version of ours names no version that can still be current: -1, always stale."""
        if not self.versioned:
            return None
        seen = []
        if "version" in data:
            value = data.pop("version")
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValidationFailed({"version": VERSION_INVALIDE})
                seen.append(value)
        if_match = request.if_match
        if if_match and not if_match.star_tag:
            tags = if_match.as_set(include_weak=True)
            seen.append(min((int(t) for t in tags if t.isdigit() and len(t) < 10), default=-1))
        if not seen:
            return None
        return seen[0] if all(v == seen[0] for v in seen) else -1

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @checked_q
    @rison(get_list_schema)
    @merge_response_func(ModelRestApi.merge_order_columns, API_ORDER_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_columns, API_LIST_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_title, API_LIST_TITLE_RIS_KEY)
    def get_list(self, **kwargs):
        return self.get_list_headless(**kwargs)

    get_list.__doc__ = ModelRestApi.get_list.__doc__

    def get_list_headless(self, **kwargs):
        try:
            return super().get_list_headless(**kwargs)
        except (SQLAlchemyError, FABException, OverflowError, ValueError) as exc:
            # A filter value the database cannot take (huge number, text for a number, …).
            db.session.rollback()
            log.info("Invalid list filter: %s", exc)
            return self.response_400(message=BAD_QUERY)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        """`_info`: gettext("") is the catalogue's header, not an empty description."""
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        if not self.description_columns.get(field.name):
            info["description"] = ""
        return info

    def pre_get(self, data):
        data["result"] = flatten_relations(data.get("result"))

    def pre_get_list(self, data):
        data["result"] = flatten_relations(data.get("result"))

    def upload(self, candidature_of, objet="candidature"):
        """A document sent in the multipart field `file`, attached to `candidature_of()` → (candidature id,
        object id); refusals in French (FAB's @safe would turn a too large body into a 500)."""
        from werkzeug.exceptions import RequestEntityTooLarge

        from app.services import documents

        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            return self.response(413, message=documents.TROP_GROS)
        candidature_id, objet_id = candidature_of()
        if upload is None or not upload.filename:
            raise ValidationFailed({"file": "Envoyez le fichier dans le champ multipart « file »."})
        document = documents.deposer(
            g.user,
            candidature_id,
            upload.filename,
            upload.read(documents.TAILLE_MAX + 1),
            objet=objet,
            objet_id=objet_id,
        )
        return self.response(
            201,
            id=document.id,
            result={
                "id": document.id,
                "candidature": document.candidature_id,
                objet: document.objet_id or document.candidature_id,
                "nom": document.nom,
                "type_mime": document.type_mime,
                "taille": document.taille,
                "sha256": document.sha256,
            },
        )

    def dump(self, item):
        return flatten_relations(self.show_model_schema.dump(item))

    def event_extras(self, event: str, item) -> dict:
        """What an event's answer adds to the record (e.g. the warnings of a sending)."""
        return {}

    def can(self, permission, tab=None):
        return access.profile_allows(g.user.profil, permission, tab or self.tab)
