"""The typer application; commands register themselves from their own modules."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from autocode import __version__
from autocode.errors import AutocodeError, Terminated


class _UntypedFlags:
    """--help shows no type after a flag (typer >= 0.26 prints `<bool>` there; a flag takes no
    value, so there is nothing to type)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False):  # typer's own (vendored) click Option
                param.metavar = ""
        return params


class AutocodeCommand(_UntypedFlags, TyperCommand):
    pass


class AutocodeGroup(_UntypedFlags, TyperGroup):
    pass


class AutocodeTyper(typer.Typer):
    """A Typer whose commands show flags without a type in --help."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", AutocodeCommand)
        return super().command(*args, **kwargs)


app = AutocodeTyper(
    cls=AutocodeGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="NLP-assisted thematic coding of qualitative interviews, offline.",
)
stderr = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM (a `kill`, a job scheduler's time limit) raises `Terminated`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn AutocodeError into one line on stderr and its exit code; Ctrl-C into exit 130 and
    SIGTERM into exit 143, after the command's own cleanup (a batch run is marked interrupted)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with sigterm_as_interrupt():
                return command(*args, **kwargs)
        except AutocodeError as error:
            stderr.print(Text.assemble(("error: ", "bold red"), str(error)), soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
        except Terminated:
            stderr.print("terminated")
            raise typer.Exit(143) from None
        except KeyboardInterrupt:
            stderr.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"autocode {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """autocode: suggest codes, check saturation and batch-code interviews, on your machine."""


def main() -> None:
    sys.exit(app())
