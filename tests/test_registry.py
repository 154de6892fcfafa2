"""The registry resolves names and importable modules, and a new entry plugs in a third implementation."""

import sys
import types

import pytest

import multidense_impl
import reference_impl
from harness import registry

pytestmark = pytest.mark.backend_matrix


def test_registered_names_resolve_to_their_modules():
    assert registry.implementation_names()[0] == registry.REFERENCE
    assert registry.load_implementation("reference") is reference_impl
    assert registry.load_implementation("multidense") is multidense_impl


def test_importable_module_path_is_usable_by_name():
    module = registry.load_implementation("multidense_impl.network")
    assert module.build_network is multidense_impl.build_network


def test_one_entry_plugs_in_a_third_implementation(monkeypatch):
    candidate = types.ModuleType("my_fused_layer")
    candidate.build_network = multidense_impl.build_network
    monkeypatch.setitem(sys.modules, "my_fused_layer", candidate)
    monkeypatch.setitem(registry.IMPLEMENTATIONS, "mine", "my_fused_layer")
    assert registry.load_implementation("mine") is candidate
    assert "mine" in registry.implementation_names()


def test_module_without_build_network_is_rejected():
    with pytest.raises(ValueError, match="implementation 'harness.arguments'.*build_network"):
        registry.load_implementation("harness.arguments")


@pytest.mark.parametrize("name", ["", None, "no_such_package.module"])
def test_bad_names_are_rejected(name):
    with pytest.raises(ValueError, match="implementation"):
        registry.load_implementation(name)


def test_missing_dependency_inside_a_module_is_not_hidden(monkeypatch, tmp_path):
    (tmp_path / "broken_candidate.py").write_text("import not_installed_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="not_installed_dependency_xyz"):
        registry.load_implementation("broken_candidate")
