"""statistics rollups: cells per ticket, cubes per month and week, changes to apply

The department_stats table they replace held nothing that cannot be compiled again: the first
run of the statistics job after this migration compiles the rollups in full.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:46:51.567308

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stat_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_change'))
    )
    with op.batch_alter_table('stat_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_change_ticket_id'), ['ticket_id'], unique=False)

    op.create_table(
        'stat_rollup',
        sa.Column('cube', sa.String(length=3), nullable=False),
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('department_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('area_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('received', sa.Integer(), server_default='0', nullable=False),
        sa.Column('accepted', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rejected', sa.Integer(), server_default='0', nullable=False),
        sa.Column('resolved', sa.Integer(), server_default='0', nullable=False),
        sa.Column('on_time', sa.Integer(), server_default='0', nullable=False),
        sa.Column('backlog', sa.Integer(), server_default='0', nullable=False),
        sa.Column('overdue', sa.Integer(), server_default='0', nullable=False),
        sa.Column('answered', sa.Integer(), server_default='0', nullable=False),
        sa.Column('reopened', sa.Integer(), server_default='0', nullable=False),
        sa.Column('transfers', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rated', sa.Integer(), server_default='0', nullable=False),
        sa.Column('satisfied', sa.Integer(), server_default='0', nullable=False),
        sa.Column('acceptable', sa.Integer(), server_default='0', nullable=False),
        sa.Column('not_satisfied', sa.Integer(), server_default='0', nullable=False),
        sa.Column('national_ok', sa.Integer(), server_default='0', nullable=False),
        sa.Column('handling', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            'cube',
            'grain',
            'period',
            'department_id',
            'category_id',
            'area_id',
            'channel',
            'kind',
            name=op.f('pk_stat_rollup'),
        ),
    )
    with op.batch_alter_table('stat_rollup', schema=None) as batch_op:
        batch_op.create_index(
            'ix_stat_rollup_drill', ['cube', 'grain', 'department_id', 'category_id', 'period'], unique=False
        )

    op.create_table(
        'stat_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('horizon', sa.DateTime(timezone=True), nullable=False),
        sa.Column('rebuilt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_state')),
    )
    op.create_table(
        'ticket_stat',
        sa.Column('ticket_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_stat')),
    )
    op.drop_table('department_stats')


def downgrade():
    op.create_table(
        'department_stats',
        sa.Column('department_id', sa.INTEGER(), nullable=False),
        sa.Column('received', sa.INTEGER(), nullable=False),
        sa.Column('accepted', sa.INTEGER(), nullable=False),
        sa.Column('rejected', sa.INTEGER(), nullable=False),
        sa.Column('resolved', sa.INTEGER(), nullable=False),
        sa.Column('resolved_on_time', sa.INTEGER(), nullable=False),
        sa.Column('open_overdue', sa.INTEGER(), nullable=False),
        sa.Column('rated', sa.INTEGER(), nullable=False),
        sa.Column('not_satisfied', sa.INTEGER(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['department_id'], ['department.id'], name=op.f('fk_department_stats_department_id_department')
        ),
        sa.PrimaryKeyConstraint('department_id', name=op.f('pk_department_stats')),
    )
    op.drop_table('ticket_stat')
    op.drop_table('stat_state')
    with op.batch_alter_table('stat_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_rollup_drill')

    op.drop_table('stat_rollup')
    with op.batch_alter_table('stat_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_change_ticket_id'))

    op.drop_table('stat_change')
