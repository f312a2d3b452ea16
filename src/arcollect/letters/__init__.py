"""Correspondence: the written actions of a plan rendered from sandboxed Jinja2 templates.

`render_documents` turns every e-mail, letter and SMS of a `Plan` into a `Document` in the
recipient's locale; `check_templates` checks, before any is rendered, that the templates a
policy names exist, compile, and read only the documented context (`arcollect.letters.context`).
See docs/correspondence.md.
"""

from arcollect.letters.check import check_templates
from arcollect.letters.filters import TemplateError
from arcollect.letters.render import Document, render_documents

__all__ = ["Document", "TemplateError", "check_templates", "render_documents"]
