"""postmortems.sections is the one list of the postmortem's sections: these tests pin it
to the model's fields, the API's serializers, the services, the Markdown export's
headings and the web editor, so none of them can drift from it."""

import re

import pytest
from django.db import models

from postmortems import markdown, sections, selectors, services
from postmortems.api.serializers import PostmortemOutputSerializer, PostmortemUpdateInputSerializer
from postmortems.models import FactorCategory, Postmortem
from postmortems.sections import FigureKind, SectionKind
from tests.postmortems.factories import ActionItemFactory, postmortem_for, ready_to_publish


def _model_fields(*types: type[models.Field]) -> set[str]:
    return {
        f.name for f in Postmortem._meta.get_fields() if isinstance(f, types) and not f.is_relation
    }


def test_every_text_section_is_a_text_field_of_the_model_with_its_help_text():
    assert _model_fields(models.TextField) == set(sections.TEXT_FIELDS)
    for section in sections.SECTIONS:
        if section.kind == SectionKind.TEXT:
            field = Postmortem._meta.get_field(section.name)
            assert field.help_text == section.help_text, section.name
            assert field.blank, section.name


def test_every_figure_is_a_number_field_of_the_model():
    numbers = _model_fields(models.PositiveIntegerField, models.DecimalField)
    assert numbers == set(sections.FIGURE_FIELDS)
    for figure in sections.FIGURES:
        field = Postmortem._meta.get_field(figure.name)
        if figure.kind == FigureKind.MONEY:
            assert isinstance(field, models.DecimalField) and field.decimal_places == 2
        else:
            assert isinstance(field, models.PositiveIntegerField), figure.name
        assert field.null, figure.name


def test_every_rows_section_is_a_list_of_rows_of_the_postmortem():
    for name in sections.ROW_FIELDS:
        relation = Postmortem._meta.get_field(name)
        assert relation.one_to_many, name
        assert services.ROW_SPECS[name].model is relation.related_model, name
    assert set(services.ROW_SPECS) == set(sections.ROW_FIELDS)


def test_names_and_labels_are_unique():
    names = [s.name for s in sections.SECTIONS] + list(sections.FIGURE_FIELDS)
    assert len(names) == len(set(names)) == len(sections.FIELDS)
    labels = [s.full_label for s in sections.SECTIONS]
    assert len(labels) == len(set(labels))


def test_the_services_edit_every_section():
    assert set(sections.FIELDS) <= set(services.EDITABLE_FIELDS)
    assert set(services.EDITABLE_FIELDS) - set(sections.FIELDS) == {"owner", "reviewers"}


def test_the_api_shows_every_section_in_order():
    shown = [f for f in PostmortemOutputSerializer.Meta.fields if f in sections.FIELDS]
    assert shown == list(sections.FIELDS)


def test_the_api_takes_every_section_and_nothing_else():
    inputs = PostmortemUpdateInputSerializer().fields
    assert set(inputs) == {*services.EDITABLE_FIELDS, "amendment_reason"}
    for figure in sections.FIGURES:
        expected = "DecimalField" if figure.kind == FigureKind.MONEY else "IntegerField"
        assert type(inputs[figure.name]).__name__ == expected, figure.name


def _expected_headings() -> list[str]:
    """The export's headings as the list says: each section (under its group's heading
    when it has one), the fishbone's categories under the contributing factors, then the
    action items and the review."""
    headings: list[str] = []
    group = ""
    for section in sections.SECTIONS:
        if section.group and section.group != group:
            headings.append(f"## {section.group}")
        group = section.group
        headings.append(f"### {section.label}" if section.group else f"## {section.label}")
        if section.name == "contributing_factors":
            headings += [f"### {category.label}" for category in FactorCategory]
    return [*headings, "## Action items", "## Review"]


@pytest.mark.django_db
def test_the_markdown_export_has_the_sections_headings_in_order(team, member, manager):
    postmortem = postmortem_for(team=team, actor=member, title="Checkout errors")
    ready_to_publish(postmortem, member)
    ActionItemFactory(actor=member, postmortem=postmortem, owner=member)
    text = markdown.render(selectors.postmortem_get(user=member, postmortem_id=postmortem.pk))
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[0].startswith("# Postmortem: ")
    assert headings[1:] == _expected_headings()
    # Figures are written with their section, under the list's labels.
    impact = text.split("## Impact\n", 1)[1].split("\n## ", 1)[0]
    for figure in sections.section("impact").figures:
        assert f"- **{figure.label}:** " in impact


@pytest.mark.django_db
def test_the_web_editor_shows_the_sections_in_order(client, team, member):
    postmortem = postmortem_for(team=team, actor=member)
    client.force_login(member)
    body = client.get(f"/postmortems/{postmortem.pk}/").content.decode()
    editor = body.split('<div class="pm-page">', 1)[1]
    # Each section is its own block with its own form: its heading, then its figures.
    headings = [
        re.sub(r"<[^>]+>", "", text)
        for text in re.findall(r"<h2 id=\"[^\"]+\">(.*?)</h2>|<legend>(.*?)</legend>", editor)
        for text in text
        if text
    ]
    expected = ["Owner"]
    for section in sections.SECTIONS:
        expected.append(section.full_label)
        if section.figures:
            expected.append(f"{section.label} in numbers")
    expected.append("Action items")
    assert headings == expected
    for name in (*sections.TEXT_FIELDS, *sections.FIGURE_FIELDS):
        assert f'name="{name}"' in editor, name
