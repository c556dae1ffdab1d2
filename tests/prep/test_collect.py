"""collect_split sorts rows that arrive out of utt_id order (Kaldi needs sorted files)."""

from __future__ import annotations

import json
from pathlib import Path

from espnet3_prep.prep.collect import collect_split
from espnet3_prep.storage.shards import ShardStore


def _shard(store: ShardStore, shard_id: int, utts: list[str]) -> None:
    tmp = store.begin(shard_id)
    rows = [{"idx": n, "result": {"utt_id": u, "speaker": u[:1], "text": "A", "audio": "/a",
                                  "duration": 1.0}} for n, u in enumerate(utts)]
    (tmp / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    store.commit(shard_id, tmp, {"plan_hash": "h", "counts": {"kept": len(utts)},
                                 "num_items": len(utts), "seconds_kept": float(len(utts))})


def test_out_of_order_rows_are_sorted(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)
    _shard(store, 0, ["b1", "c1"])
    _shard(store, 1, ["a1", "a2"])
    stats = collect_split("x", tmp_path, [0, 1], wall_s=1.0)
    manifest = [json.loads(x)["utt_id"] for x in (tmp_path / "manifest.jsonl").open()]
    assert manifest == ["a1", "a2", "b1", "c1"] and stats["kept"] == 4
    assert (tmp_path / "spk2utt").read_text() == "a a1 a2\nb b1\nc c1\n"
    assert [p.name for p in tmp_path.glob(".*tmp*")] == []
