"""The false-alarm measurement over lowering mixes: its rows, its count and its bad input."""

import dataclasses

import pytest

from validation.settings import QUICK
from validation.steps import lowering_mixes

TINY = dataclasses.replace(QUICK, mode="test", training_replicas=2, training_points=60,
                           training_datasets=3, training_data_per_dataset=10, training_steps=20)


def test_mixes_are_every_choice_per_layer():
    assert len(lowering_mixes.mixes(["per_replica", "broadcast"])) == 2 ** lowering_mixes.LAYERS
    three = lowering_mixes.mixes(["per_replica", "replica_leading", "broadcast"])
    assert len(set(three)) == len(three) == 3 ** lowering_mixes.LAYERS


def test_measure_runs_every_mix_seed_and_training_check():
    chosen = [("per_replica", "broadcast", "per_replica"), ("broadcast", "per_replica", "broadcast")]
    rows = lowering_mixes.measure(1, chosen, settings=TINY, progress=lambda _: None)
    assert len(rows) == len(chosen) * 4  # 2 mixes x 4 checks (2 configs x 2 checks)
    assert {tuple(row["mix"]) for row in rows} == set(chosen) and {row["run_seed"] for row in rows} == {0}
    assert all(row["passed"] for row in rows)


def test_summary_counts_false_alarms_with_an_exact_interval():
    rows = [{"passed": True, "statistic": 1.0, "unstable_from_step": None}] * 19 + [
        {"passed": False, "statistic": 27.0, "unstable_from_step": 200}]
    result = lowering_mixes.summary(rows)
    assert (result["false_alarms"], result["checks"], result["largest_statistic"]) == (1, 20, 27.0)
    assert result["rate_95"][0] < 0.05 < result["rate_95"][1] and result["unstable_runs"] == 1


@pytest.mark.parametrize("argv,names", [(["--seeds", "0"], "--seeds"),
                                        (["--lowerings", "fast"], "--lowerings"),
                                        (["--lowerings", "single"], "--lowerings")])
def test_bad_arguments_name_their_parameter(argv, names, capsys):
    with pytest.raises(SystemExit) as exit_:
        lowering_mixes.main(argv)
    assert exit_.value.code == 2 and names in capsys.readouterr().err


def test_an_existing_json_is_not_overwritten(tmp_path, capsys, monkeypatch):
    row = {"mix": ["per_replica"] * 3, "passed": True, "statistic": 1.0, "unstable_from_step": None}
    monkeypatch.setattr(lowering_mixes, "measure", lambda *args, **kwargs: [row])  # instant, if ever run
    existing = tmp_path / "mine.json"
    existing.write_text("keep")
    with pytest.raises(SystemExit):
        lowering_mixes.main(["--json", str(existing)])
    assert existing.read_text() == "keep" and "--json" in capsys.readouterr().err
