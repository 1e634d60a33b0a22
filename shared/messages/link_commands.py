"""Operators' link commands on `bridge.commands`, executed by the bridge, and its answer on `bridge.audit`."""

from __future__ import annotations

from typing import Literal

from shared.messages.vocabulary import Id, Message

__all__ = ["LinkCommand", "LinkCommandExecuted", "ResumeLink", "SuspendLink", "TerminateLink"]


class SuspendLink(Message):
    """Operators ask the bridge to suspend a link at once (on ``bridge.commands``, keyed by link id)."""

    link_id: Id


class ResumeLink(Message):
    """Operators ask the bridge to make a suspended link active again."""

    link_id: Id


class TerminateLink(Message):
    """Operators ask the bridge to terminate a link for good."""

    link_id: Id


LinkCommand = SuspendLink | ResumeLink | TerminateLink


class LinkCommandExecuted(Message):
    """The bridge carried out (``DONE``) or refused (``REFUSED``, with ``code``) an operator's link command;
    the full result is the ``shared.read_models.link_commands`` read model. On ``bridge.audit``."""

    command_id: str
    link_id: str
    command: str
    outcome: Literal["DONE", "REFUSED"]
    code: str = ""
    status: str = ""
