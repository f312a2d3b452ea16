"""The sandbox templates run in, and where they are found.

Templates are code written by users, so they run in Jinja2's `ImmutableSandboxedEnvironment`
with `StrictUndefined` (a misspelt name is an error, never an empty string), no globals, and
arcollect's filters only. HTML templates (``.html``) are autoescaped. Shipped templates come
from this package's ``templates/`` folder; a user directory, if given, is searched first, so a
user file overrides the shipped one of the same name and locale.

Layout, per template NAME and locale (``de`` or ``de_DE``):

- ``NAME.LOCALE.txt`` holds the blocks ``subject``, ``text`` and (optional) ``sms``;
- ``NAME.LOCALE.html`` is the HTML body of e-mails and letters (optional).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import jinja2
import jinja2.sandbox

from arcollect.letters import filters as fmt

__all__ = ["TEMPLATE_DIR", "candidates", "make_environment"]

#: The shipped templates.
TEMPLATE_DIR: Final = Path(__file__).parent / "templates"


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(".html")


def _filter(fn: Callable[..., str]) -> Callable[..., str]:
    @jinja2.pass_context
    def run(ctx: jinja2.runtime.Context, value: Any, *args: Any) -> str:
        return fn(value, *args, ctx["locale"])

    return run


def _date(fn: Callable[..., str]) -> Callable[..., str]:
    @jinja2.pass_context
    def run(ctx: jinja2.runtime.Context, value: Any, format: str = "medium") -> str:
        return fn(value, format, ctx["locale"])

    return run


@functools.cache
def _shipped_environment() -> jinja2.Environment:
    return make_environment(None)


def make_environment(user_dir: str | Path | None) -> jinja2.Environment:
    """Return the sandboxed environment reading *user_dir* first, then the shipped templates."""
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATE_DIR)))
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.clear()
    env.filters.clear()
    env.filters.update(
        {
            "money": _filter(fmt.format_money),
            "number": _filter(fmt.format_number),
            "percent": _filter(fmt.format_percent),
            "days": _filter(fmt.format_days),
            "date": _date(fmt.format_date),
        }
    )
    return env


def environment(user_dir: str | Path | None) -> jinja2.Environment:
    """Return the environment for *user_dir* (the shipped one is made once per process)."""
    return _shipped_environment() if user_dir is None else make_environment(user_dir)


def candidates(name: str, locales: Sequence[str], suffix: str) -> list[tuple[str, str]]:
    """Return the file names to try for *name*, with the locale each one renders in.

    For each locale of the chain, the full code first (``de_DE``), then the language (``de``).
    """
    out: list[tuple[str, str]] = []
    for loc in locales:
        lang = loc.split("_")[0]
        out.extend((f"{name}.{code}.{suffix}", loc) for code in dict.fromkeys((loc, lang)))
    return out


def find(
    env: jinja2.Environment, name: str, locales: Sequence[str], suffix: str
) -> tuple[str, str] | None:
    """Return the first existing file for *name* in *locales* and its locale, or None."""
    assert env.loader is not None  # noqa: S101 - every environment here has one
    for file, loc in candidates(name, locales, suffix):
        try:
            env.loader.get_source(env, file)
        except jinja2.TemplateNotFound:
            continue
        return file, loc
    return None
