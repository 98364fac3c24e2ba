"""The state-machine engine: a machine is data, run by one service (app/services/workflow.py).

A `Machine` lists the statuses of one kind of record with their French labels, named groups of statuses
(what templates and queries ask instead of comparing raw strings), and its `Event`s. An event says from which
statuses it may happen, where it leads (a fixed `target`, or a `rule` that decides from the record and the
event's parameters), the named right it needs in the access matrix, its button / audit wording and the
notices it sends. Nothing here touches the database: the service loads, locks, applies and commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain import access


@dataclass(frozen=True)
class Notice:
    """A notification (and its mail) sent when the event happens. `recipients` names an audience the
    service knows how to find (e.g. "certificateur", "organisme"); `title` and `text` are formatted with the
    event's context (the record's fields and the event's parameters)."""

    recipients: str
    rubrique: str
    title: str
    text: str
    tab: str = ""  # the tab of the record's page the notification opens on (its arrow, its mail's link)


@dataclass(frozen=True)
class PersonMail:
    """A mail to the person the record is about, who is no user of the platform (a candidate), at the address the
    record holds: queued with the event when the record holds one, and when the context matches `when` (e.g.
    `{"decision": "certifiee"}`). `subject` and `text` are formatted with the event's context, like notices; the
    service bound to the machine says where the address is and how the mail is kept with the record."""

    subject: str
    text: str
    when: Mapping[str, Any] = field(default_factory=dict)

    def applies(self, context: Mapping[str, Any]) -> bool:
        return all(context.get(key) == value for key, value in self.when.items())


@dataclass(frozen=True)
class Event:
    sources: frozenset[str]
    right: str  # a name of access.RIGHTS (or access.SYSTEM)
    label: str  # button, refusal and default audit wording
    target: str | None = None  # fixed target status
    rule: Callable[[Any, Mapping[str, Any]], str | None] | None = None  # or: the target decided from the record
    audit: str | None = None  # audit wording, formatted with the context (default: label)
    notices: tuple[Notice, ...] = ()
    mails: tuple[PersonMail, ...] = ()  # to the person the record is about (a candidate), beside the notices
    success: str = ""  # the French message shown after the event in the UI
    path: str = ""  # URL segment of the UI and API action (default: the name)
    api: str = ""  # name of the API action, when it differs from `path`
    decision: bool = False  # the audit line is a decision (shown as such in the trail)

    def target_for(self, record: Any, context: Mapping[str, Any]) -> str | None:
        """The status the record goes to; None keeps its status."""
        if self.rule is not None:
            return self.rule(record, context)
        return self.target


@dataclass(frozen=True)
class Refusal:
    message: str
    by_right: bool  # True: the profile may not (403); False: the record's status does not allow it (409)


@dataclass(frozen=True)
class Machine:
    name: str
    labels: Mapping[str, str]
    initial: str
    events: Mapping[str, Event]
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    attribute: str = "statut"  # the record's column holding the status
    noun: str = "un dossier"  # in refusals: « … n'est pas possible pour un dossier … »

    def __post_init__(self) -> None:
        known = set(self.labels)
        for name, event in self.events.items():
            unknown = (set(event.sources) | ({event.target} if event.target else set())) - known
            if unknown:
                raise ValueError(f"Machine {self.name}, événement {name} : statuts inconnus {sorted(unknown)}")
        for group, members in self.groups.items():
            if set(members) - known:
                raise ValueError(f"Machine {self.name}, groupe {group} : statuts inconnus")
        if self.initial not in known:
            raise ValueError(f"Machine {self.name} : statut initial inconnu")

    # --- Reading -------------------------------------------------------------------------------------------
    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def label(self, status: str) -> str:
        return self.labels.get(status, status)

    def group(self, name: str) -> frozenset[str]:
        return self.groups[name]

    def in_group(self, name: str, status: str) -> bool:
        return status in self.groups[name]

    def event(self, name: str) -> Event:
        return self.events[name]

    def can_happen(self, event: str, status: str) -> bool:
        return status in self.events[event].sources

    def may(self, event: str, who: Any) -> bool:
        return access.may(who, self.events[event].right)

    def allowed_events(self, status: str, who: Any) -> list[str]:
        """The buttons to show for this record and this user, in the table's order."""
        return [name for name in self.events if self.can_happen(name, status) and self.may(name, who)]

    def refusal(self, event: str, status: str, who: Any) -> Refusal | None:
        """None when the event may happen; otherwise the French reason and its kind."""
        definition = self.events[event]
        if not self.may(event, who):
            return Refusal(f"Votre profil ne permet pas l'action « {definition.label} ».", by_right=True)
        if not self.can_happen(event, status):
            return Refusal(
                f"L'action « {definition.label} » n'est pas possible pour {self.noun} au statut "
                f"« {self.label(status)} ».",
                by_right=False,
            )
        return None

    def by_path(self, path: str) -> str | None:
        """The event whose UI / API segment is `path`."""
        for name, definition in self.events.items():
            if path in (definition.path or name, definition.api or definition.path or name):
                return name
        return None

    def rights(self) -> Iterable[str]:
        return {e.right for e in self.events.values()}


REGISTRY: dict[str, Machine] = {}


def register(machine: Machine) -> Machine:
    """Every machine of the platform, for the start-up checks (rights exist) and the docs."""
    REGISTRY[machine.name] = machine
    return machine
