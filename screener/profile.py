"""What the rules return: a validity profile and the named threats behind it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from screener.design import Evidence, Strategy


class Level(StrEnum):
    """How much a validity type is at risk. Ordered: ok < careful < key."""

    OK = "ok"
    CAREFUL = "careful"
    KEY = "key"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def lowered(self) -> Level:
        """One step down (a mitigation); ok stays ok."""
        return _BY_RANK[max(self.rank - 1, 0)]

    @staticmethod
    def highest(levels: list[Level] | tuple[Level, ...]) -> Level:
        return max(levels, key=lambda level: level.rank, default=Level.OK)


_RANK = {Level.OK: 0, Level.CAREFUL: 1, Level.KEY: 2}
_BY_RANK = {rank: level for level, rank in _RANK.items()}


class ValidityType(StrEnum):
    STATISTICAL = "statistical"
    INTERNAL = "internal"
    EXTERNAL = "external"
    CONSTRUCT = "construct"


VALIDITY_TYPES: tuple[ValidityType, ...] = tuple(ValidityType)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProfileRow(_Frozen):
    """One strategy's row of the matrix: its cells after mitigation, and the base row (spec §3)."""

    strategy: Strategy
    statistical: Level
    internal: Level
    external: Level
    construct: Level
    base: dict[ValidityType, Level]

    def level(self, validity: ValidityType) -> Level:
        return getattr(self, validity.value)


class Profile(_Frozen):
    """The paper-level profile (the combined row) and the strategy rows it was combined from.

    Levels are None when there is nothing to judge: the paper is out of scope or no strategy
    was detected.
    """

    statistical: Level | None = None
    internal: Level | None = None
    external: Level | None = None
    construct: Level | None = None
    rows: tuple[ProfileRow, ...] = ()

    def level(self, validity: ValidityType) -> Level | None:
        return getattr(self, validity.value)

    @property
    def applicable(self) -> bool:
        return bool(self.rows)


class Mitigation(_Frozen):
    description: str = Field(description="what the paper did that lowers the threat one step")
    evidence: tuple[Evidence, ...] = ()


class Threat(_Frozen):
    id: str
    name: str
    validity: ValidityType
    level: Level = Field(description="level after mitigation")
    base_level: Level = Field(description="level before mitigation")
    assumption: str | None = Field(
        default=None, description="the assumption of the paper's Appendix B, e.g. 'A4'"
    )
    assumption_text: str | None = None
    explanation: str = Field(description="one sentence about this paper")
    strategies: tuple[Strategy, ...] = Field(
        description="strategies whose use triggered the threat"
    )
    evidence: tuple[Evidence, ...] = ()
    mitigations: tuple[Mitigation, ...] = ()
    notes: tuple[str, ...] = ()
    headline: bool = Field(
        default=True,
        description="triggered by a headline strategy; False: only by a strategy that is also "
        "present, shown at no more than careful and never raising the profile",
    )

    @property
    def mitigated(self) -> bool:
        return bool(self.mitigations)

    @property
    def active(self) -> bool:
        """Above ok after mitigation (a threat mitigated down to ok stays listed, as addressed)."""
        return self.level is not Level.OK


class SecondaryStrategy(_Frozen):
    """A strategy the paper also uses but no headline claim rests on: reported, not profiled."""

    strategy: Strategy
    reason: str = Field(description="why it is not a headline strategy")
    confidence: float
    evidence: tuple[Evidence, ...] = ()


class Judgment(_Frozen):
    """Everything the rule set says about one design."""

    profile: Profile
    threats: tuple[Threat, ...] = ()
    also_present: tuple[SecondaryStrategy, ...] = ()
    rules_version: str

    @property
    def headline_threats(self) -> tuple[Threat, ...]:
        return tuple(t for t in self.threats if t.headline)
