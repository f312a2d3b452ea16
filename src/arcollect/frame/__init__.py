"""Plans from tables: a portfolio as polars DataFrames, and the columnar engine.

Needs polars (``pip install 'arcollect[frame]'``). See docs/scale.md, "Tables and the
columnar engine", for the column names and what is vectorised.
"""

from arcollect.errors import ArcollectError

try:
    import polars as pl  # noqa: F401 - the extra this module needs, checked once, here
except ImportError:
    raise ArcollectError("reading tables needs polars: pip install 'arcollect[frame]'") from None

from arcollect.frame._plan import Split, partition, plan, split
from arcollect.frame._tables import SCHEMAS, TABLES, Column, Tables, read_tables

__all__ = [
    "SCHEMAS",
    "TABLES",
    "Column",
    "Split",
    "Tables",
    "partition",
    "plan",
    "read_tables",
    "split",
]
