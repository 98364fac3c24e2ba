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


# --- The same menu on the users', organisations' and establishments' lists ----------------------------------------


def user_id(app, login):
    from app.models import Utilisateur

    with app.app_context():
        return demo(Utilisateur, username=login).id


def test_users_deactivated_and_reactivated_from_the_selection_with_each_refusal(app, as_user):
    from app.models import Utilisateur

    me, colleague = user_id(app, "org.admin"), user_id(app, "etab.user")
    org = as_user("org.admin")
    listing = org.get("/utilisateurs/list/").get_data(as_text=True)
    assert "Pour la sélection" in listing and "Désactiver" in listing and "Exporter la sélection (.xlsx)" in listing
    done = org.post("/utilisateurs/action_post", data={"action": "desactiver_selection", "rowid": [me, colleague]})
    text = done.get_data(as_text=True)
    assert "Désactivation : 1 compte(s) traité(s), 1 refusé(s)." in text
    assert "Vous ne pouvez pas désactiver votre propre compte." in text and "Hugo Dubois" in text
    with app.app_context():
        assert demo(Utilisateur, id=colleague).active is False and demo(Utilisateur, id=me).active is True
    again = org.post("/utilisateurs/action_post", data={"action": "desactiver_selection", "rowid": [colleague]})
    assert "Ce compte est déjà désactivé : rien n&#39;a changé." in again.get_data(as_text=True)
    back = org.post("/utilisateurs/action_post", data={"action": "reactiver_selection", "rowid": [colleague]})
    assert "Réactivation : 1 compte(s) traité(s), 0 refusé(s)." in back.get_data(as_text=True)
    with app.app_context():
        assert demo(Utilisateur, id=colleague).active is True
    # another network's user is not in the selection one may make: 404, nothing changed
    outsider = user_id(app, "etab2.user")
    assert (
        org.post("/utilisateurs/action_post", data={"action": "desactiver_selection", "rowid": [outsider]}).status_code
        == 404
    )
    with app.app_context():
        assert demo(Utilisateur, id=outsider).active is True


def test_the_users_selection_exports_what_the_list_shows(app, as_user):
    answer = as_user("org.admin").post(
        "/utilisateurs/action_post",
        data={"action": "exporter_selection", "rowid": [user_id(app, "etab.user"), user_id(app, "org.user")]},
    )
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Rôle", "Prénom", "Nom", "Email", "Rattachement", "Actif"]
    assert sorted(r[1] for r in rows[1:]) == ["Hugo", "Thomas"] and {r[5] for r in rows[1:]} == {"Oui"}


def test_organisations_and_establishments_are_deactivated_from_the_selection_by_certif_pro_only(app, as_user):
    from app.models import Etablissement, Organisme

    with app.app_context():
        org_id = demo(Organisme, nom="Organisme A2 — Avenir Ouest").id
        etab_ids = [demo(Etablissement, nom=n).id for n in ("Avenir Ouest Rennes", "Avenir Ouest Nantes")]
    admin = as_user("certifpro")
    assert "Désactiver" in admin.get("/organismes/list/").get_data(as_text=True)
    done = admin.post("/organismes/action_post", data={"action": "desactiver_selection", "rowid": [org_id]})
    assert "Désactivation : 1 organisme(s) traité(s), 0 refusé(s)." in done.get_data(as_text=True)
    etabs = admin.post("/etablissements/action_post", data={"action": "desactiver_selection", "rowid": etab_ids})
    assert "Désactivation : 2 établissement(s) traité(s), 0 refusé(s)." in etabs.get_data(as_text=True)
    with app.app_context():
        assert demo(Organisme, id=org_id).actif is False
        assert [demo(Etablissement, id=pk).actif for pk in etab_ids] == [False, False]
    back = admin.post("/etablissements/action_post", data={"action": "reactiver_selection", "rowid": etab_ids[:1]})
    assert "Réactivation : 1 établissement(s) traité(s)" in back.get_data(as_text=True)
    twice = admin.post("/etablissements/action_post", data={"action": "reactiver_selection", "rowid": etab_ids[:1]})
    assert "Déjà actif : rien n&#39;a changé." in twice.get_data(as_text=True)
    # an organisation admin exports its list but the menu offers no deactivation, and the route refuses it
    reseau = as_user("reseau.admin")
    listing = reseau.get("/organismes/list/").get_data(as_text=True)
    assert "Exporter la sélection (.xlsx)" in listing and "desactiver_selection" not in listing
    refused = reseau.post("/organismes/action_post", data={"action": "desactiver_selection", "rowid": [org_id]})
    assert refused.status_code == 403
    exported = reseau.post("/organismes/action_post", data={"action": "exporter_selection", "rowid": [org_id]})
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert sheet.max_row == 2 and [c.value for c in sheet[1]] == ["Nom de l'organisme", "SIREN", "Actif"]
    assert [c.value for c in sheet[2]][0::2] == ["Organisme A2 — Avenir Ouest", "Non"]


def test_a_selection_action_never_runs_from_a_link(app, as_user):
    """FAB's one-record action route would run « Désactiver » on a GET (a link, a prefetch): it names nothing."""
    from app.models import Utilisateur

    colleague = user_id(app, "etab.user")
    org = as_user("org.admin")
    for method in (org.get, org.post):
        assert method(f"/utilisateurs/action/desactiver_selection/{colleague}").status_code == 404
    assert org.get(f"/candidatures/action/envoyer_selection/{ids(app, ('Fontaine', 'Inès'))[0]}").status_code == 404
    with app.app_context():
        assert demo(Utilisateur, id=colleague).active is True


def test_the_api_runs_an_event_on_a_selection_with_each_refusal(app, api_as):
    ready, early = ids(app, ("Fontaine", "Inès"), ("Moreau", "Camille"))
    api = api_as("etab.user")
    answer = api.post("/api/v1/candidature/lot", json={"action": "envoyer_certification", "ids": [ready, early]})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["faits"], body["refuses"]) == (1, 1)
    done, refused = body["resultats"]
    assert done["id"] == ready and done["fait"] and refused["id"] == early and not refused["fait"]
    assert refused["message"] and status(app, ready) == statuts.ATTENTE_JURY
    missing = api.post("/api/v1/candidature/lot", json={"action": "abandonner", "ids": [early]})
    assert missing.status_code == 422 and "motif" in missing.get_json()["message"]
    assert api.post("/api/v1/candidature/lot", json={"action": "supprimer", "ids": [early]}).status_code == 422
    assert api.post("/api/v1/candidature/lot", json={"action": "abandonner", "ids": []}).status_code == 422
    outside = ids(app, ("Lambert", "Yanis"))[0]
    other = api_as("etab2.user").post("/api/v1/candidature/lot", json={"action": "abandonner", "ids": [outside]})
    assert other.status_code == 404 and status(app, outside) != statuts.ABANDONNEE
