from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import ConfigError
from service.settings import Settings


def test_environment_variables_fill_settings() -> None:
    settings = Settings.from_env(
        {
            "PARLEY_STORE": "/tmp/x",
            "PARLEY_READ_ONLY": "yes",
            "PARLEY_QUERY_TIMEOUT": "2.5",
            "PARLEY_OUTBOUND_ALLOW": "a.example, b.example",
        }
    )
    assert settings.store_path == Path("/tmp/x")
    assert settings.read_only is True
    assert settings.query_timeout_s == 2.5
    assert settings.outbound_allow == ("a.example", "b.example")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PARLEY_PORT": "eighty"}, "PARLEY_PORT must be a whole number"),
        ({"PARLEY_READ_ONLY": "maybe"}, "PARLEY_READ_ONLY must be true or false"),
        ({"PARLEY_BASE_IRI": "ftp://x/"}, "must be an absolute http(s) URL"),
        ({"PARLEY_BASE_IRI": "http://x/no-slash"}, "must end with '/'"),
        ({"PARLEY_QUERY_TIMEOUT": "0"}, "must be positive"),
    ],
)
def test_invalid_settings_are_refused_at_start_up(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_replace_ignores_unset_flags() -> None:
    settings = Settings(port=9000).replace(port=None, host="0.0.0.0")
    assert (settings.port, settings.host) == (9000, "0.0.0.0")
