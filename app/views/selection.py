"""« Pour la sélection » of the users', organisations' and establishments' lists (guide §9–10, issue 17): export
what the list shows, deactivate or reactivate each selected record through its service, with the report of what
was refused and why (app/services/lots.py)."""

from flask_appbuilder.actions import action

from app.formatting import oui_non
from app.services import lots

SELECTION_PERMISSIONS = {
    # Reading the list is enough to export what it shows; each change is checked by the record's service.
    "exporter_selection": "read",
    "desactiver_selection": "edit",
    "reactiver_selection": "edit",
}


class SelectionActions:
    """Mixed into a CleaModelView: the view says how to change one record and how the report names it."""

    extra_permissions = SELECTION_PERMISSIONS
    lot_unit = "élément(s)"
    lot_headers = ("Nom", "Détail")
    lot_filename = "selection.xlsx"

    def changer_actif(self, item, actif: bool):
        raise NotImplementedError

    def lot_libelle(self, item) -> str:
        return str(item)

    def lot_detail(self, item) -> str:
        return ""

    def _cell(self, item, column):
        value = getattr(item, column, None)
        formatter = (self.formatters_columns or {}).get(column)  # type: ignore[attr-defined]
        if formatter is not None:
            return formatter(value)
        if isinstance(value, bool):
            return oui_non(value)
        return value if value is None or isinstance(value, int | float) else str(value)

    @action("exporter_selection", "Exporter la sélection (.xlsx)", None, "fa-file-excel-o", single=False)
    def exporter_selection(self, items):
        from app.exports import xlsx

        columns = self.list_columns  # type: ignore[attr-defined]
        headers = [self.label_columns.get(c, c) for c in columns]  # type: ignore[attr-defined]
        rows = [[self._cell(item, c) for c in columns] for item in items[: lots.LOT_MAX]]
        return xlsx.download(self.lot_filename, self.list_title[:31], headers, rows)  # type: ignore[attr-defined]

    @action("desactiver_selection", "Désactiver", "Désactiver les éléments sélectionnés ?", "fa-ban", single=False)
    def desactiver_selection(self, items):
        return self._actif_lot(items, False)

    @action("reactiver_selection", "Réactiver", "Réactiver les éléments sélectionnés ?", "fa-check", single=False)
    def reactiver_selection(self, items):
        return self._actif_lot(items, True)

    def _actif_lot(self, items, actif: bool):
        results = lots.chacun(
            items,
            lambda item: self.changer_actif(item, actif),
            self.lot_libelle,
            self.lot_detail,
            "Réactivé." if actif else "Désactivé.",
        )
        return self.rapport_lot(  # type: ignore[attr-defined]
            "Réactivation" if actif else "Désactivation", results, self.lot_unit, self.lot_headers
        )
