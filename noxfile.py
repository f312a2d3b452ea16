"""Development sessions: ``nox -s tests``, ``typecheck``, ``lint`` and ``fuzz`` (long budget)."""

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


@nox.session
def fuzz(session: nox.Session) -> None:
    """Run the fuzz campaign on a long budget: ``nox -s fuzz -- --time 600 [--seed N]``.

    Other arguments after ``--`` go to pytest.
    """
    args = list(session.posargs)
    budget = "600"
    extra: list[str] = []
    while args:
        arg = args.pop(0)
        if arg == "--time" and args:
            budget = args.pop(0)
        elif arg.startswith("--time="):
            budget = arg.removeprefix("--time=")
        elif arg == "--seed" and args:
            extra += ["--fuzz-seed", args.pop(0)]
        else:
            extra.append(arg)
    session.install("-e", ".[test]")
    session.run("pytest", "tests/fuzz", "--fuzz-time", budget, *extra)
