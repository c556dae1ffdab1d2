"""The README, as a new user runs it: its output tree and its HF snippet (issue 17)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, cli_env, run_cli

README = (REPO / "README.md").read_text(encoding="utf-8")
TREE_GLYPHS = re.compile(r"^[│├└─ ]*")


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`espnet3-prep 'export=[lhotse,hf]'` from a fresh folder (default output_dir)."""
    cwd = tmp_path_factory.mktemp("newuser")
    proc = run_cli("export=[lhotse,hf]", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd


def readme_tree() -> list[str]:
    """The paths the README's "What a run writes" tree names (braces expanded,
    ``<time>`` as ``*``, ``...`` lines skipped)."""
    block = README.split("## What a run writes", 1)[1].split("```", 2)[1]
    stack: list[tuple[int, str]] = []
    paths = []
    for line in block.strip().splitlines()[1:]:
        text = line.split("#", 1)[0].rstrip()
        depth = len(TREE_GLYPHS.match(text).group(0)) // 4
        names = text[len(TREE_GLYPHS.match(text).group(0)):].split()
        if not names or "..." in names:
            continue
        stack = [s for s in stack if s[0] < depth]
        parent = "/".join(s[1] for s in stack)
        for name in names:
            head, _, rest = name.partition("{")
            expanded = [head + part for part in rest.rstrip("}").split(",")] if rest else [name]
            paths += [f"{parent}/{p}".lstrip("/").rstrip("/") for p in expanded]
        if len(names) == 1 and names[0].endswith("/"):
            stack.append((depth, names[0].rstrip("/")))
    return [p.replace("<time>", "*") for p in paths]


def test_readme_tree_is_what_a_clean_run_writes(clean_run: Path) -> None:
    out = clean_run / "exp" / "mini_librispeech"
    named = readme_tree()
    assert "dev-clean-2/shards/00000/DONE" in named and "report.html" in named
    missing = [p for p in named if not list(out.glob(p))]
    assert not missing, f"README names files a clean run does not write: {missing}"
    split = out / "dev-clean-2"
    written = {str(p.relative_to(out)) for p in split.rglob("*") if p.is_file()}
    unnamed = written - {p for p in named if p.startswith("dev-clean-2/")}
    assert not unnamed, f"a clean run writes files the README tree does not show: {unnamed}"
    assert (out / "train-clean-5" / "manifest.jsonl").exists()  # "train-clean-5/ ..."


def test_readme_hf_snippet_runs_as_written(clean_run: Path, tmp_path: Path) -> None:
    section = README.split("## Exports", 1)[1].split("## ", 1)[0]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    lines = [line[2:] for line in code.splitlines() if line.strip()]
    push = [line for line in lines if "push_to_hub" in line]
    assert len(push) == 1  # needs the network and a token: the one line not run
    script = "\n".join(line for line in lines if line not in push)
    env = cli_env(HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf_home"))
    proc = subprocess.run([sys.executable, "-c", script], cwd=clean_run, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^\(\d+,\) 16000$", proc.stdout, re.M), proc.stdout  # decoded samples
