"""Writes the matrix's roles into FAB's tables (ab_role, ab_permission_view…), so that every user row
points at a real role and FAB's own screens show the same matrix. Access checks read the matrix in memory."""

from app.domain import access
from app.extensions import appbuilder, db


def sync_roles() -> None:
    sm = appbuilder.sm
    for profile, pairs in access.fab_roles().items():
        role = sm.find_role(profile) or sm.add_role(profile)
        wanted = [sm.add_permission_view_menu(permission, resource) for resource, permission in pairs]
        if {pv.id for pv in role.permissions} != {pv.id for pv in wanted}:
            role.permissions = wanted
    if sm.find_role(sm.auth_role_public) is None:
        sm.add_role(sm.auth_role_public)
    db.session.commit()
