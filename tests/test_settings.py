from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import click
import pytest

from service.cli import main
from service.errors import ConfigError
from service.settings import ENV_NAMES, PROJECT_ROOT, Settings


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


# -- the PARLEY_* names: one table (settings.ENV_NAMES), read by from_env and the CLI ----------

#: Settings with no flag, on purpose: secrets, which a command line would show to every
#: user of the machine (the write token also comes from --write-token-file).
ENVIRONMENT_ONLY = {"write_token", "store_user", "store_password", "store_token"}
#: Where the variables are documented for people.
DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
NAME = re.compile(r"\bPARLEY_[A-Z][A-Z_]*\b")
#: Read by the test suite (tests/support.py), not by Parley.
FOR_THE_TESTS = {"PARLEY_CONFORMANCE_DIR"}


def _options() -> list[tuple[str, click.Option]]:
    """Every option of every ``parley`` command, with the command's name."""
    return [
        (name, param)
        for name, command in main.commands.items()
        for param in command.params
        if isinstance(param, click.Option)
    ]


def test_every_setting_has_exactly_one_parley_variable() -> None:
    assert set(ENV_NAMES) == {field.name for field in dataclasses.fields(Settings)}
    names = list(ENV_NAMES.values())
    assert len(set(names)) == len(names), "two settings share a variable"
    assert all(NAME.fullmatch(name) for name in names), names


def _sample(field: str) -> tuple[str, object]:
    """A value for ``field`` other than its default: as the variable's text, and as read."""
    hint = typing.get_type_hints(Settings)[field]
    special: dict[str, tuple[str, object]] = {
        "base_iri": ("https://parley.example/", "https://parley.example/"),
        "store_url": ("http://store.example/sparql", "http://store.example/sparql"),
        "outbound_allow": ("a.example, b.example", ("a.example", "b.example")),
    }
    if field in special:
        return special[field]
    if typing.get_origin(hint) is typing.Literal:
        other = next(v for v in typing.get_args(hint) if v != getattr(Settings(), field))
        return str(other), other
    plain = next(a for a in typing.get_args(hint) or (hint,) if a is not type(None))
    samples: dict[object, tuple[str, object]] = {
        Path: ("/srv/parley/x", Path("/srv/parley/x")),
        bool: ("yes", True),
        int: ("7", 7),
        float: ("7.5", 7.5),
        str: ("sample", "sample"),
    }
    if plain is bool and getattr(Settings(), field) is True:  # a flag that is on by default
        return "no", False
    return samples[plain]


@pytest.mark.parametrize("field", sorted(ENV_NAMES))
def test_each_variable_sets_its_own_field(field: str) -> None:
    raw, value = _sample(field)
    settings = Settings.from_env({ENV_NAMES[field]: raw})
    default = Settings()
    assert getattr(settings, field) == value != getattr(default, field)
    changed = {
        f.name
        for f in dataclasses.fields(Settings)
        if getattr(settings, f.name) != getattr(default, f.name)
    }
    assert changed == {field}  # and no other


def test_cli_options_take_their_variables_from_the_table() -> None:
    flagged = set()
    for command, option in _options():
        if option.name in ENV_NAMES:
            assert option.envvar == ENV_NAMES[option.name], (command, option.name)
            assert option.show_envvar, (command, option.name)
            flagged.add(option.name)
        else:  # an option that sets no setting reads no variable
            assert option.envvar is None, (command, option.name)
    assert flagged == set(ENV_NAMES) - ENVIRONMENT_ONLY


def test_variables_named_in_help_and_documents_are_in_the_table() -> None:
    texts = [c.help or "" for c in main.commands.values()]
    texts += [option.help or "" for _, option in _options()]
    texts += [document.read_text(encoding="utf-8") for document in DOCUMENTS]
    mentioned = {name for text in texts for name in NAME.findall(text)}
    assert mentioned  # the help and the README name variables
    known = set(ENV_NAMES.values()) | FOR_THE_TESTS
    assert mentioned <= known, mentioned - known


def test_every_command_reads_each_variable_as_settings_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What click makes of each variable is what ``Settings.from_env`` makes of it."""
    checked = set()
    for command, option in _options():
        if option.name not in ENV_NAMES:
            continue
        raw, value = _sample(option.name)
        monkeypatch.setenv(ENV_NAMES[option.name], raw)
        context = main.commands[command].make_context(command, [], resilient_parsing=True)
        read = context.params[option.name]
        assert (tuple(read) if isinstance(read, tuple) else read) == value, (command, raw)
        assert getattr(Settings.from_env(), option.name) == value
        monkeypatch.delenv(ENV_NAMES[option.name])
        checked.add(option.name)
    assert checked == set(ENV_NAMES) - ENVIRONMENT_ONLY
