"""keyed content hash

Every stored content hash becomes HMAC-SHA-256(dossier hash key, the plain SHA-256 hex digest): the content
holds the dossier code, and a plain hash of it beside the rest of the row gave the code back after a few
thousand guesses. New rows are hashed the same way at ingestion (app.responses.service.content_hash), so
replays of submissions stored before this revision still match. No schema change.

Revision ID: efcfce3c44f8
Revises: 295e3a7d947f
Create Date: 2026-11-23 16:16:57.480045+00:00
"""

import hashlib
import hmac
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from app.config import Settings, decode_key, resolve_secrets

revision: str = "efcfce3c44f8"
down_revision: str | Sequence[str] | None = "295e3a7d947f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000


def _key() -> bytes:
    """The dossier hash key: passed by `sipas migrate` (app.migrate), else read as the service reads it."""
    value = context.config.attributes.get("dossier_hash_key") or resolve_secrets(Settings()).dossier_hash_key
    return decode_key(value or "", name="SIPAS_DOSSIER_HASH_KEY")


def upgrade() -> None:
    connection = op.get_bind()
    select = sa.text("SELECT id, content_hash FROM responses WHERE id > :after ORDER BY id LIMIT :size")
    update = sa.text("UPDATE responses SET content_hash = :hash WHERE id = :id")
    key: bytes | None = None
    after = 0
    while rows := connection.execute(select, {"after": after, "size": BATCH}).all():
        key = key or _key()
        connection.execute(
            update,
            [{"id": id_, "hash": hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()} for id_, plain in rows],
        )
        after = rows[-1][0]


def downgrade() -> None:
    # The plain hashes cannot be recovered from the keyed ones.
    if op.get_bind().execute(sa.text("SELECT 1 FROM responses LIMIT 1")).first() is not None:
        raise RuntimeError(
            "cannot downgrade below efcfce3c44f8 with responses stored: their content hashes are keyed and the "
            "plain ones cannot be recovered; restore a backup taken before the upgrade instead"
        )
