"""Every enum shown to people labels each of its members, and every label is in the Japanese catalog.

The app is imported first, so every domain has declared its enums; the walk covers every `LabelledEnum`
subclass under `app`, including each domain's audit actions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from jinja2 import Environment

import app.main  # noqa: F401  (declares every domain's enums)
from app.access.roles import Role
from app.core.errors import N_
from app.core.labels import LabelledEnum, label_of, labelled_kinds
from app.web.templating import TRANSLATIONS_DIR, environment

CATALOG_PATH = TRANSLATIONS_DIR / "ja" / "LC_MESSAGES" / "messages.po"
SHOWN_TO_PEOPLE = {
    "Role",
    "UserStatus",
    "MembershipRole",
    "Visibility",
    "GroupStatus",
    "TechnologyArea",
    "DocumentType",
    "ControlCategory",
    "ExtractionStatus",
    "CountryCode",
}


def _subclasses(kind: type[LabelledEnum]) -> list[type[LabelledEnum]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def app_enums() -> list[type[LabelledEnum]]:
    return [kind for kind in _subclasses(LabelledEnum) if kind.__module__.startswith("app.") and len(kind) > 0]


def catalog() -> Catalog:
    with Path(CATALOG_PATH).open("rb") as po:
        return read_po(po, locale="ja")


def label_problems(kinds: list[type[LabelledEnum]], japanese: Catalog) -> list[str]:
    problems = []
    for kind in kinds:
        labels: dict[str, str] = getattr(kind, "__labels__", {})
        name = f"{kind.__module__}.{kind.__qualname__}"
        problems += [f"{name}.{member.name} has no label" for member in kind if member.value not in labels]
        problems += [f"{name} labels {value!r}, which is not a member" for value in labels.keys() - set(kind)]
        for text in labels.values():
            message = japanese.get(text)
            if message is None or not message.string or message.fuzzy:
                problems.append(f"{name}: the label {text!r} is not translated into Japanese")
    return problems


def test_the_walk_finds_every_enum_shown_to_people() -> None:
    names = {kind.__name__ for kind in app_enums()}
    assert names >= SHOWN_TO_PEOPLE, f"missing: {SHOWN_TO_PEOPLE - names}"
    assert any(kind.__module__.endswith(".events") for kind in app_enums()), "no audit actions found"
    assert set(app_enums()) == {kind for kind in labelled_kinds() if kind.__module__.startswith("app.")}


def test_every_member_has_a_translated_label() -> None:
    problems = label_problems(app_enums(), catalog())
    assert not problems, "\n".join(problems)


class Fruit(LabelledEnum):
    """Not part of the app: proves the check can fail."""

    apple = "apple"
    pear = "pear"

    __labels__ = {"apple": N_("An apple nobody translated"), "plum": N_("Public")}


def test_the_check_finds_missing_stale_and_untranslated_labels() -> None:
    assert label_problems([Fruit], catalog()) == [
        "tests.test_labels.Fruit.pear has no label",
        "tests.test_labels.Fruit labels 'plum', which is not a member",
        "tests.test_labels.Fruit: the label 'An apple nobody translated' is not translated into Japanese",
    ]


def _render(source: str, **values: object) -> str:
    env: Environment = environment
    return env.from_string(source).render(language="ja", **values)


def test_the_filters_label_members_and_raw_values_in_the_page_language() -> None:
    assert _render("{{ role|label }}", role=Role.delegate) == "代表"
    assert _render('{{ value|label("Role") }}', value="observer") == "オブザーバー"
    # Stored history may hold a value no longer declared, and a technology area is free text: shown as stored.
    assert _render('{{ value|label("Role") }}', value="retired") == "retired"
    assert _render('{{ area|label("TechnologyArea") }}', area="quantum") == "quantum"
    assert _render('{{ area|label("TechnologyArea") }}', area="5g-6g") == "5G/6G 通信"
    assert _render("{{ code|country_name }}", code="IN") == "インド"
    assert _render("{{ code|country_name }}", code=None) == "事務局"
    assert label_of("CountryCode", "US") == "United States"


def test_a_plain_string_needs_its_enum_named() -> None:
    with pytest.raises(TypeError, match="name its enum"):
        _render("{{ value|label }}", value="delegate")


def test_two_enums_may_not_share_a_name() -> None:
    with pytest.raises(TypeError, match="two LabelledEnum classes are named Role"):

        class Role(LabelledEnum):
            x = "x"
            __labels__ = {"x": N_("Public")}
