"""Asking a person, only when there is one: a token without echo (``getpass``) and a choice
among several accounts or projects. Without a terminal nothing is asked: one candidate is taken,
several end the run (exit 2) naming them and the flag that picks one."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ci_deploy.connect.model import Choice
from ci_deploy.errors import InputError


@dataclass(frozen=True)
class Asker:
    """Whether a person can answer: both stdin and stderr are terminals (set by the CLI)."""

    interactive: bool

    @classmethod
    def from_terminal(cls) -> Asker:
        return cls(sys.stdin.isatty() and sys.stderr.isatty())

    def secret(self, prompt: str) -> str:
        import getpass

        return getpass.getpass(prompt).strip()

    def choose(self, kind: str, choices: list[Choice], wanted: str | None, flag: str) -> Choice:
        """The choice named by ``wanted`` (id or name), the only one, or the one picked."""
        if wanted:
            for choice in choices:
                if wanted in (choice.id, choice.name):
                    return choice
            raise InputError(f"{flag} {wanted}: no such {kind}; the token reaches {_listed(choices)}")
        if len(choices) == 1:
            return choices[0]
        if not choices:
            raise InputError(f"the token reaches no {kind}: give it access to one, or pass {flag}")
        if not self.interactive:
            raise InputError(f"the token reaches several {kind}s: pass {flag} with one of {_listed(choices)}")
        return self._pick(kind, choices)

    def _pick(self, kind: str, choices: list[Choice]) -> Choice:
        for number, choice in enumerate(choices, 1):
            print(f"  {number}. {choice.label()}", file=sys.stderr)
        while True:
            answer = input(f"Which {kind}? [1-{len(choices)}] ").strip()
            if answer.isdigit() and 1 <= int(answer) <= len(choices):
                return choices[int(answer) - 1]


def _listed(choices: list[Choice]) -> str:
    return ", ".join(choice.label() for choice in choices) or "nothing"
