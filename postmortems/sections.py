"""The postmortem template: its sections, in the order a postmortem is read.

This is the one list of what a postmortem contains. The model takes its fields' help
texts from it, the API its section fields, the web editor and the print view their order
and labels, the Markdown export its headings and order, the blameless check the sections
it reads. A test pins it to the model, the serializers and the export.

Pure data, no database. (Not to be confused with ``postmortems.web.sections``: the blocks
this app adds to other pages.)

A section is one of two kinds:

- ``TEXT``: a text field of ``Postmortem`` (``name`` is the field), optionally with
  figures (number fields shown with it: the impact's users affected, revenue loss…);
- ``ROWS``: a list of related rows (``name`` is the related name on ``Postmortem``):
  the timeline, the five whys, the contributing factors. Each place that shows a rows
  section has its own way of showing that list.

Sections with a ``group`` are shown under the group's heading (the three lessons learned
under "Lessons learned"). Action items, reviewers and amendments are not sections: they
are shown after the sections, everywhere.
"""

from dataclasses import dataclass
from enum import StrEnum


class SectionKind(StrEnum):
    TEXT = "text"
    ROWS = "rows"


class FigureKind(StrEnum):
    COUNT = "count"  # a whole number of zero or more
    MONEY = "money"  # an amount with two decimals


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    kind: FigureKind = FigureKind.COUNT


@dataclass(frozen=True)
class Section:
    name: str
    label: str
    kind: SectionKind = SectionKind.TEXT
    # Shown under the heading in the editor. For a TEXT section it is also the model
    # field's help_text, so changing it needs a migration (makemigrations --check says so).
    help_text: str = ""
    group: str = ""
    figures: tuple[Figure, ...] = ()
    # Read by the blameless check. The timeline is not (naming who was on call there is
    # normal), nor supporting data (links, queries and log excerpts).
    blameless_checked: bool = True

    @property
    def full_label(self) -> str:
        """The label where the group heading is not shown: "Lessons learned: process"."""
        return f"{self.group}: {self.label.lower()}" if self.group else self.label


SECTIONS: tuple[Section, ...] = (
    Section("summary", "Summary"),
    Section(
        "impact",
        "Impact",
        help_text="Impact in words.",
        figures=(
            Figure("users_affected", "Users affected"),
            Figure("failed_operations", "Failed operations"),
            Figure("estimated_revenue_loss", "Estimated revenue loss", FigureKind.MONEY),
            Figure("support_tickets", "Support tickets"),
        ),
    ),
    Section(
        "timeline_entries",
        "Timeline",
        SectionKind.ROWS,
        help_text="What happened when, in UTC; prefilled from the incident's timeline.",
        blameless_checked=False,
    ),
    Section("root_cause", "Root cause", help_text="What happened."),
    Section(
        "whys",
        "Five whys",
        SectionKind.ROWS,
        help_text="Ask why until the answer is something the system can change.",
    ),
    Section(
        "contributing_factors",
        "Contributing factors",
        SectionKind.ROWS,
        help_text="What made the failure possible or worse, by fishbone category.",
    ),
    Section("what_went_well", "What went well"),
    Section("what_went_wrong", "What went wrong"),
    Section("lessons_technical", "Technical", group="Lessons learned"),
    Section("lessons_process", "Process", group="Lessons learned"),
    Section("lessons_communication", "Communication", group="Lessons learned"),
    Section(
        "supporting_data",
        "Supporting data and references",
        help_text="Links, queries, log excerpts, one reference per line.",
        blameless_checked=False,
    ),
)

TEXT_FIELDS: tuple[str, ...] = tuple(s.name for s in SECTIONS if s.kind == SectionKind.TEXT)
ROW_FIELDS: tuple[str, ...] = tuple(s.name for s in SECTIONS if s.kind == SectionKind.ROWS)
FIGURES: tuple[Figure, ...] = tuple(f for s in SECTIONS for f in s.figures)
FIGURE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIGURES)
# Every field the sections hold, in reading order (each section, then its figures).
FIELDS: tuple[str, ...] = tuple(
    name for s in SECTIONS for name in (s.name, *(f.name for f in s.figures))
)

_BY_NAME = {s.name: s for s in SECTIONS}


def section(name: str) -> Section:
    """The section called ``name`` (KeyError for an unknown one)."""
    return _BY_NAME[name]
