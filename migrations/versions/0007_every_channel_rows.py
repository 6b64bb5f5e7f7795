"""statistics: rows of every channel and kind, a key in the order readers use, and an index of tickets by reception

The rollups gain a province-wide cube ("t") and, in every cube, rows summing every channel and
kind (StatRollup, EVERY), which the rows compiled before lack. Their primary key now leads with
what readers fix (cube, grain, channel, kind, then the dimensions) and ends with the period they
read a range of, which makes the separate drill-down index unneeded. The table holds nothing
that cannot be compiled again: it is made anew, and forgetting the compilation state makes the
next statistics job compile it in full.

The dashboard's list of the tickets received in a period counts and pages them on the new
ticket index alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 05:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _create_stat_rollup(*key: str) -> None:
    op.create_table('stat_rollup',
    sa.Column('cube', sa.String(length=3), nullable=False),
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('department_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('area_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    *(sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in (
        'received', 'accepted', 'rejected', 'resolved', 'on_time', 'backlog', 'overdue', 'answered',
        'reopened', 'transfers', 'rated', 'satisfied', 'acceptable', 'not_satisfied', 'national_ok')),
    sa.Column('handling', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint(*key, name=op.f('pk_stat_rollup'))
    )


def upgrade():
    op.drop_table('stat_rollup')
    _create_stat_rollup('cube', 'grain', 'channel', 'kind', 'department_id', 'category_id', 'area_id', 'period')
    op.execute("DELETE FROM ticket_stat")
    op.execute("DELETE FROM stat_state")
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ticket_received',
            ['submitted_at', 'id', 'department_id', 'category_id', 'area_id', 'channel', 'kind'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_received')
    op.drop_table('stat_rollup')
    _create_stat_rollup('cube', 'grain', 'period', 'department_id', 'category_id', 'area_id', 'channel', 'kind')
    with op.batch_alter_table('stat_rollup', schema=None) as batch_op:
        batch_op.create_index(
            'ix_stat_rollup_drill', ['cube', 'grain', 'department_id', 'category_id', 'period'], unique=False
        )
    op.execute("DELETE FROM ticket_stat")
    op.execute("DELETE FROM stat_state")
