"""EVALUATIONS tab: list, « Créer une candidature » form, candidate page, perimeter."""

from sqlalchemy import select

from app.extensions import db
from app.models import Candidature, Etablissement
from tests.conftest import demo, page_text


def form(etab_id, **overrides):
    data = {
        "etablissement": etab_id,
        "certification": "clea",
        "statut_inscription": "Demandeur d'emploi",
        "niveau_formation": "Niveau 2 – ancien niveau V bis",
        "financeur_principal": "Initiative individuelle",
        "civilite": "Monsieur",
        "nom_naissance": "Martin",
        "prenom": "Noé",
        "date_naissance": "12/03/1978",
        "ne_etranger": "",
        "ville_naissance": "Lille",
        "code_postal_naissance": "59000",
    }
    data.update(overrides)
    return data


def propose_martin(app, as_user) -> int:
    """« Martin Noé », proposed through the form by etab.user in A1-1 (network A); returns the file's id."""
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    response = as_user("etab.user").post("/candidatures/proposer", data=form(etab_id))
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        return db.session.execute(select(Candidature.id).where(Candidature.nom_naissance == "Martin")).scalar_one()


def test_create_from_the_form_then_see_it_in_the_list_and_its_page(app, as_user):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    client = as_user("etab.user")
    page = page_text(client.get("/candidatures/proposer"))
    for label in (
        "Etablissement d'évaluation",
        "Statut à l'inscription",
        "Branche délégataire",
        "Né à l'étranger",
        "Code postal de naissance",
        "Objectifs de projet professionnel",
    ):
        assert label in page
    response = client.post("/candidatures/proposer", data=form(etab_id), follow_redirects=True)
    text = page_text(response)
    assert "est créée" in text and "Candidat - Martin Noé" in text
    assert "Candidature créée le" in text and "En attente d'évaluation préalable" in text
    listing = page_text(client.get("/candidatures/list/"))
    assert "Martin Noé" in listing and "Avenir Paris République" in listing


def test_errors_are_shown_next_to_the_fields(app, as_user):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    response = as_user("etab.user").post(
        "/candidatures/proposer",
        data=form(etab_id, nom_naissance="Erreur", ne_etranger="1", date_naissance="2090-01-01"),
    )
    text = page_text(response)
    assert "La date de naissance ne peut pas être dans le futur." in text
    assert "Ce champ est obligatoire." in text  # pays de naissance
    assert 'value="Erreur"' in response.get_data(as_text=True)


def test_other_network_gets_404_and_certifier_sees_nothing_before_sending(app, as_user):
    pk = propose_martin(app, as_user)
    assert as_user("etab2.user").get(f"/candidatures/show/{pk}").status_code == 404
    assert as_user("reseau2.admin").get(f"/candidatures/show/{pk}").status_code == 404
    assert as_user("certif.idf").get(f"/candidatures/show/{pk}").status_code == 404
    assert as_user("reseau.admin").get(f"/candidatures/show/{pk}").status_code == 200
    assert "Martin Noé" not in page_text(as_user("org2.admin").get("/candidatures/list/"))


def test_evaluations_tab_only_for_profiles_with_a_habilitated_establishment(app, as_user):
    assert "EVALUATIONS" in page_text(as_user("etab.user").get("/"))
    assert "EVALUATIONS" not in page_text(as_user("reseau.superviseur").get("/"))
    from app.models import DemandeHabilitation

    with app.app_context():  # A1-1 loses its habilitation: its users lose the tab
        demandes = (
            db.session.execute(
                select(DemandeHabilitation).where(DemandeHabilitation.etablissements.any(nom="Avenir Paris République"))
            )
            .scalars()
            .all()
        )
        before = {d.id: d.etat for d in demandes}
        for d in demandes:
            d.etat = DemandeHabilitation.REJETEE
        db.session.commit()
    assert "EVALUATIONS" not in page_text(as_user("etab.user").get("/"))
    with app.app_context():  # put it back for the next tests
        for pk, etat in before.items():
            db.session.get(DemandeHabilitation, pk).etat = etat
        db.session.commit()


def test_dashboard_counts_the_perimeter_files_and_offers_to_propose(app, as_user):
    propose_martin(app, as_user)
    text = page_text(as_user("reseau.admin").get("/"))
    assert "En attente d'évaluation initiale" in text and "Proposer une candidature" in text
    assert "Martin Noé" in text  # latest changes
    other = page_text(as_user("reseau2.admin").get("/"))
    assert "Martin Noé" not in other
    assert "Proposer une candidature" not in page_text(as_user("reseau.superviseur").get("/"))


