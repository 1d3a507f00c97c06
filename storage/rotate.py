"""Key rotation: re-encrypt every confidential column under the newest secret."""

from __future__ import annotations

from sqlalchemy import Text, select, type_coerce, update

from storage.db import Database
from storage.models import Base
from storage.types import EncryptedJSON, EncryptedText


async def rotate_keys(database: Database) -> int:
    """Re-encrypt every encrypted value with the primary key; returns how many were rewritten."""
    rewritten = 0
    async with database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [
                c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)
            ]
            if not columns:
                continue
            pk = list(table.primary_key.columns)
            for column in columns:
                raw = type_coerce(column, Text)
                rows = (await session.execute(select(*pk, raw).where(column.is_not(None)))).all()
                for row in rows:
                    token = database.keyring.rotate(row[-1])
                    where = [c == row[i] for i, c in enumerate(pk)]
                    await session.execute(
                        update(table).where(*where).values({column.name: type_coerce(token, Text)})
                    )
                    rewritten += 1
    return rewritten
