"""Conversion between the domain types and plain data: dicts, JSON, YAML and CSV rows.

Three parts: `arcollect.convert.hooks` (the cattrs converter: `structure`, `unstructure`),
`arcollect.convert.documents` (portfolio documents in YAML and JSON) and
`arcollect.convert.ibm` (the IBM accounts-receivable CSV adapter).
"""

from arcollect.convert.documents import (
    Portfolio,
    dump_portfolio,
    parse_portfolio,
    parse_portfolio_document,
    portfolio_document_from_dict,
    portfolio_from_dict,
    portfolio_to_dict,
    read_portfolio,
    read_portfolio_document,
)
from arcollect.convert.hooks import structure, unstructure
from arcollect.convert.ibm import IBM_CSV_COLUMNS, parse_ibm_csv, read_ibm_csv

__all__ = [
    "IBM_CSV_COLUMNS",
    "Portfolio",
    "dump_portfolio",
    "parse_ibm_csv",
    "parse_portfolio",
    "parse_portfolio_document",
    "portfolio_document_from_dict",
    "portfolio_from_dict",
    "portfolio_to_dict",
    "read_ibm_csv",
    "read_portfolio",
    "read_portfolio_document",
    "structure",
    "unstructure",
]
