"""Power tables per device: a comparison reads the local table, else the one committed for its device,
else the backend's; ``keep`` commits a local table under its device's name and never over another."""

import json

import pytest

from validation.timing import aa, power, rates

pytestmark = pytest.mark.tensorflow_kernel_free  # table files and fingerprints: no backend runs

HERE = {"device": "CPU Test Chip x2", "vector_set": "avx2", "onednn": "False"}
ELSEWHERE = {"device": "CPU Other Chip x2", "vector_set": "avx512", "onednn": "True"}


def table(device, started="t0"):
    return {"schema": rates.SCHEMA, "machine": "m", "started": started, "backend": "tensorflow",
            "device": device, "comparisons": 4, "summary": []}


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(rates, "COMMITTED_FOLDER", tmp_path / "committed")
    monkeypatch.setattr(rates, "LOCAL_FOLDER", tmp_path / "local")
    monkeypatch.setattr(rates, "cpu_host_fields", lambda backend: dict(HERE))
    monkeypatch.setattr(rates, "this_device", lambda backend: dict(HERE, backend=backend))
    rates.COMMITTED_FOLDER.mkdir()
    rates.committed_table("tensorflow").write_text(json.dumps(table(ELSEWHERE)))
    return tmp_path


def test_a_device_slug_names_every_field_that_changes_the_kernels():
    assert rates.device_slug(HERE) == "cpu-test-chip-x2-avx2-onednn-false"
    assert rates.device_slug({**HERE, "onednn": "True"}) != rates.device_slug(HERE)
    assert rates.device_slug({}) == "unknown"


def test_a_comparison_reads_its_devices_committed_table_before_the_backends(folders):
    assert load_started() == "t0"
    assert "NOT measured on this device" in rates.error_rates_lines(backend="tensorflow")[-1]
    path = rates.device_table("tensorflow", HERE)
    path.parent.mkdir()
    path.write_text(json.dumps(table(HERE, "here")))
    assert load_started() == "here"
    assert not any("NOT measured" in line for line in rates.error_rates_lines(backend="tensorflow"))
    assert rates.load_power(backend="tensorflow", machine=ELSEWHERE)["started"] == "t0"
    rates.local_table("tensorflow").parent.mkdir()
    rates.local_table("tensorflow").write_text(json.dumps(table(HERE, "local")))
    assert load_started() == "local"  # a local table still comes first


def load_started():
    return rates.load_power(backend="tensorflow")["started"]


def test_a_devices_table_is_another_method_whose_floor_is_the_ledgers(folders):
    committed = aa.method_fingerprint("tensorflow")
    path = rates.device_table("tensorflow", HERE)
    path.parent.mkdir()
    path.write_text(json.dumps(table(HERE, "here")))
    assert aa.method_fingerprint("tensorflow") != committed == aa.ledger_method("tensorflow")
    summary = aa.summarise([], "tensorflow", aa.method_fingerprint("tensorflow"), rejudged={},
                           ledger=committed)
    note = aa.summary_lines(summary, "L")[-1]
    assert f"judges by the power table {aa.shown(path)}" in note and committed in note


def keep(folders, *extra):
    return power.main(["--backend", "tensorflow", "keep", *extra])


def test_keep_commits_the_local_table_under_its_devices_name_and_never_over_one(folders, capsys):
    local = rates.local_table("tensorflow")
    local.parent.mkdir()
    assert keep(folders) == 2 and "no timing power table" in capsys.readouterr().err
    local.write_text(json.dumps(table(HERE, "measured here")))
    assert keep(folders) == 2 and "power-tensorflow.txt is missing" in capsys.readouterr().err
    local.with_suffix(".txt").write_text("# table\n")
    assert keep(folders) == 0
    kept = rates.device_table("tensorflow", HERE)
    assert json.loads(kept.read_text())["started"] == "measured here"
    assert kept.with_suffix(".txt").read_text() == "# table\n"
    local.write_text(json.dumps(table(HERE, "measured again")))
    assert keep(folders) == 2 and "exists" in capsys.readouterr().err
    assert json.loads(kept.read_text())["started"] == "measured here"  # nothing overwritten


def test_keep_refuses_a_table_without_its_device(folders, capsys):
    local = rates.local_table("tensorflow")
    local.parent.mkdir()
    local.write_text(json.dumps({**table(HERE), "device": None}))
    local.with_suffix(".txt").write_text("# table\n")
    assert keep(folders) == 2 and "records its device" in capsys.readouterr().err
    assert not (rates.COMMITTED_FOLDER / "devices").exists()


def imported(backend):
    raise AssertionError("this_device called")


def test_a_cpu_hosts_kept_table_is_found_without_importing_the_backend(folders, monkeypatch):
    """Describing the device through the backend imports it (seconds on the report's path): a CPU-only
    host is described from /proc and TensorFlow's oneDNN rule instead (``harness.host``)."""
    monkeypatch.setattr(rates, "this_device", imported)
    path = rates.device_table("tensorflow", HERE)
    path.parent.mkdir()
    path.write_text(json.dumps(table(HERE, "here")))
    assert load_started() == "here"
    assert not any("NOT measured" in line for line in rates.error_rates_lines(backend="tensorflow"))


def test_where_only_the_backend_can_describe_the_device_only_a_kept_table_imports_it(folders, monkeypatch):
    monkeypatch.setattr(rates, "cpu_host_fields", lambda backend: None)  # e.g. a GPU is present
    monkeypatch.setattr(rates, "this_device", imported)
    assert load_started() == "t0"
    path = rates.device_table("tensorflow", HERE)
    path.parent.mkdir()
    path.write_text(json.dumps(table(HERE, "here")))
    with pytest.raises(AssertionError, match="this_device called"):
        load_started()
    monkeypatch.setattr(rates, "this_device", lambda backend: dict(HERE, backend=backend, keras="3"))
    assert load_started() == "here"  # the backend's description, cut to the fields that name a device
