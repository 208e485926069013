"""Index kinds the models use whatever the database."""

from django.db import models


class BrinIndex(models.Index):
    """A BRIN index on PostgreSQL (a summary per block range: a few pages for millions
    of rows of an append-only table, and next to nothing to maintain per insert); an
    ordinary index elsewhere (SQLite, the embedded default, has no BRIN)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING brin"
        return super().create_sql(model, schema_editor, using=using, **kwargs)
