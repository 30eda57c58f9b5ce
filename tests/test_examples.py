"""The examples run, as a user would run them, and do what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

STATUSES = ("investigating", "identified", "monitoring", "resolved")


class TestRunbook:
    def test_the_runbook_runs_and_builds_the_status_page(self, tmp_path: Path) -> None:
        """``python examples/runbook.py FOLDER`` exits 0 and leaves the whole timeline there."""
        env = {k: v for k, v in os.environ.items() if k != "CANDOR_CONFIG"}
        finished = subprocess.run(
            [sys.executable, str(EXAMPLES / "runbook.py"), str(tmp_path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert "Traceback" not in finished.stderr

        index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
        assert "Checkout API failing in eu-west" in index
        for status in STATUSES:
            assert status in index.lower(), status

        pages = list((tmp_path / "site" / "incidents").glob("*.html"))
        assert len(pages) == 1
        page = pages[0].read_text(encoding="utf-8")
        assert "Checkout API failing in eu-west" in page
        for status in STATUSES:
            assert status in page.lower(), status

        assert (tmp_path / "candor.db").is_file()
        assert f"Status page:   {tmp_path / 'site' / 'index.html'}" in finished.stdout
