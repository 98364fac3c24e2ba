"""« Pour la sélection » on the CANDIDATURE list (issue 17): export, send to certification, abandon with one motif —
each file through the state machine, with a report of what was refused and why."""

import io

from openpyxl import load_workbook

from app.domain import statuts
from app.models import Candidature
from tests.conftest import demo


def ids(app, *people):
    with app.app_context():
        return [demo(Candidature, nom_naissance=nom, prenom=prenom).id for nom, prenom in people]


def status(app, pk):
    with app.app_context():
        return demo(Candidature, id=pk).statut


def test_send_the_selection_to_certification_reports_each_refusal(app, as_user):
    ready, early = ids(app, ("Fontaine", "Inès"), ("Moreau", "Camille"))
    etab = as_user("etab.user")
    page = etab.post("/candidatures/action_post", data={"action": "envoyer_selection", "rowid": [ready, early]})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Envoi en certification : 1 dossier(s) traité(s), 1 refusé(s)." in text
    assert "Refusé" in text and text.count("<tr class=") == 2
    assert status(app, ready) == statuts.ATTENTE_JURY
    assert status(app, early) == statuts.ATTENTE_EVALUATION_PREALABLE


def test_abandon_the_selection_with_one_motif(app, as_user):
    first, second = ids(app, ("Moreau", "Camille"), ("Lambert", "Yanis"))
    etab = as_user("etab.user")
    asked = etab.post("/candidatures/action_post", data={"action": "abandonner_selection", "rowid": [first, second]})
    assert asked.status_code == 302 and "/candidatures/abandon-groupe?ids=" in asked.headers["Location"]
    form = etab.get(asked.headers["Location"]).get_data(as_text=True)
    assert "2 dossier(s) sélectionné(s)" in form and "Confirmer l'abandon de 2 dossier(s)" in form
    missing = etab.post("/candidatures/abandon-groupe", data={"ids": f"{first},{second}"}).get_data(as_text=True)
    assert "Le motif d&#39;abandon est obligatoire." in missing
    done = etab.post(
        "/candidatures/abandon-groupe", data={"ids": f"{first},{second}", "motif": "Abandon du candidat"}
    ).get_data(as_text=True)
    assert "Abandon : 2 dossier(s) traité(s), 0 refusé(s)." in done
    assert status(app, first) == status(app, second) == statuts.ABANDONNEE


def test_export_the_selection_and_the_perimeter_holds(app, as_user):
    mine = ids(app, ("Moreau", "Camille"), ("Lambert", "Yanis"))
    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Etablissement

        other = (
            db.session.execute(
                select(Candidature.id).join(Etablissement).where(Etablissement.nom != "Avenir Paris République")
            )
            .scalars()
            .first()
        )
    etab = as_user("etab.user")
    answer = etab.post("/candidatures/action_post", data={"action": "exporter_selection", "rowid": mine})
    rows = list(load_workbook(io.BytesIO(answer.data)).active.values)
    assert rows[0][:4] == ("Numéro de dossier", "Nom de naissance", "Nom d'usage", "Prénom")
    assert sorted(r[1] for r in rows[1:]) == ["Lambert", "Moreau"]
    assert (
        etab.post("/candidatures/action_post", data={"action": "exporter_selection", "rowid": [other]}).status_code
        == 404
    )
    # another network's file slipped into a batch abandon is not shown nor touched
    form = etab.get(f"/candidatures/abandon-groupe?ids={other}")
    assert form.status_code == 302
    assert etab.post("/candidatures/action_post", data={"action": "inconnue", "rowid": mine}).status_code == 404
