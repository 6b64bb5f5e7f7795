"""due-work index: each ticket's next instant at which the deadline sweep must look at it
(feedback/services/deadlines/due.py), so that a sweep reads what is due, not every ticket

The partial index holds only the tickets that something can still fall due on. Existing open
and answered tickets are made due at once: the first sweep looks at each of them and stores its
real next instant.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 21:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

WHERE = "next_due_at IS NOT NULL"
PENDING = "('submitted', 'accepted', 'in_progress', 'waiting_for_submitter', 'reopened', 'resolved')"


def upgrade():
    op.add_column('ticket', sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE ticket SET next_due_at = submitted_at WHERE status IN {PENDING}")
    op.create_index(
        'ix_ticket_next_due_at', 'ticket', ['next_due_at', 'id'],
        postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE),
    )


def downgrade():
    op.drop_index('ix_ticket_next_due_at', table_name='ticket')
    with op.batch_alter_table('ticket') as batch:
        batch.drop_column('next_due_at')
