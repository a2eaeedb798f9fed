"""Base class for closed sets: string enums that carry their Vietnamese label."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


class LabeledEnum(StrEnum):
    """A `StrEnum` whose members are declared as `NAME = ("value", "Nhãn tiếng Việt")`."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


def enum_column(enum_cls: type[LabeledEnum], name: str) -> sa.Enum:
    """Store an enum as a VARCHAR with a CHECK constraint, portable across SQLite and PostgreSQL."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
