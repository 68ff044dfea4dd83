"""The public API resolves from the package root."""

from __future__ import annotations

import pytest

import plugin_build


@pytest.mark.parametrize("name", plugin_build.__all__)
def test_public_names_resolve(name: str) -> None:
    assert getattr(plugin_build, name) is not None


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = plugin_build.no_such_thing
