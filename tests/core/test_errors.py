"""Error messages are templates with parameters: the API gets English, a page gets the reader's language."""

from __future__ import annotations

import pytest

from app.core import text
from app.core.errors import N_, InvalidInput
from app.web.templating import gettext_for


def test_the_api_detail_is_english_and_a_japanese_page_gets_japanese_words_and_template() -> None:
    with pytest.raises(InvalidInput) as caught:
        text.one_line("x" * 201, N_("a title"), 200)
    error = caught.value
    assert error.detail == "a title is at most 200 characters"
    assert error.translated(gettext_for("ja")) == "タイトルは200文字以内で入力してください"
    assert error.translated(gettext_for("en")) == error.detail


def test_a_parameter_that_is_not_a_catalog_word_is_shown_as_given() -> None:
    error = InvalidInput(N_("%(what)s is required"), what="Résumé 2026", field="title")
    assert error.translated(gettext_for("ja")) == "Résumé 2026は必須です"
    assert error.field == "title"


def test_a_message_without_parameters_may_contain_a_percent_sign() -> None:
    assert InvalidInput("100% sure").translated(gettext_for("ja")) == "100% sure"
