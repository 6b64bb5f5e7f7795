"""Open311 API clients and the tickets they filed, with a photo's address

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_client',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('contact_email', sa.String(length=200), nullable=False),
        sa.Column('key_prefix', sa.String(length=12), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('hourly_limit', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user_account.id'], name=op.f('fk_api_client_created_by_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_api_client_key_hash')),
    )
    op.create_table(
        'api_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=40), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_api_submission_client_id_api_client')),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_api_submission_ticket_id_ticket')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_submission')),
        sa.UniqueConstraint('ticket_id', name=op.f('uq_api_submission_ticket_id')),
        sa.UniqueConstraint('token', name=op.f('uq_api_submission_token')),
    )
    with op.batch_alter_table('api_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_submission_client_id'), ['client_id'], unique=False)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_url', sa.String(length=2000), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('media_url')
    with op.batch_alter_table('api_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_submission_client_id'))
    op.drop_table('api_submission')
    op.drop_table('api_client')
