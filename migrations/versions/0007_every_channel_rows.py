"""statistics: rows of every channel and kind, and an index of tickets by reception

The rollups gain a province-wide cube ("t") and, in every cube, rows summing every channel and
kind (StatRollup, EVERY), which the rows compiled before lack: forgetting the compilation state
makes the next statistics job compile them in full. The dashboard's list of the tickets received in a period counts and pages them
on the new index alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 05:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ticket_received',
            ['submitted_at', 'id', 'department_id', 'category_id', 'area_id', 'channel', 'kind'],
            unique=False,
        )
    op.execute("DELETE FROM stat_state")


def downgrade():
    # The rows the earlier readers would count twice go now; the rest is compiled again.
    op.execute("DELETE FROM stat_rollup WHERE channel = '*' OR cube = 't'")
    op.execute("DELETE FROM stat_state")
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_received')
