"""Trust (issue 11): revocable logins, failed-login counters, confirmed email changes, outbox links scrubbed

Revision ID: 7d2e4b9c1f03
Revises: a5_taches
Create Date: 2026-12-10 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7d2e4b9c1f03"
down_revision = "a5_taches"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("email_pending", sa.String(length=254), nullable=True))
    with op.batch_alter_table("jeton_utilisateur", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("mail_sortant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corps_apres_envoi", sa.Text(), nullable=True))
    op.create_table(
        "connexion_revoquee",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sid"),
    )
    with op.batch_alter_table("connexion_revoquee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connexion_revoquee_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_connexion_revoquee_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "echec_connexion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cle", sa.String(length=300), nullable=False),
        sa.Column("moment", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("echec_connexion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_echec_connexion_moment"), ["moment"], unique=False)
        batch_op.create_index("ix_echec_connexion_cle_moment", ["cle", "moment"], unique=False)


def downgrade():
    with op.batch_alter_table("echec_connexion", schema=None) as batch_op:
        batch_op.drop_index("ix_echec_connexion_cle_moment")
        batch_op.drop_index(batch_op.f("ix_echec_connexion_moment"))
    op.drop_table("echec_connexion")
    with op.batch_alter_table("connexion_revoquee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connexion_revoquee_expires_at"))
        batch_op.drop_index(batch_op.f("ix_connexion_revoquee_user_id"))
    op.drop_table("connexion_revoquee")
    with op.batch_alter_table("mail_sortant", schema=None) as batch_op:
        batch_op.drop_column("corps_apres_envoi")
    with op.batch_alter_table("jeton_utilisateur", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_column("email_pending")
        batch_op.drop_column("session_epoch")
