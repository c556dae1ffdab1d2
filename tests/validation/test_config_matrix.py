"""A generated bad-value matrix over every leaf key of every composed config variant.

For each key (discovered by walking the composed config, see ``configs.py``) and each class
of bad value — wrong type, empty, negative, zero, huge, NaN/inf, unicode and, for paths, a
missing folder, a file where a folder belongs, an unwritable folder — the CLI's own check
must either accept the value or refuse it with exit 2 and a message naming the key, never
crash, and never write anything. Values that can never be right (a word for a number, NaN,
a folder that cannot be written) must be refused. The documented defaults, every rule's
example and the copy-paste commands in ``conf/`` must pass.
"""

from __future__ import annotations

import json
import shlex
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from omegaconf import DictConfig, OmegaConf

from tests.validation.configs import (
    CONF,
    Leaf,
    compose_variant,
    is_number,
    leaves,
    normalize,
    outcome,
    path_kind,
    variants,
)
from tests.validation.conftest import FUZZ
from tests.validation.layouts import LAYOUTS
from tests.validation.paths import bad_folders, make_unwritable, make_writable

LEAVES = leaves()
VALUE_CLASSES = ("wrong_type", "empty", "negative", "zero", "huge", "nan", "inf", "unicode")
PATH_CLASSES = ("missing", "file", "dir", "file_parent", "unwritable")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, mini_root: Path) -> dict[str, Any]:
    """Valid inputs for every dataset variant, bad folders, and the output dir never made."""
    tmp = tmp_path_factory.mktemp("matrix")
    flacs = sorted((mini_root / "dev-clean-2").glob("*/*/*.flac"))[:3]
    manifest = tmp / "all.jsonl"
    manifest.write_text("".join(json.dumps({"utt_id": f.stem, "audio": str(f), "text": "A B"})
                                + "\n" for f in flacs))
    kaldi = tmp / "kaldi" / "train"
    kaldi.mkdir(parents=True)
    (kaldi / "wav.scp").write_text("".join(f"{f.stem} {f}\n" for f in flacs))
    (kaldi / "text").write_text("".join(f"{f.stem} A B\n" for f in flacs))
    locked = tmp / "locked"
    locked.mkdir()
    folders = {**bad_folders(tmp / "bad"), "unwritable": locked}
    corpora = {f"dataset={name}": build(tmp / name).overrides()
               for name, build in LAYOUTS.items()}
    yield {**corpora,
           "dataset=librispeech": [f"dataset.root={mini_root}", "dataset.splits=[dev-clean-2]"],
           "dataset=manifest": [f"dataset.path={manifest}"],
           "dataset=kaldi": [f"dataset.root={kaldi.parent}"],
           "tokenizer=bpe": ["tokenizer.vocab_size=100"],  # the mini corpus allows <= 136
           "output_dir": tmp / "never" / "exp", "folders": folders,
           "locked": make_unwritable(locked)}
    make_writable(locked)


@pytest.fixture(scope="module")
def bases(inputs: dict[str, Any]) -> Iterator[dict[str, tuple[DictConfig, bool]]]:
    """variant -> (composed valid base config, whether it passes the CLI's check)."""
    class Lazy(dict):
        def __missing__(self, variant: str) -> tuple[DictConfig, bool]:
            overrides = [*inputs.get(variant, []), f"output_dir={inputs['output_dir']}"]
            cfg = compose_variant(variant, overrides)
            self[variant] = (cfg, outcome(cfg, "log_level", "INFO")[0] == 0)
            return self[variant]

        def __repr__(self) -> str:  # hypothesis prints the fixtures of a failing example
            return f"<bases of {sorted(self)}>"

    yield Lazy()


