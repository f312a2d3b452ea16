"""Development sessions: ``nox -s tests``, ``nox -s typecheck``, ``nox -s lint``."""

import nox

nox.options.error_on_external_run = True
nox.options.sessions = ["tests", "typecheck", "lint"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite, doctests included."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Check types of the package, its tests and benchmarks with mypy --strict."""
    session.install("-e", ".[dev]")
    session.run("mypy", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
