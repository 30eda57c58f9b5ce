"""The rule families' patterns compile on first use, and then behave as ``re`` patterns do."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from candor.checks._pattern import LazyPattern, lazy


def test_a_lazy_pattern_matches_as_the_compiled_one_does() -> None:
    text = "Requests to the API fail; we are investigating. Requests retry."
    pattern = lazy(r"\brequests?\b", re.IGNORECASE)
    assert pattern._compiled is None
    compiled = re.compile(r"\brequests?\b", re.IGNORECASE)
    assert pattern.search(text, 5) is not None
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert pattern.match(text) is not None
    assert pattern.match(text, 1) is None
    assert pattern.fullmatch("Requests") is not None
    assert pattern.findall(text) == compiled.findall(text)
    assert pattern.sub("calls", text) == compiled.sub("calls", text)
    assert pattern.compiled is pattern.compiled  # compiled once, then kept


def test_loading_the_rule_families_compiles_none_of_their_patterns() -> None:
    code = (
        "import json, sys\n"
        "from candor.checks import audience, cause, facts, wording, check\n"
        "from candor.checks._pattern import LazyPattern\n"
        "families = ('audience', 'cause', 'facts', 'wording')\n"
        "modules = [m for n, m in sys.modules.items()\n"
        "           if n.split('.')[:3] in [['candor', 'checks', f] for f in families]]\n"
        "held = list({id(v): v for m in modules for v in vars(m).values()\n"
        "             if isinstance(v, LazyPattern)}.values())\n"
        "before = sum(p._compiled is not None for p in held)\n"
        "check('We are investigating failed requests; next update by 14:30 UTC.',"
        " status='investigating')\n"
        "print(json.dumps([len(held), before, sum(p._compiled is not None for p in held)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    held, before, after = json.loads(done.stdout)
    assert held > 20
    assert before == 0
    assert 0 < after < held  # a message reaches only the patterns its rules need


def test_it_says_what_it_holds() -> None:
    assert repr(LazyPattern("a|b", re.I)) == "lazy('a|b', re.IGNORECASE)"