def value_strategy(kind: str, default: Any) -> st.SearchStrategy[Any]:
    """Bad values of class ``kind`` for a key whose default is ``default``."""
    numeric, text = is_number(default) or default is None, isinstance(default, str)
    floats = isinstance(default, float)
    table: dict[str, st.SearchStrategy[Any]] = {
        "wrong_type": st.just({"k": 1}) if text or default is None else st.sampled_from(
            ["abc", "1.5.2", "twelve"]),
        "empty": st.just([] if isinstance(default, list) else ""),
        "negative": st.floats(-1e6, -1e-3) if floats else (
            st.integers(-10**6, -1) if numeric else st.just("-1")),
        "zero": st.just(0.0 if floats else 0) if numeric else st.just("0"),
        "huge": st.floats(1e12, 1e308) if floats else (
            st.integers(10**12, 10**30) if numeric else st.text(min_size=300, max_size=600)),
        "nan": st.just(float("nan")) if numeric else st.sampled_from(["nan", "NaN"]),
        "inf": st.sampled_from([float("inf"), float("-inf")]) if numeric else st.sampled_from(
            ["inf", "-inf", "Infinity"]),
        "unicode": st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30),
    }
    return table[kind]


def classes_for(leaf: Leaf) -> tuple[str, ...]:
    """Every class under ``make fuzz``; in ``make test`` three per key, rotating with the
    key so that every class still meets many keys (a minute for the whole matrix)."""
    if FUZZ:
        return VALUE_CLASSES
    start = zlib.crc32(leaf.key.encode()) % len(VALUE_CLASSES)
    return (VALUE_CLASSES * 2)[start:start + 3]


def strict(leaf: Leaf, kind: str, value: Any, where: str | None) -> bool:
    """Whether ``value`` can never be right for ``leaf`` (so it must be refused)."""
    if kind in ("nan", "inf") and is_number(leaf.default):
        return True
    if kind == "wrong_type" and (is_number(leaf.default) or isinstance(leaf.default, bool)):
        return True
    return (where, kind) in {("out", "file"), ("out", "file_parent"), ("out", "unwritable"),
                             ("dir", "missing"), ("dir", "file"), ("dir", "file_parent"),
                             ("file", "missing"), ("file", "dir")}


def check(leaf: Leaf, base: tuple[DictConfig, bool], kind: str, value: Any,
          where: str | None, out: Path) -> None:
    """The CLI's outcome for one bad value meets the contract."""
    code, message = outcome(base[0], leaf.key, value)
    shown = f"{leaf.variant} {leaf.key}={value!r} ({kind}) -> {code}: {message[:300]}"
    assert code in (0, 2), shown
    assert not out.exists(), f"{shown}: wrote into output_dir"
    if not base[1]:
        return  # the variant has no valid baseline here: only "never crashes" is checked
    if strict(leaf, kind, value, where):
        assert code == 2, f"accepted a value that can never be right: {shown}"
    if code == 2:
        assert normalize(named(leaf, value)) in normalize(message), f"key not named: {shown}"
        assert "Traceback" not in message, shown


def named(leaf: Leaf, value: Any) -> str:
    """The key a refusal must name: the key itself, or — when a selector (``name``/``type``)
    was set to another valid choice — its parent, whose other options then apply."""
    if leaf.name in ("name", "type") and isinstance(value, str) and value.isidentifier():
        return leaf.key.rsplit(".", 1)[0]
    return leaf.key


@pytest.mark.fuzz
@pytest.mark.parametrize("leaf", LEAVES, ids=[f"{lf.variant}:{lf.key}" for lf in LEAVES])
@given(data=st.data())
def test_every_key_refuses_bad_values_cleanly(leaf: Leaf, data: st.DataObject,
                                              bases: dict, inputs: dict[str, Any]) -> None:
    base = bases[leaf.variant]
    for kind in classes_for(leaf):
        check(leaf, base, kind, data.draw(value_strategy(kind, leaf.default), label=kind),
              None, inputs["output_dir"])
    where = path_kind(leaf, base[0])
    if where is None:
        return
    for kind in PATH_CLASSES:
        if kind == "unwritable" and not inputs["locked"]:
            continue
        check(leaf, base, kind, str(inputs["folders"][kind]), where, inputs["output_dir"])


@pytest.mark.parametrize("variant", variants())
def test_documented_defaults_pass(variant: str, bases: dict) -> None:
    cfg, valid = bases[variant]
    message = outcome(cfg, "log_level", "INFO")[1]
    if not valid and "mandatory value is not set" in message:
        pytest.skip(f"{variant} needs its inputs ({message}): give them in inputs() so the "
                    "matrix checks its keys strictly")
    assert valid, f"{variant}: {message}"


