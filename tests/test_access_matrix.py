"""The access matrix becomes FAB roles and permissions; FAB checks answer as the matrix says."""

import dataclasses

import pytest
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select

from app.domain import access
from app.extensions import appbuilder, db


def test_icons_give_the_permissions_of_the_guide():
    assert access.icons_to_permissions("👁") == {"can_read"}
    assert access.icons_to_permissions("✏") == {"can_read", "can_edit", "can_delete"}
    assert access.icons_to_permissions("✏➕") == {"can_read", "can_edit", "can_delete", "can_create"}
    assert access.icons_to_permissions("") == set()


def test_every_profile_has_a_row_and_a_perimeter():
    assert set(access.MATRIX) == set(access.PROFILES) == set(access.PERIMETER_LEVEL)
    # Rows are named: one field per tab, in the order of TABS (the « Matrice des droits » page's columns).
    assert [f.name for f in dataclasses.fields(access.Row)] == [access.TAB_KEYS[t] for t in access.TABS]
    assert all(isinstance(row, access.Row) for row in access.MATRIX.values())
    assert (
        access.cell(access.ADMIN_ORGANISME, access.ORGANISMES)
        == access.MATRIX[access.ADMIN_ORGANISME].organismes
        == "✏"
    )


def test_no_resource_name_is_a_prefix_of_another():
    for a in access.TABS:
        for b in access.TABS:
            assert a == b or not b.startswith(a)


EXPECTED = {  # a few cells of roles.md, read independently of the code
    (access.ADMIN_RESEAU, access.ORGANISMES): {"can_read", "can_edit", "can_create"},
    (access.CERTIF_PRO, access.ORGANISMES): {"can_read", "can_edit", "can_delete", "can_create"},
    (access.SUPERVISEUR_RESEAU, access.UTILISATEURS): {"can_read"},
    (access.ADMIN_ORGANISME, access.ORGANISMES): {"can_read", "can_edit"},
    (access.UTILISATEUR_ORGANISME, access.ETABLISSEMENTS): {"can_read"},
    (access.ADMIN_ETABLISSEMENT, access.ORGANISMES): set(),
    (access.UTILISATEUR_ETABLISSEMENT, access.UTILISATEURS): set(),
    (access.UTILISATEUR_ETABLISSEMENT, access.EVALUATIONS): {"can_read", "can_edit", "can_delete", "can_create"},
    (access.SUPERVISEUR_RESEAU, access.EVALUATIONS): set(),
}


@pytest.mark.parametrize("profile_tab, expected", EXPECTED.items())
def test_cells_of_roles_md(profile_tab, expected):
    profile, tab = profile_tab
    granted = {
        perm
        for perm, t in access.permissions_of(profile)
        if t == tab and perm in {"can_read", "can_edit", "can_delete", "can_create"}
    }
    assert granted == expected


def test_special_rights():
    assert access.profile_allows(access.ADMIN_ORGANISME, "can_rouvrir_evaluation", access.EVALUATIONS)
    assert not access.profile_allows(access.UTILISATEUR_ORGANISME, "can_rouvrir_evaluation", access.EVALUATIONS)
    assert access.profile_allows(access.ADMIN_RESEAU, "can_annuler_envoi", access.EVALUATIONS)
    assert not access.profile_allows(access.ADMIN_ORGANISME, "can_annuler_envoi", access.EVALUATIONS)
    for profile in access.PROFILES:
        assert access.profile_allows(profile, "can_changer_actif", access.ETABLISSEMENTS) == (
            profile == access.CERTIF_PRO
        )


@pytest.mark.parametrize(
    "granter, expected",
    [
        (access.ADMIN_RESEAU, list(access.OF_PROFILES)),
        (
            access.ADMIN_ORGANISME,
            [
                access.ADMIN_ORGANISME,
                access.UTILISATEUR_ORGANISME,
                access.ADMIN_ETABLISSEMENT,
                access.UTILISATEUR_ETABLISSEMENT,
            ],
        ),
        (access.ADMIN_ETABLISSEMENT, [access.ADMIN_ETABLISSEMENT, access.UTILISATEUR_ETABLISSEMENT]),
        (access.SUPERVISEUR_RESEAU, []),
        (access.UTILISATEUR_ORGANISME, []),
        (access.CERTIFICATEUR, []),
    ],
)
def test_role_granting_is_equal_or_lower(granter, expected):
    assert access.grantable_profiles(granter) == expected


def test_certif_pro_grants_every_profile():
    assert set(access.grantable_profiles(access.CERTIF_PRO)) == set(access.PROFILES)


def test_roles_in_the_database_hold_exactly_the_matrix(ctx):
    for profile in access.PROFILES:
        role = db.session.execute(select(Role).where(Role.name == profile)).scalar_one()
        stored = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
        assert stored == access.permissions_of(profile) | access.COMMON_PERMISSIONS


@pytest.mark.parametrize("profile", access.PROFILES)
def test_fab_answers_as_the_matrix(ctx, profile):
    role = db.session.execute(select(Role).where(Role.name == profile)).scalar_one()
    sm = appbuilder.sm
    for tab in access.TABS:
        for permission in ("can_read", "can_edit", "can_create", "can_delete"):
            assert sm._has_access_builtin_roles(role, permission, tab) == access.profile_allows(
                profile, permission, tab
            ), (profile, tab, permission)


def test_matrix_page_is_shown_to_certif_pro_only(as_user):
    from tests.conftest import page_text

    response = as_user("certifpro").get("/administration/matrice")
    text = page_text(response)
    assert "Matrice des droits" in text and "Superviseur réseau" in text
    # The rights are icons with their words (no emoji, which a system may lack: issue 17 item 8).
    assert "consulter, rechercher, modifier créer" in text
    html = response.get_data(as_text=True)
    assert '<i class="fa fa-pencil" aria-hidden="true"' in html and '<i class="fa fa-plus" aria-hidden="true"' in html
    assert not {"✏", "➕", "👁"} & set(html), "emoji dans la matrice des droits"
    assert as_user("reseau.admin").get("/administration/matrice").status_code == 403
