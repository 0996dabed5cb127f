"""Every ``python`` block of docs/*.md runs, or is the very code of a test that runs.

* a block of ``def test_...`` functions (a recipe) must appear, line for line, in the test file the page
  names (tests/testing/test_recipes.py): the page shows the code that CI runs, not a paraphrase of it;
* a block of pytest tests with ``...`` bodies is written to a file and run by pytest with our plugin;
* a call signature (``start_cluster(masters=3, ...)`` alone) is checked against the real function;
* any other block is a script: it runs in a fresh interpreter and must exit 0.
"""

from __future__ import annotations

import ast
import glob
import inspect
import os
import re
import subprocess
import sys

import pytest

from helpers import ROOT

FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
RECIPES = os.path.join(ROOT, "tests", "testing", "test_recipes.py")


def blocks() -> list:
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        with open(path) as f:
            text = f.read()
        for i, code in enumerate(FENCE.findall(text)):
            out.append(pytest.param(code, id="%s-%d" % (os.path.basename(path), i + 1)))
    return out


def kind(code: str) -> str:
    tree = ast.parse(code)
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    if funcs and all(isinstance(n.body[-1], ast.Expr) and isinstance(n.body[-1].value, ast.Constant)
                     and n.body[-1].value.value is Ellipsis for n in funcs):
        return "pytest-skeleton"
    if funcs:
        return "recipe"
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Call):
        return "signature"
    return "script"


def _lines(text: str) -> list:
    """The code's lines without comments (the page may word a comment for its reader)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"\s+#(?=[^\"']*$).*$", "", line).rstrip()
        if line.strip() and not line.strip().startswith("#"):
            out.append(line)
    return out


def _defaults(fn) -> dict:
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def test_docs_have_python_blocks():
    kinds = {kind(p.values[0]) for p in blocks()}
    assert {"recipe", "script", "signature", "pytest-skeleton"} <= kinds


@pytest.mark.timeout(300)
@pytest.mark.parametrize("code", blocks())
def test_docs_python(code, tmp_path):
    k = kind(code)
    if k == "recipe":
        with open(RECIPES) as f:
            source = _lines(f.read())
        want = _lines(code)
        starts = [i for i, line in enumerate(source) if line == want[0]]
        assert any(source[i:i + len(want)] == want for i in starts), \
            "this recipe is not, line for line, in tests/testing/test_recipes.py:\n" + code
    elif k == "signature":
        # start_cluster(...) passes its other keywords to the cluster classes: their defaults count too
        from pyredis_cluster import testing
        from pyredis_cluster.testing import cluster as tc
        call = ast.parse(code).body[0].value
        fn = getattr(testing, call.func.id)
        params = _defaults(fn)
        if fn is tc.start_cluster:
            params = {**_defaults(tc.Cluster.__init__), **_defaults(tc.ProcessCluster.__init__), **params}
            params.pop("self")
        for kw in call.keywords:
            assert kw.arg in params, "%s has no argument %s" % (call.func.id, kw.arg)
            assert ast.literal_eval(kw.value) == params[kw.arg], \
                "the default of %s is %r, not %r" % (kw.arg, params[kw.arg], ast.literal_eval(kw.value))
        documented = {kw.arg for kw in call.keywords}
        assert set(_defaults(fn)) <= documented, "undocumented: %s" % (set(_defaults(fn)) - documented)
    elif k == "pytest-skeleton":
        path = tmp_path / "test_from_docs.py"
        path.write_text(code)
        n = len(re.findall(r"^def test_", code, re.M))
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                             cwd=tmp_path, capture_output=True, text=True, timeout=280)
        assert res.returncode == 0 and "%d passed" % n in res.stdout, res.stdout[-3000:] + res.stderr[-2000:]
    else:
        res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                             timeout=280, env=dict(os.environ, PYTHONPATH=ROOT))
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