def _rule_examples() -> list[tuple[str, type, str, Any]]:
    from espnet3_prep import config
    from espnet3_prep.backends import option_rules
    from espnet3_prep.datasets import options as dataset_options
    from espnet3_prep.driver.options import RunOptions

    schemas = [config.PrepConfig, RunOptions, config.ParallelConfig,
               dataset_options.CommonDatasetOptions, *set(option_rules.SCHEMAS.values()),
               option_rules.JobqueueOptions]
    out = []
    for schema in schemas:
        for field in schema.__dataclass_fields__.values():
            if "check" in field.metadata:
                text = field.metadata["example"].split(" (")[0]
                out.append((f"{schema.__name__}.{field.name}", schema, field.name,
                            yaml.safe_load(text)))
    return out


@pytest.mark.parametrize("where,schema,name,example", _rule_examples(),
                         ids=[x[0] for x in _rule_examples()])
def test_every_rule_example_is_valid(where: str, schema: type, name: str, example: Any) -> None:
    from espnet3_prep.rules import check_value

    check_value(where, example, schema.__dataclass_fields__[name].metadata)


def _documented_commands() -> list[tuple[str, list[str]]]:
    """Copy-paste commands from the comments of ``conf/<group>/*.yaml`` (``\\`` continues a
    line); ``dataset`` arguments are left out (they name folders of the author's machine)."""
    out = []
    for path in sorted(CONF.glob("*/*.yaml")):
        command: str | None = None
        for line in path.read_text().splitlines() + [""]:
            text = line.lstrip("#").strip() if line.startswith("#") else ""
            if command is not None:
                command += " " + text
            elif text.startswith("espnet3-prep "):
                command = text[len("espnet3-prep "):]
            if command is not None and not command.endswith("\\"):
                args = [a for a in shlex.split(command.replace("\\", " "), comments=True)
                        if "=" in a and not a.startswith("dataset")]
                out.append((f"{path.parent.name}/{path.stem}", args))
                command = None
    return out


@pytest.mark.parametrize("source,args", _documented_commands(),
                         ids=[f"{s}:{i}" for i, (s, _) in enumerate(_documented_commands())])
def test_documented_commands_pass(source: str, args: list[str], tmp_path: Path) -> None:
    cfg = compose_variant("default", [*args, f"output_dir={tmp_path / 'exp'}"])
    code, message = outcome(cfg, "log_level", OmegaConf.select(cfg, "log_level"))
    assert code == 0, f"{source}: {args}: {message}"


def _documented_choices() -> list[tuple[str, str, Any]]:
    """``(variant, key, value)`` for every value of every closed choice the code defines."""
    from espnet3_prep import config
    from espnet3_prep.datasets import aishell, ljspeech
    from espnet3_prep.features.raw import AUDIO_FORMATS
    from espnet3_prep.prep import validate  # noqa: F401 - registers every export
    from espnet3_prep.writers.exports import ALWAYS, EXPORTS, SHARD
    from espnet3_prep.writers.feature_storage import STORAGES

    exports = [*ALWAYS, *EXPORTS, *SHARD]
    return ([("default", "feature.storage", s) for s in STORAGES]
            + [("feature=raw", "feature.audio_format", f) for f in AUDIO_FORMATS]
            + [("default", "export", [name]) for name in exports]
            + [("default", "export", exports), ("default", "export_shard_size", 2)]
            + [("default", "paths", m.value) for m in config.PathsMode]
            + [("default", "action", a.value) for a in config.Action]
            + [("dataset=aishell", "dataset.text", t) for t in aishell.TEXT_MODES]
            + [("dataset=ljspeech", "dataset.text", t) for t in ljspeech.TEXT_MODES])


@pytest.mark.parametrize("variant,key,value", _documented_choices(),
                         ids=[f"{v}:{k}={x}" for v, k, x in _documented_choices()])
def test_every_documented_choice_passes(variant: str, key: str, value: Any,
                                        bases: dict) -> None:
    cfg, valid = bases[variant]
    assert valid, variant
    code, message = outcome(cfg, key, value)
    assert code == 0, f"{variant} {key}={value!r}: {message}"
