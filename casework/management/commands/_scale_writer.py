"""Bulk row writer for build_scale_dataset: COPY on PostgreSQL, executemany elsewhere.

The leading underscore keeps this module out of the management commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import JSONField, Max
from psycopg.types.json import Jsonb


class Writer:
    """Inserts rows with ids assigned here: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def next_id(self, model: type[models.Model]) -> int:
        return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1

    def write(self, model: type[models.Model], rows: Iterable[dict]) -> int:
        fields = [f for f in model._meta.concrete_fields if f.column != "search"]
        columns = [f.column for f in fields]
        defaults = {f.attname: f.get_default() for f in fields}
        json_fields = {f.attname for f in fields if isinstance(f, JSONField)}

        def values(row: dict) -> list:
            out = []
            for f in fields:
                value = row.get(f.attname, defaults[f.attname])
                if f.attname in json_fields:
                    # Adapted here, not by the field: Django's adapter may query the server,
                    # which would block while this connection is in COPY mode.
                    value = Jsonb(value) if self.postgres else json.dumps(value)
                out.append(value)
            return out

        table = model._meta.db_table
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(values(row))
                        count += 1
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
                batch = []
                for row in rows:
                    batch.append(values(row))
                    count += 1
                    if len(batch) >= 5000:
                        cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
        return count

    def reset_sequence(self, model: type[models.Model]) -> None:
        if not self.postgres:
            return
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))",  # noqa: S608
                [table],
            )
