"""What every ModelView of the platform shares: the tab's permissions (access matrix), the perimeter on
every read and write path, the domain rules checked inside the form, the audit-friendly hooks."""

import re
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.widgets import FormWidget, RenderTemplateWidget, SearchWidget
from flask_babel import get_locale
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from app import answers
from app.domain import access
from app.domain.errors import ValidationFailed
from app.security import perimeter
from app.security.perimeter import PERIMETER
from app.services import choix as choix_service, listes, structures

# FAB method → the three icons of the matrix (+ delete, which goes with ✏).
METHOD_PERMISSIONS = {
    "list": "read",
    "show": "read",
    "download": "read",
    "api_read": "read",
    "api_get": "read",
    "add": "create",
    "edit": "edit",
    "delete": "delete",
    "action": "edit",
    "action_post": "edit",
    "api_column_add": "create",
    "api_column_edit": "edit",
    "api_readvalues": "read",
    "choix": "read",
}
ROUTE_REMOVED = "route_absente"
# FAB's generic messages, in French (FAB's own catalogue does not cover them all).
ADD_OK = "Enregistrement créé."
EDIT_OK = "Modifications enregistrées."
DELETE_OK = "Enregistrement supprimé."


class PickerWidget:
    """A quick picker (select2 fed by the view's `choix` route, static/clea/clea.js): the page holds only the
    option already chosen, never the perimeter's thousands of records."""

    def __call__(self, field, **kwargs):
        from markupsafe import Markup, escape
        from wtforms.widgets import html_params

        kwargs.setdefault("id", field.id)
        kwargs["class_"] = " ".join(c for c in ("form-control", kwargs.pop("class_", kwargs.pop("class", ""))) if c)
        params = html_params(name=field.name, data_clea_picker=field.url(), **kwargs)
        # The empty option: select2's placeholder, and what a cleared picker sends.
        options = '<option value=""></option>' + "".join(
            f'<option value="{pk}" selected>{escape(text)}</option>' for pk, text in field.chosen()
        )
        return Markup(f"<select {params}>{options}</select>")


def picker_url(view_name: str, name: str) -> str:
    from flask import url_for

    return url_for(f"{view_name}.choix", relation=name)


class PickerField(SelectField):
    """The search form's field of a relation with many records (establishments, organisations, networks)."""

    widget = PickerWidget()

    def __init__(self, label, view_name: str, picker: str, source: choix_service.Source, **kwargs):
        super().__init__(label, choices=[], validate_choice=False, **kwargs)
        self.view_name, self.relation, self.source = view_name, picker, source

    def url(self) -> str:
        return picker_url(self.view_name, self.relation)

    def chosen(self) -> list[tuple[int, str]]:
        """The records the list's current filters name (so that FAB's filter rows show them), among those offered."""
        return [
            option
            for key, values in request.args.lists()
            if re.fullmatch(rf"_flt_\d+_{re.escape(self.relation)}", key)
            for value in values
            for option in choix_service.choisis(self.source, g.user, value)
        ]


class PickerRelationField(Field):
    """The add and edit forms' field of such a relation: its data is the record posted if the field offers it
    to the user (choix_service.parmi), else the choice is refused as FAB's dropdown refused it."""

    widget = PickerWidget()

    def __init__(self, label, view_name: str, picker: str, source: choix_service.Source, **kwargs):
        super().__init__(label, **kwargs)
        self.view_name, self.relation, self.source = view_name, picker, source
        self.posted = None

    def url(self) -> str:
        return picker_url(self.view_name, self.relation)

    def chosen(self) -> list[tuple[int, str]]:
        return [] if self.data is None else [(self.data.id, self.source.libelle(self.data))]

    def process_formdata(self, valuelist):
        if not valuelist:  # not posted: the record's value stays (as FAB's dropdown kept it)
            return
        self.posted = valuelist[0].strip()
        self.data = choix_service.parmi(self.source, g.user, self.posted) if self.posted else None

    def pre_validate(self, form):
        if self.posted and self.data is None:
            raise ValidationError(self.gettext("Not a valid choice"))


@dataclass
class Outcome:
    """What a form's service call gave: its result, or the field errors to show next to the fields, or a
    refusal already flashed."""

    ok: bool
    value: Any = None
    errors: dict = field(default_factory=dict)
    message: str = ""
    refusal: Any = None  # the domain error that refused the call (e.g. a StaleVersion: show what changed)


