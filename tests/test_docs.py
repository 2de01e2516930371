"""The README documents every CLI subcommand, every magic subcommand and option, and every configuration key.

The lists come from the code (the argparse parsers, the magic's arguments, the pydantic models), so a new command
or key fails this test until the README describes it.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(title: str) -> str:
    text = readme()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for action in parser._actions for o in action.option_strings if o not in ("-h", "--help")]


def cli_commands() -> dict[str, argparse.ArgumentParser]:
    from sharekit.cli import build_parser

    return subcommands(build_parser())


@pytest.mark.parametrize("command", sorted(cli_commands()))
def test_cli_subcommand_and_its_options_are_documented(command: str) -> None:
    text = section("Command line")
    assert f"`sharekit {command}" in text, f"README: add `sharekit {command}` to the Command line section"
    for option in options(cli_commands()[command]):
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), f"README: sharekit {command} {option}"


def magic_subcommands() -> list[tuple[str, str, list[str]]]:
    from sharekit.magics import connection, recipient

    found = []
    for parser in (recipient.parser(), connection.parser()):
        for name, sub in subcommands(parser).items():
            found.append((parser.prog, name, options(sub)))
    return found


@pytest.mark.parametrize(("magic", "name", "flags"), magic_subcommands(), ids=lambda v: str(v))
def test_magic_subcommands_and_options_are_documented(magic: str, name: str, flags: list[str]) -> None:
    text = section("Magics")
    line = next((ln for ln in text.split("\n- ") if f"`{magic}" in ln), "")
    assert re.search(rf"(^|[\s|`]){name}(\s|`|$)", line), f"README: document `{magic} {name}` in the Magics section"
    for flag in flags:
        assert flag in text, f"README: document {magic} {name} {flag}"


def test_share_magic_options_and_settings_are_documented() -> None:
    from sharekit.magics import ShareMagics, share

    text = section("Magics")
    for flag in options(share.parser()):
        assert flag in text, f"README: document %%share {flag}"
    for trait in ShareMagics.class_own_traits(config=True):
        assert f"`{trait}`" in text, f"README: document %config ShareMagics.{trait}"


def config_keys() -> list[str]:
    from sharekit.config import model

    keys: set[str] = set()
    for cls in (model.ShareConfig, model.ShareSpec, model.ObjectSpec, model.RecipientSpec, model.GrantSpec,
                model.ViewSpec):
        keys |= set(cls.model_fields)
    return sorted(keys | {"objects", "like", "recipient_property"})  # accepted spellings beside the fields


@pytest.mark.parametrize("key", config_keys())
def test_config_key_is_documented(key: str) -> None:
    assert f"`{key}`" in section("Configuration reference"), f"README: document the config key `{key}`"


def test_the_checks_can_fail() -> None:
    """Negative control: a key the README does not mention is reported."""
    assert "`no_such_key`" not in section("Configuration reference")
    with pytest.raises(ValueError):
        section("No such section")


def test_readme_names_no_path_of_a_machine_and_its_images_exist() -> None:
    text = readme()
    assert not re.search(r"(?<![\w.~])/(work|tmp|home|root)/", text)
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert images, "README: a screenshot or two of a notebook"
    for image in images:
        assert (README.parent / image).is_file(), image
