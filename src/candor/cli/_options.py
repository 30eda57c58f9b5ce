"""The options several commands share, and the scope they describe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from candor.errors import InputError

__all__ = ["override_options", "scope_from", "scope_options"]

F = TypeVar("F", bound=Callable[..., Any])


def scope_options(*, required: bool) -> Callable[[F], F]:
    """The options that describe who and what is affected."""

    def decorate(command: F) -> F:
        options = [
            click.option(
                "-c",
                "--component",
                "components",
                multiple=True,
                required=required,
                help="An affected component (repeat for several).",
            ),
            click.option("-r", "--region", "regions", multiple=True, help="An affected region."),
            click.option(
                "--fraction",
                type=str,
                help="Share of customers affected, in (0, 1]: 0.012 for 1.2%.",
            ),
            click.option("--count", type=str, help="Number of customers affected."),
            click.option("--customers", help="What the count counts (default: customers)."),
            click.option(
                "--degraded",
                is_flag=True,
                default=None,
                help="It works, badly (slow, some requests fail); default: it is down.",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def override_options(command: F) -> F:
    """--allow and --reason: let named check errors through, on the record."""
    command = click.option(
        "--reason", help="Why the allowed check errors are right here (recorded on the timeline)."
    )(command)
    return click.option(
        "--allow",
        multiple=True,
        metavar="CODE",
        help="Let this check's errors through (repeat for several; needs --reason).",
    )(command)


def channel_option(command: F) -> F:
    """--channel NAME (repeatable): tell only these channels, on the record."""
    return click.option(
        "--channel",
        "channels",
        multiple=True,
        metavar="NAME",
        help="Tell only this channel (repeat for several; recorded, and later updates keep it).",
    )(command)


def number(option: str, text: str | None, kind: type[int] | type[float]) -> Any:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        wanted = "a whole number" if kind is int else "a number such as 0.012 (for 1.2%)"
        raise InputError(option, text, f"must be {wanted}") from None


def scope_from(
    current: Any,
    components: tuple[str, ...],
    regions: tuple[str, ...],
    fraction: str | None,
    count: str | None,
    customers: str | None,
    degraded: bool | None,
) -> Any:
    """A Scope from the options, over ``current`` (None to build a new one)."""
    # Imported here: the model (pydantic) loads when a command runs, never for --help.
    from candor.model import Scope

    given: dict[str, Any] = {}
    if components:
        given["components"] = list(components)
    if regions:
        given["regions"] = list(regions)
    if fraction is not None:
        given["affected_fraction"] = number("--fraction", fraction, float)
    if count is not None:
        given["affected_count"] = number("--count", count, int)
    if customers is not None:
        given["customers"] = customers
    if degraded is not None:
        given["effect"] = "degraded" if degraded else "outage"
    if current is None:
        return Scope(**given)
    if not given:
        return None
    return Scope(**{**current.scope.model_dump(), **given})