def submitted(action, flash_refusal: bool = True, wording=None) -> Outcome:
    """Run a form's service call. A validation failure comes back as field errors (the form is shown again
    with the input kept); any other refusal is flashed as app/answers.py words it (`wording` may rephrase it);
    outside the perimeter the 404 page answers."""
    try:
        return Outcome(True, action())
    except answers.ANSWERED as exc:
        refusal = answers.as_domain_error(exc)
        if refusal.status == 404:
            raise
        from app.extensions import db

        db.session.rollback()
        if isinstance(refusal, ValidationFailed):
            return Outcome(False, errors=refusal.errors, message=answers.ui_message(refusal))
        message = wording(refusal.message) if wording else refusal.message
        if flash_refusal:
            flash(message, "danger")
        return Outcome(False, message=message, refusal=refusal)


class CleaFormWidget(FormWidget):
    template = "clea/widgets/form.html"


class CleaSearchWidget(SearchWidget):
    """FAB's search widget, drawn with less work: each column's label and filter names (lazy translations, ~60
    per list page) and, when it depends on its definition alone, its field (the HTML FAB's script copies when a
    filter is added: a text, date, number, check box or fixed-choice field of the empty search form) are made
    once per view and language. A field whose choices come from the database or the request (a relation's
    dropdown, a picker showing the filtered records) is drawn on every request."""

    STATIC_FIELDS = (StringField, TextAreaField, SelectField, BooleanField, DateField, DateTimeField, IntegerField)
    _made: dict[tuple[str, str, str], tuple[str, list[str], str | None]] = {}

    def __call__(self, **kwargs):
        form = self.template_args["form"]
        language = str(get_locale())
        label_columns, form_fields, search_filters = {}, {}, {}
        for col in self.template_args["include_cols"]:
            key = (self.template_args["route_base"], language, col)
            made = self._made.get(key)
            if made is None:
                field = form[col]
                static = type(field) in self.STATIC_FIELDS and not callable(getattr(field, "choices", None))
                names = [str(flt.name) for flt in self.filters.get_search_filters()[col]]
                made = self._made[key] = (str(field.label.text), names, field() if static else None)
            label_columns[col], search_filters[col], html = made
            form_fields[col] = form[col]() if html is None else html
        kwargs.update(
            label_columns=label_columns,
            form_fields=form_fields,
            search_filters=search_filters,
            active_filters=self.filters.get_filters_values_tojson(),
        )
        return RenderTemplateWidget.__call__(self, **kwargs)


def form_values(form, item=None) -> dict:
    values = {}
    if item is not None:
        for column in item.__table__.columns:
            values[column.key] = getattr(item, column.key)
        for rel in item.__mapper__.relationships:
            values[rel.key] = getattr(item, rel.key)
    values.update({name: field.data for name, field in form._fields.items() if name != "csrf_token"})
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key] = value.strip()
    return values


def _booleans_not_required(form_class):
    """FAB marks non-nullable columns as required; for a checkbox that would forbid « Non »."""
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, BooleanField):
            kept = [v for v in unbound.kwargs.get("validators", []) if not isinstance(v, (DataRequired, InputRequired))]
            unbound.kwargs["validators"] = kept


