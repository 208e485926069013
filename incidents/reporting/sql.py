"""The database side of the metrics computation: durations in seconds computed by the
database (PostgreSQL and SQLite spell them differently), whether the database computes
percentiles itself (PostgreSQL's ``percentile_cont``), and that same interpolation in
Python for the portable path, so both paths give identical figures."""

from __future__ import annotations

import math

from django.db import connection
from django.db.models import FloatField, Func


class DurationSeconds(Func):
    """``end - start`` in seconds as a float, computed by the database."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # django_timestamp_diff is the function Django's SQLite backend registers for
        # datetime subtraction; it returns whole microseconds.
        return self.as_sql(
            compiler,
            connection,
            template="(django_timestamp_diff(%(expressions)s) / 1000000.0)",
            arg_joiner=", ",
            **extra,
        )


class IntervalSeconds(Func):
    """A DurationField column in seconds as a float."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite stores a DurationField as an integer number of microseconds.
        return self.as_sql(compiler, connection, template="(%(expressions)s / 1000000.0)", **extra)


def percentile_cont(sorted_values: list[float], fraction: float) -> float | None:
    """The same linear interpolation as SQL's ``percentile_cont`` on sorted values."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    low_value, high_value = sorted_values[lower], sorted_values[upper]
    return low_value + (high_value - low_value) * (position - lower)


def database_has_percentile_cont() -> bool:
    """Whether the database computes the percentiles (PostgreSQL) or Python does."""
    return connection.vendor == "postgresql"
