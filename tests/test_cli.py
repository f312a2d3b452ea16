from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
CSV = ROOT.parent / "shared" / "data" / "ibm-accounts-receivable.csv"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("arcollect")
    cmd = [exe] if exe else [sys.executable, "-m", "arcollect.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, check=False)


class TestValidate:
    def test_good_files(self) -> None:
        """`arcollect validate` summarizes good files and exits 0."""
        result = run("validate", str(ROOT / "examples" / "portfolio.yaml"), str(CSV))
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"{ROOT / 'examples' / 'portfolio.yaml'}: 3 accounts, 8 invoices",
            f"{CSV}: 100 accounts, 2466 invoices",
        ]

    def test_bad_file(self, tmp_path: Path) -> None:
        """Problems go to stderr, with paths, and the exit code is 1."""
        bad = tmp_path / "bad.yaml"
        bad.write_text("currency: EUR\naccounts: [{id: A, terms: soon}]\n", encoding="utf-8")
        result = run("validate", str(bad))
        assert result.returncode == 1
        assert result.stderr == (
            f"{bad}: 1 problem\n  accounts[0].terms: expected a number of days such as "
            "'30 days', got 'soon'\n"
        )

    def test_usage(self) -> None:
        """No command is a usage error: exit 2."""
        assert run().returncode == 2
