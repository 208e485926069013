"""The blameless check: pure text analysis, no database.

A postmortem explains how the system let a failure happen, not who caused it. This
module scans the postmortem's text for blame language and returns warnings, each with
the field, an excerpt around the match and a suggested system-focused rewording. The
caller passes in the names and handles of the team's members, because naming a person
in the root cause or the whys is the most common form of blame.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

# Names are only flagged in the fields that explain *why* (naming who was on call in the
# timeline is normal); phrases are flagged in every field.
NAME_FIELDS_PREFIXES = ("root_cause", "whys")
EXCERPT_RADIUS = 40
MIN_NAME_LENGTH = 3


@dataclass(frozen=True)
class BlamelessWarning:
    field: str
    rule: str
    excerpt: str
    match: str
    suggestion: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    suggestion: str


def _rule(name: str, regex: str, suggestion: str) -> _Rule:
    return _Rule(name, re.compile(regex, re.IGNORECASE), suggestion)


# Bounded so that scanning a long run of word characters stays linear.
_WORD = r"[A-Za-z][\w.-]{0,40}"

PHRASE_RULES: tuple[_Rule, ...] = (
    _rule(
        "human_error",
        r"\b(?:human|operator|user|engineer|developer)\s+error\b",
        "Describe the conditions that made the action possible and its effect, e.g. "
        '"the deploy tool allowed a config change without validation".',
    ),
    _rule(
        "forgot",
        rf"\b{_WORD}\s+(?:forgot|forgets|neglected|failed to remember)\b",
        'Name the missing safeguard instead, e.g. "the runbook has no step for X" or '
        '"nothing reminds the on-call engineer to X".',
    ),
    _rule(
        "fault",
        rf"\b(?:{_WORD}'s\s+fault|fault\s+of\s+{_WORD}|(?:his|her|their)\s+fault)\b",
        'Replace fault with mechanism: "the process did not catch X because Y".',
    ),
    _rule(
        "should_have",
        r"\b(?:should|shouldn't|should not|ought to)\s+(?:have|'ve)\b",
        'Hindsight framing; say what the system made hard, e.g. "the alert did not show '
        'X, so the decision was made without it".',
    ),
    _rule(
        "careless",
        r"\b(?:careless(?:ly|ness)?|sloppy|lazy|incompetent|reckless(?:ly)?)\b",
        'Describe the action and the missing guardrail, e.g. "the change was applied '
        'without a review step, which the tooling did not require".',
    ),
    _rule(
        "didnt_bother",
        r"\b(?:didn't|did not|never)\s+bother(?:ed)?\b",
        'Ask why the step was skippable: "the checklist does not require X".',
    ),
    _rule(
        "negligence",
        r"\bneglig(?:ence|ent|ently)\b",
        'Describe the gap in process or tooling, e.g. "no check verifies X before Y".',
    ),
    _rule(
        "blame",
        r"\b(?:to blame|blamed?|is responsible for the outage|caused the outage by)\b",
        'Focus on contributing factors: "the outage was possible because ...".',
    ),
    _rule(
        "mistake_by",
        rf"\b(?:mistake|screw(?:ed)?[- ]up|messed up)\s+(?:by|of|from)\s+{_WORD}",
        'Describe what happened and what allowed it: "a command ran against production '
        'because the shell prompt did not show the environment".',
    ),
)

HANDLE_RULE = _Rule(
    "handle",
    re.compile(r"(?<![\w@])@[A-Za-z0-9][\w.-]*"),
    'Refer to the role or the system instead of the person, e.g. "the on-call engineer" '
    'or "the deploy pipeline".',
)
NAME_SUGGESTION = (
    'Refer to the role instead of the person ("the on-call engineer", "the reviewer") and '
    "describe what the system allowed or failed to show."
)


def _excerpt(text: str, start: int, end: int) -> str:
    left = max(0, start - EXCERPT_RADIUS)
    right = min(len(text), end + EXCERPT_RADIUS)
    snippet = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + snippet + ("…" if right < len(text) else "")


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    cleaned = sorted(
        {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH},
        key=len,
        reverse=True,
    )
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(n) for n in cleaned)
    return re.compile(rf"(?<![\w@])(?:{alternatives})(?!\w)", re.IGNORECASE)


def check(fields: Mapping[str, str], *, names: Iterable[str] = ()) -> list[BlamelessWarning]:
    """Warnings for ``fields`` ({field path: text}); ``names`` are people's names and
    usernames that must not appear in the root cause or the whys. Field paths for the
    whys look like ``whys[0].answer``. Warnings come in field order, then text order."""
    name_pattern = _name_pattern(names)
    warnings: list[BlamelessWarning] = []
    for field, text in fields.items():
        if not text:
            continue
        found: list[tuple[int, BlamelessWarning]] = []
        for rule in PHRASE_RULES:
            for m in rule.pattern.finditer(text):
                found.append(
                    (
                        m.start(),
                        BlamelessWarning(
                            field,
                            rule.name,
                            _excerpt(text, m.start(), m.end()),
                            m.group(0),
                            rule.suggestion,
                        ),
                    )
                )
        if field.startswith(NAME_FIELDS_PREFIXES):
            for m in HANDLE_RULE.pattern.finditer(text):
                found.append(
                    (
                        m.start(),
                        BlamelessWarning(
                            field,
                            HANDLE_RULE.name,
                            _excerpt(text, m.start(), m.end()),
                            m.group(0),
                            HANDLE_RULE.suggestion,
                        ),
                    )
                )
            if name_pattern is not None:
                for m in name_pattern.finditer(text):
                    found.append(
                        (
                            m.start(),
                            BlamelessWarning(
                                field,
                                "name",
                                _excerpt(text, m.start(), m.end()),
                                m.group(0),
                                NAME_SUGGESTION,
                            ),
                        )
                    )
        found.sort(key=lambda pair: pair[0])
        warnings.extend(w for _, w in found)
    return warnings