def test_edit_the_file_then_read_only_after_sending(app, as_user):
    with app.app_context():
        pk = demo(Candidature, numero_dossier="2026000002").id  # A1-1, attente évaluation finale
        sent = demo(Candidature, numero_dossier="2026000004").id  # attente de jury
    client = as_user("etab.user")
    page = client.get(f"/candidatures/{pk}/editer")
    assert 'value="11/01/1973"' in page.get_data(as_text=True)  # the birth date, jj/mm/aaaa
    data = form(
        None,
        nom_naissance="Lambert",
        prenom="Yanis",
        date_naissance="11/01/1973",
        ville_naissance="Paris",
        code_postal_naissance="75011",
        nom_usage="Lambert-Roux",
    )
    data.pop("etablissement")
    done = client.post(f"/candidatures/{pk}/editer", data=data, follow_redirects=True)
    assert "La fiche est mise à jour." in page_text(done) and "Lambert-Roux Yanis" in page_text(done)
    with app.app_context():
        assert db.session.get(Candidature, pk).etablissement.nom == "Avenir Paris République"
    # Sent to certification: read-only for the OF, still editable by Certif Pro.
    assert "Editer la fiche" not in page_text(client.get(f"/candidatures/show/{sent}"))
    refused = client.post(f"/candidatures/{sent}/editer", data=data, follow_redirects=True)
    assert "lecture seule" in page_text(refused)
    assert "Editer la fiche" in page_text(as_user("certifpro").get(f"/candidatures/show/{sent}"))


def test_deactivate_and_reactivate(app, as_user):
    with app.app_context():
        pk = demo(Candidature, numero_dossier="2026000001").id
    client = as_user("org.admin")
    off = client.post(f"/candidatures/{pk}/activer", data={"actif": ""}, follow_redirects=True)
    assert "La candidature est désactivée." in page_text(off) and "Désactivée" in page_text(off)
    on = client.post(f"/candidatures/{pk}/activer", data={"actif": "1"}, follow_redirects=True)
    assert "La candidature est réactivée." in page_text(on)
    assert as_user("etab2.user").post(f"/candidatures/{pk}/activer", data={"actif": ""}).status_code == 404


def test_candidature_list_filters_by_status_label_and_counts_like_the_guide(app, as_user):
    client = as_user("org.admin")
    page = client.get("/candidatures/list/").get_data(as_text=True)
    # The status filter offers the French labels, not the codes (FAB's filter widgets travel as JSON).
    assert '\\u003coption value=\\"attente_jury\\"\\u003eEn attente de jury\\u003c/option' in page
    assert 'value=\\"clea_numerique\\"\\u003eCl\\u00e9A num\\u00e9rique' in page
    text = page_text(client.get("/candidatures/list/?_flt_0_statut=attente_jury"))
    assert "Nombre total d'élément : 1" in text
    assert "2026000004" in text and "2026000003" not in text
    assert "Nombre total d'élément : 0" in page_text(
        client.get("/candidatures/list/?_flt_0_certification=clea_numerique")
    )


def test_dashboard_counters_open_the_list_they_count(app, as_user):
    """issue 17: each counter is a link to its filtered list; « En attente d'affectation à un jury » counts the
    completed files too; « Toutes les candidatures certifiées » opens the certified files."""
    import html
    import re

    client = as_user("etab.user")
    page = client.get("/").get_data(as_text=True)
    counters = re.findall(
        r'<a class="clea-counter-link" href="([^"]+)"[^>]*><div class="clea-counter"><div class="value">([^<]+)</div>'
        r'<div class="label-text">([^<]+)</div>',
        page,
    )
    assert [label for _link, _value, label in counters] == [
        "En attente d&#39;évaluation initiale",
        "En attente d&#39;évaluation finale",
        "En attente d&#39;affectation à un jury",
    ]
    for link, value, _label in counters:
        listed = page_text(client.get(html.unescape(link)))
        assert f"Nombre total d'élément : {value}" in listed, (link, value)
    jury_link, jury_value = html.unescape(counters[2][0]), counters[2][1]
    assert jury_value == "2"  # A1-1: « En attente de jury » and « Candidature complétée »
    listed = page_text(client.get(jury_link))
    assert "Candidature complétée" in listed and "En attente de jury" in listed
    certified = re.search(r'<a href="([^"]+)">Toutes les candidatures certifiées</a>', page).group(1)
    assert "Certifiée" in page_text(client.get(html.unescape(certified)))


def test_dashboard_latest_changes_are_chosen_by_status_with_tous_by_default(app, as_user):
    """issue 17: « Dernières modifications ▾ Tous » — the latest changes of one status, and its list."""
    import html
    import re

    def latest(page):
        block = page.split('id="dernieres-modifications"')[1].split("</table>")[0]
        return re.findall(r"<td>([^<]+)</td><td>\d\d/\d\d/\d{4}</td>", block)

    client = as_user("org.admin")
    page = client.get("/").get_data(as_text=True)
    assert '<option value="">Tous</option>' in page and "data-clea-autosubmit" in page
    everything = set(latest(page))
    assert len(everything) > 1  # several statuses among the latest changes of A1
    chosen = client.get("/?modifications=attente_evaluation_prealable").get_data(as_text=True)
    assert set(latest(chosen)) == {"En attente d&#39;évaluation préalable"}
    assert '<option value="attente_evaluation_prealable" selected>' in chosen
    link = re.search(r'<a href="([^"]+)">Tous les dossiers de ce statut</a>', chosen).group(1)
    listed = page_text(client.get(html.unescape(link)))
    assert "En attente d'évaluation préalable" in listed and "Certifiée" not in listed
    # an unknown status is « Tous »
    assert set(latest(client.get("/?modifications=nimporte").get_data(as_text=True))) == everything