class CleaModelView(ModelView):
    """Base of the platform's ModelViews. Subclasses set `tab` and, when the model has rules,
    `rule_model` (a model of app.services.structures.RULES)."""

    tab: str = None
    rule_model = None
    base_filters = PERIMETER
    edit_widget = CleaFormWidget
    add_widget = CleaFormWidget
    search_widget = CleaSearchWidget
    page_size = 20
    add_row_message = ADD_OK
    edit_row_message = EDIT_OK
    delete_row_message = DELETE_OK
    database_error_message = "L'enregistrement n'a pas pu être fait : vérifiez les champs et réessayez."
    extra_add_buttons: list = []
    extra_permissions: dict = {}  # custom endpoint → permission (without "can_")
    # Fields chosen by typing (a quick picker fed by `choix/<name>`), never from a list of every record: a relation's
    # name (its records of the perimeter), or name → choix.Source. FAB's search, add and edit forms show such a
    # relation as a picker; the view's own pages ask `self.picker(name, value)`.
    pickers: tuple[str, ...] | dict[str, choix_service.Source] = ()
    # « Pour la sélection » entries that need a named right (access.may) beyond the tab's permission: shown and
    # accepted only for the profiles holding it.
    action_rights: dict[str, str] = {}

    def __init__(self, **kwargs):
        self.picker_sources = self._picker_sources()
        view_name = type(self).__name__
        relations = [n for n in self.picker_sources if n in self.datamodel.get_columns_list()]
        searched = [n for n in self.picker_sources if n in (self.search_columns or [])]
        if searched:
            self.search_form_extra_fields = {
                **{
                    name: PickerField(self.label_columns.get(name, name), view_name, name, self.picker_sources[name])
                    for name in searched
                },
                **(self.search_form_extra_fields or {}),
            }
        for which in ("add", "edit"):
            shown = [n for n in relations if n in (getattr(self, f"{which}_columns") or [])]
            if not shown:
                continue
            fields = {name: self._picker_relation_field(name) for name in shown}
            setattr(
                self, f"{which}_form_extra_fields", {**fields, **(getattr(self, f"{which}_form_extra_fields") or {})}
            )
        self.class_permission_name = self.tab
        # A route removed with `exclude_route_methods` has no permission anybody holds, so that FAB's list
        # and show pages, which ask for the permission, never draw a button to a route that does not exist.
        self.method_permission_name = {
            **METHOD_PERMISSIONS,
            **self.extra_permissions,
            **dict.fromkeys(self.exclude_route_methods, ROUTE_REMOVED),
        }
        # Related dropdowns (add, edit, search) are limited to the perimeter of the related model.
        perimeter_filters = perimeter.related_filters(self.datamodel)
        self.add_form_query_rel_fields = {**perimeter_filters, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**perimeter_filters, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**perimeter_filters, **(self.search_form_query_rel_fields or {})}
        super().__init__(**kwargs)

    # --- Domain rules inside the form: errors shown next to their field, input kept -------------
    def _init_forms(self):
        super()._init_forms()
        for form_class in (self.add_form, self.edit_form):
            _booleans_not_required(form_class)
        if "version" in self.datamodel.get_columns_list():
            # Optimistic locking: the edit form carries the version it was loaded with.
            self.edit_form.version_chargee = HiddenField()
        if self.rule_model is not None:
            self.add_form = self._with_rules(self.add_form)
            self.edit_form = self._with_rules(self.edit_form)

    def _with_rules(self, form_class):
        view = self

        class RuleForm(form_class):
            def validate(self, extra_validators=None):
                valid = super().validate(extra_validators=extra_validators)
                current_id = getattr(self, "_id", None)
                item = view.datamodel.get(current_id, view._base_filters) if current_id else None
                stale = view.stale_message(self, item)
                if stale:
                    flash(stale, "danger")
                    return False
                values = structures.normalise(view.rule_model, form_values(self, item))
                view.complete_values(values, item)
                errors = structures.RULES[view.rule_model](values, current_id)
                shown = {name: values.get(name) for name in self._fields}
                if "actif" in shown:
                    shown["actif"] = bool(shown["actif"])
                before = None if item is None else {name: getattr(item, name, None) for name in shown}
                for name in structures.certif_pro_changes(view.rule_model, g.user, before, shown):
                    errors.add(name, structures.CERTIF_PRO_SEUL)
                for name, messages in errors.items():
                    target = self._fields.get(name)
                    if target is None:
                        flash(" ".join(messages), "danger")
                        continue
                    # One message per field: the rule's, more precise than FAB's generic one.
                    target.errors = list(messages)
                return valid and not errors

        RuleForm.__name__ = form_class.__name__
        return RuleForm

    @staticmethod
    def stale_message(form, item):
        loaded = getattr(form, "version_chargee", None)
        if item is None or loaded is None or not loaded.data:
            return None
        if str(loaded.data) != str(item.version):
            return (
                "Cette fiche a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte : "
                "rechargez la page pour voir ses nouvelles valeurs, puis refaites votre modification."
            )
        return None

    def prefill_form(self, form, pk):
        if hasattr(form, "version_chargee"):
            form.version_chargee.data = self.datamodel.get(pk, self._base_filters).version

    def complete_values(self, values: dict, item) -> None:
        """Values the form does not show (e.g. the organisation taken from the URL)."""

    # Writes: the data interface (app/services/ecritures.py) hands them to the record's service, which
    # applies the same rules as the form above, normalises identifiers and commits.

    # --- Permissions helpers for templates -------------------------------------------------------
    def can(self, permission: str, tab: str | None = None) -> bool:
        return access.profile_allows(g.user.profil, permission, tab or self.tab) if g.user else False

    def render_404_if_missing(self, item):
        if item is None:
            abort(404)
        return item

    def run_action(self, action, back_url, success=None):
        """Run a service call from a button: its refusal becomes a French flash, outside the perimeter a 404."""
        outcome = submitted(action)
        if outcome.errors:
            flash(outcome.message, "danger")
        elif outcome.ok and success:
            flash(success, "success")
        return redirect(back_url)

    def rapport_lot(self, what: str, results, unit: str, headers: tuple[str, str]):
        """The report of a « Pour la sélection » action (app/services/lots.py): a flash with the counts, then each
        record with what was done or why it was refused."""
        done = sum(1 for r in results if r.fait)
        flash(
            f"{what} : {done} {unit} traité(s), {len(results) - done} refusé(s).",
            "success" if done == len(results) else "warning",
        )
        back = url_for(f"{type(self).__name__}.list")
        return self.render_template(
            "clea/rapport_lot.html",
            title=f"{what} — rapport",
            quoi=what,
            results=results,
            headers=headers,
            show_endpoint=f"{type(self).__name__}.show",
            back=back,
            breadcrumb=[(self.list_title, back), (f"{what} — rapport", None)],
        )

    def redirect_back(self, default):
        return redirect(request.referrer or default)

    def _picker_sources(self) -> dict[str, choix_service.Source]:
        if isinstance(self.pickers, dict):
            return dict(self.pickers)
        return {name: choix_service.Source(self.datamodel.get_related_model(name)) for name in self.pickers}

    def _picker_relation_field(self, name):
        from wtforms.validators import Optional

        required = not self.datamodel.is_nullable(name)
        return PickerRelationField(
            self.label_columns.get(name, name),
            type(self).__name__,
            name,
            self.picker_sources[name],
            description=self.description_columns.get(name, ""),
            validators=[DataRequired() if required else Optional()],
        )

    def picker(self, name: str, value=None, single: bool = False) -> dict:
        """What a page's picker needs (the `picker` macro of clea/macros.html): its `choix` address and the
        option of its value — the record only if the field offers it. `single`: with no value, the one record
        offered (if there is only one) is chosen in advance."""
        source = self.picker_sources[name]
        if single and value in (None, ""):
            value = choix_service.seul(source, g.user)
        return {"url": picker_url(type(self).__name__, name), "options": choix_service.choisis(source, g.user, value)}

    @expose("/choix/<relation>")
    @has_access
    def choix(self, relation):
        """The picker's answers (select2's format): the records the field offers whose name holds every word
        typed (accents and case aside), by name, 20 at a time."""
        from flask import jsonify

        source = self.picker_sources.get(relation)
        if source is None:
            abort(404)
        page = request.args.get("page", 1, type=int) or 1
        found, more = choix_service.chercher(source, g.user, request.args.get("q", ""), page)
        return jsonify(results=[{"id": pk, "text": text} for pk, text in found], pagination={"more": more})

    # Typed routes: "abc" names no route (404); a number the database cannot hold (10**20) names no record.
    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return super().show(self._pk_or_404(pk))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        return super().edit(self._pk_or_404(pk))

    @expose("/delete/<int:pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        return super().delete(self._pk_or_404(pk))

    # FAB's actions are our lists' « Pour la sélection » only (declared `single=False`), sent by POST to
    # `action_post`, whose records are those of the perimeter. FAB's one-record route would run them on a GET
    # (a link, a prefetch): it names nothing here (404); a record's own buttons are POST forms on its page.
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        abort(404)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            abort(403)
        if not self._may_run_action(name):
            abort(403)
        items = [self.datamodel.get(self._pk_or_404(pk), self._base_filters) for pk in request.form.getlist("rowid")]
        if not items or any(item is None for item in items):
            abort(404)
        return self.actions[name].func(items)

    @staticmethod
    def _pk_or_404(pk):
        from app.security.perimeter import parse_pk

        parsed = parse_pk(pk)
        if parsed is None:
            abort(404)
        return parsed

    def _delete(self, pk):
        """FAB's documented override point for deleting: the perimeter, French messages (a record still in
        use is refused by the service's write path)."""
        item = self.datamodel.get(self._pk_or_404(pk), self._base_filters)
        if not item:
            abort(404)
        outcome = submitted(lambda: (self.pre_delete(item), self.datamodel.delete(item)))
        if outcome.ok:
            self.post_delete(item)
            flash(self.delete_row_message, "success")
        self.update_redirect()

    def _get_list_widget(self, filters, order_column="", order_direction="", page=None, page_size=None, **kwargs):
        """A sort asked in the URL on a column the list cannot sort by (a relation, an unknown name) is ignored:
        the default order, never a 500."""
        if order_column and (
            order_column not in self.order_columns
            or (order_column in self.datamodel.get_columns_list() and self.datamodel.is_relation(order_column))
        ):
            order_column, order_direction = "", ""
        if self.action_rights and kwargs.get("actions") is None:
            kwargs["actions"] = {name: a for name, a in self.actions.items() if self._may_run_action(name)}
        # « Page suivante » / « Page précédente » by cursor where the list's interface reads that way
        # (app/services/listes.py, the CANDIDATURE lists): the pagination gets their cursors.
        with listes.lecture_par_curseur(request.args.get("suite")) as lecture:
            widgets = super()._get_list_widget(
                filters,
                order_column=order_column,
                order_direction=order_direction,
                page=page,
                page_size=page_size,
                **kwargs,
            )
        widgets["list"].template_args["suites"] = lecture
        return widgets

    def _may_run_action(self, name: str) -> bool:
        right = self.action_rights.get(name)
        return right is None or access.may(g.user, right)

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)
        widgets["add"].template_args["extra_buttons"] = self.extra_add_buttons
        return widgets
