"""docs/commands.md: every subcommand's usage and options, from the command's own parser."""

from __future__ import annotations

import argparse
from functools import partial

from t1114 import cli
from t1114.docs import Generator, Sources


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def render(sources: Sources) -> str:
    parser = cli.parser()
    helps = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
    lines = []
    for name, sub in _subparsers(parser).items():
        sub.prog = f"t1114 {name}"
        # A fixed width: the terminal's would make the document depend on who generated it.
        sub.formatter_class = partial(argparse.HelpFormatter, width=100)
        lines += [f"### `t1114 {name}`", "", helps.get(name) or "", "", "```text"]
        lines += sub.format_help().rstrip("\n").splitlines()
        lines += ["```", ""]
    return "\n".join(lines)


GENERATOR = Generator("command-reference", "docs/commands.md", render)
