"""Verifiable certificates and the candidate informed (issue 18): each certificate's verification code (existing
certificates get one here), and the outbox's mails to a candidate linked to their file (« Mails au candidat »).

Revision ID: c1_certificats_verifiables
Revises: c3_offres_cpf
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "c1_certificats_verifiables"
down_revision = "c3_offres_cpf"
branch_labels = None
depends_on = None

LOT = 1000


def upgrade():
    with op.batch_alter_table("certificat") as batch:
        batch.add_column(sa.Column("code_verification", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    # The certificates issued before: a code each (the same drawing as app/domain/certificats.nouveau_code).
    ids = list(bind.execute(sa.text("SELECT id FROM certificat WHERE code_verification IS NULL ORDER BY id")).scalars())
    for start in range(0, len(ids), LOT):
        bind.execute(
            sa.text("UPDATE certificat SET code_verification = :code WHERE id = :id"),
            [{"code": secrets.token_urlsafe(15), "id": pk} for pk in ids[start : start + LOT]],
        )
    with op.batch_alter_table("certificat") as batch:
        batch.create_index("uq_certificat_code_verification", ["code_verification"], unique=True)

    with op.batch_alter_table("mail_sortant") as batch:
        batch.add_column(sa.Column("candidature_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_mail_sortant_candidature_id_candidature",
            "candidature",
            ["candidature_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(batch.f("ix_mail_sortant_candidature_id"), ["candidature_id"], unique=False)


def downgrade():
    with op.batch_alter_table("mail_sortant") as batch:
        batch.drop_index(batch.f("ix_mail_sortant_candidature_id"))
        batch.drop_constraint("fk_mail_sortant_candidature_id_candidature", type_="foreignkey")
        batch.drop_column("candidature_id")
    with op.batch_alter_table("certificat") as batch:
        batch.drop_index("uq_certificat_code_verification")
        batch.drop_column("code_verification")
