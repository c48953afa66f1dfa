"""The deterministic, versioned rule set: a design goes in, a validity profile comes out."""

from screener.rules.engine import RuleSet, judge, load_rules

RULES_VERSION: str = load_rules().version

__all__ = ["RULES_VERSION", "RuleSet", "judge", "load_rules"]
