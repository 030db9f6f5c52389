"""The export-control screening list: the shipped default, custom files, and what counts as a match."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from app.documents.models import ControlCategory
from app.documents.screening import (
    FoundTerm,
    ScreeningList,
    ScreeningListError,
    load_screening_list,
    screen,
)


@pytest.fixture(scope="module")
def default_list() -> ScreeningList:
    return load_screening_list(None)


def found(text: str, screening_list: ScreeningList) -> dict[str, list[tuple[str, int]]]:
    return {m.category.key: [(t.term, t.count) for t in m.terms] for m in screen(text, screening_list)}


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "screening.toml"
    path.write_text(content, encoding="utf-8")
    return path


def test_default_list_covers_every_control_category_in_both_languages(default_list: ScreeningList) -> None:
    keys = {category.key for category in default_list.categories}
    assert keys == {c.value for c in ControlCategory} - {"other"}
    for category in default_list.categories:
        assert category.control_category is ControlCategory(category.key)
        assert category.label_en and category.label_ja
        assert 8 <= len(category.terms_en) <= 20 and 8 <= len(category.terms_ja) <= 20, category.key
    semis = next(c for c in default_list.categories if c.key == "semiconductors")
    assert {"extreme ultraviolet", "EUV lithography", "3A090"} <= set(semis.terms_en)
    assert {"極端紫外線", "露光装置"} <= set(semis.terms_ja)


def test_english_terms_found_case_insensitively_with_counts_in_order(default_list: ScreeningList) -> None:
    text = (
        "Item 3: exports of 3A090 accelerators and EUV Lithography tools. Massive MIMO radios for O-RAN sites. "
        "A second mention of 3a090, then euv lithography again, and FACIAL RECOGNITION systems."
    )
    assert found(text, default_list) == {
        "semiconductors": [("3A090", 2), ("EUV lithography", 2)],
        "5g-6g": [("massive MIMO", 1), ("O-RAN", 1)],
        "facial_recognition": [("facial recognition", 1)],  # "systems" after it is fine; plural forms too
    }
    assert [m.category.key for m in screen(text, default_list)] == ["semiconductors", "5g-6g", "facial_recognition"]
    assert screen(text, default_list)[0].count == 4


def test_japanese_terms_match_inside_running_text(default_list: ScreeningList) -> None:
    text = "当社は極端紫外線を用いた露光装置を開発し、顔認証と顔認識の技術を基地局に組み込む。遺伝子合成も行う。"
    assert found(text, default_list) == {
        "semiconductors": [("極端紫外線", 1), ("露光装置", 1)],
        "facial_recognition": [("顔認証", 1), ("顔認識", 1)],
        "5g-6g": [("基地局", 1)],
        "biotechnology": [("遺伝子合成", 1)],
    }


def test_english_terms_only_match_whole_words(default_list: ScreeningList) -> None:
    assert screen("The EUVX project and NEUV labs, SS70 rails, MEUVs.", default_list) == []
    assert found("EUV-based scanners; (EUV); EUVs; EUV露光", default_list) == {
        "semiconductors": [("EUV", 3), ("EUV露光", 1)]
    }
    # Spaces, line breaks and hyphens inside a term are interchangeable.
    assert found("gain of function and gain‐of‐\nfunction work", default_list) == {
        "biotechnology": [("gain-of-function", 2)]
    }


def test_full_width_and_half_width_text_is_normalised(default_list: ScreeningList) -> None:
    text = "ＥＵＶ　Ｌｉｔｈｏｇｒａｐｈｙ、ｽﾊﾟｲｳｪｱ、ＩＭＳＩ　ｃａｔｃｈｅｒ"
    assert found(text, default_list) == {
        "semiconductors": [("EUV lithography", 1)],
        "spyware": [("スパイウェア", 1)],
        "location_tracking": [("IMSI catcher", 1)],
    }


def test_an_ordinary_meeting_note_has_no_match(default_list: ScreeningList) -> None:
    note = (
        "Minutes of the 5G working group, 14 May 2026, Tokyo and online. Present: delegates of the four countries "
        "and the secretariat. 1. The agenda was adopted. 2. The chair summarised the consultation on supply-chain "
        "principles: 42 comments from industry, most on diversification of suppliers and on standards. 3. The "
        "group agreed to circulate a revised draft of clauses 4 to 7 by 1 June. Next meeting: 18 June, Canberra.\n"
        "第5回作業部会議事録。議題を採択し、供給網に関する原則案について意見交換を行った。次回会合は6月18日にキャンベラで開催する。"
    )
    assert screen(note, default_list) == []


def test_a_custom_file_replaces_the_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[categories.quantum]
label_en = "Quantum computing"
label_ja = "量子コンピュータ"
terms_en = ["dilution refrigerator", "cryo-CMOS"]
terms_ja = ["希釈冷凍機"]

[categories.spyware]
label_en = "Spyware"
label_ja = "スパイウェア"
terms_en = ["Pegasus-class implant"]
terms_ja = []
""",
    )
    custom = load_screening_list(path)
    assert custom.source == str(path)
    quantum, spyware = custom.categories
    assert quantum.control_category is None and spyware.control_category is ControlCategory.spyware
    matches = screen("A dilution refrigerator (希釈冷凍機) and Cryo CMOS; a pegasus-class implant. EUV.", custom)
    assert [(m.category.key, m.terms) for m in matches] == [
        ("quantum", (FoundTerm("dilution refrigerator", 1), FoundTerm("希釈冷凍機", 1), FoundTerm("cryo-CMOS", 1))),
        ("spyware", (FoundTerm("Pegasus-class implant", 1),)),
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[categories.semis\nlabel_en = 1", "not valid TOML"),
        ("title = 'x'\n", "unknown top-level key 'title'"),
        ("", "no categories"),
        (
            "[categories.semis]\nlabel_en='S'\nlabel_ja='半'\nterms_en=[]\nterms_ja=[]\n",
            "category 'semis' has no terms",
        ),
        (
            "[categories.semis]\nlabel_en='S'\nlabel_ja='半'\nterms_en=['EUV']\n",
            "category 'semis': missing field 'terms_ja'",
        ),
        (
            "[categories.semis]\nlabel_en='S'\nlabel_ja='半'\nterms_en='EUV'\nterms_ja=[]\n",
            "category 'semis': 'terms_en' must be a list of strings, not a string",
        ),
        (
            "[categories.semis]\nlabel_en='S'\nlabel_ja='半'\nterms_en=['EUV', 3]\nterms_ja=[]\n",
            "category 'semis': 'terms_en': term 2 must be a string, not a number",
        ),
        (
            "[categories.semis]\nlabel_en='S'\nlabel_ja='半'\nterms_en=['EUV']\nterms_ja=[]\nterms_fr=['x']\n",
            "category 'semis': unknown field 'terms_fr'",
        ),
        (
            "[categories.semis]\nlabel_en='S'\nlabel_ja='半'\nterms_en=['  ']\nterms_ja=[]\n",
            "category 'semis': 'terms_en': term 1 is empty",
        ),
        (
            "[categories.Semis]\nlabel_en='S'\nlabel_ja='半'\nterms_en=['EUV']\nterms_ja=[]\n",
            "category 'Semis': the key",
        ),
        ("categories = 3\n", "no categories"),
    ],
)
def test_bad_files_give_a_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(ScreeningListError) as error:
        load_screening_list(path)
    assert str(error.value).startswith(f"screening list {path}: ")
    assert problem in str(error.value)


def test_a_missing_file_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScreeningListError, match=r"screening list .*nowhere\.toml: cannot be read"):
        load_screening_list(tmp_path / "nowhere.toml")


def test_the_setting_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[categories.x]\nlabel_en='X'\nlabel_ja='X'\nterms_en=['xylophone']\nterms_ja=[]\n")
    settings = Settings(QUAD_SCREENING_FILE=str(path))  # type: ignore[call-arg]
    assert settings.screening_file == path
    assert Settings().screening_file is None  # type: ignore[call-arg]
    assert found("A xylophone.", load_screening_list(settings.screening_file)) == {"x": [("xylophone", 1)]}


def test_two_megabytes_of_near_misses_match_nothing(default_list: ScreeningList) -> None:
    # Speed is measured by bench/screening_bench.py, not here. The text is built to be hard: every word starts
    # like some term, and separators come in long runs; none of it is a whole term.
    text = ("gain      of   fun mass imsi ex 3a09 顔認 位置 " * 50_000)[:2_000_000]
    assert screen(text, default_list) == []
