"""The redline: paragraph blocks, word segments that rejoin to both versions, and short pages."""

from __future__ import annotations

from app.documents.redline import Block, Elided, Redline, Segment, collapse, compare


def old_side(block: Block) -> str:
    return "".join(s.text for s in block.segments if s.kind != "added")


def new_side(block: Block) -> str:
    return "".join(s.text for s in block.segments if s.kind != "removed")


def kinds(redline: Redline) -> list[str]:
    return [b.kind for b in redline.blocks]


def test_identical_texts() -> None:
    text = "First paragraph.\n\nSecond paragraph."
    redline = compare(text, text)
    assert kinds(redline) == ["same", "same"]
    assert (redline.added_words, redline.removed_words, redline.changed_paragraphs) == (0, 0, 0)
    assert redline.blocks[0] == Block(
        "same", "First paragraph.", "First paragraph.", (Segment("same", "First paragraph."),)
    )


def test_whitespace_inside_a_paragraph_does_not_count() -> None:
    redline = compare("One  two\nthree.\n\n\n\nFour.", "One two three.\n\nFour.\n\n")
    assert kinds(redline) == ["same", "same"]


def test_pure_insertion() -> None:
    redline = compare("A a.\n\nC c.", "A a.\n\nB new words here.\n\nC c.")
    assert kinds(redline) == ["same", "added", "same"]
    assert redline.blocks[1] == Block("added", None, "B new words here.", (Segment("added", "B new words here."),))
    assert (redline.added_words, redline.removed_words, redline.changed_paragraphs) == (4, 0, 0)


def test_deletion() -> None:
    redline = compare("A a.\n\nB gone.\n\nC c.", "A a.\n\nC c.")
    assert kinds(redline) == ["same", "removed", "same"]
    assert redline.blocks[1].old == "B gone." and redline.blocks[1].new is None
    assert (redline.added_words, redline.removed_words) == (0, 2)


def test_changed_word_inside_a_paragraph() -> None:
    old = "The parties agree to review export controls every year."
    new = "The parties agree to review export controls every two years."
    redline = compare(f"Intro.\n\n{old}", f"Intro.\n\n{new}")
    block = redline.blocks[1]
    assert block.kind == "changed" and (block.old, block.new) == (old, new)
    assert [s for s in block.segments if s.kind != "same"] == [
        Segment("removed", "year"),
        Segment("added", "two years"),
    ]
    assert old_side(block) == old and new_side(block) == new
    assert (redline.added_words, redline.removed_words, redline.changed_paragraphs) == (2, 1, 1)


def test_segments_rejoin_with_whitespace_and_punctuation_changes() -> None:
    old = "Alpha,  beta\tgamma (delta) epsilon zeta eta."
    new = "Alpha, beta gamma [delta] epsilon zeta theta!"
    block = compare(old, new).blocks[0]
    assert block.kind == "changed"
    assert old_side(block) == old and new_side(block) == new


def test_unrelated_replacement_is_removed_and_added() -> None:
    old = "The working group met in Tokyo to discuss semiconductor supply chains."
    new = "Biotechnology principles will be drafted by the secretariat before spring."
    redline = compare(f"Start.\n\n{old}\n\nEnd.", f"Start.\n\n{new}\n\nEnd.")
    assert kinds(redline) == ["same", "removed", "added", "same"]
    assert redline.changed_paragraphs == 0


def test_extra_paragraphs_in_a_replacement_are_pure_inserts() -> None:
    redline = compare(
        "Keep.\n\nThe cat sat on the mat.\n\nEnd.", "Keep.\n\nThe cat sat on a mat.\n\nBrand new.\n\nEnd."
    )
    assert kinds(redline) == ["same", "changed", "added", "same"]


def test_reordered_paragraphs() -> None:
    a, b, c = "Alpha paragraph.", "Beta paragraph.", "Gamma paragraph."
    redline = compare(f"{a}\n\n{b}\n\n{c}", f"{c}\n\n{a}\n\n{b}")
    assert [(x.kind, x.old or x.new) for x in redline.blocks] == [
        ("added", c),
        ("same", a),
        ("same", b),
        ("removed", c),
    ]
    assert redline.changed_paragraphs == 0


def test_japanese_character_change() -> None:
    old, new = "東京都の会議は月曜日に開かれます。", "東京都の会議は火曜日に開かれます。"
    redline = compare(old, new)
    block = redline.blocks[0]
    assert block.kind == "changed"
    assert block.segments == (
        Segment("same", "東京都の会議は"),
        Segment("removed", "月"),
        Segment("added", "火"),
        Segment("same", "曜日に開かれます。"),
    )
    assert (redline.added_words, redline.removed_words) == (1, 1)


def test_mixed_japanese_and_english() -> None:
    old, new = "Quad 5G/6G 作業部会の議事録", "Quad 6G 作業部会の議事録案"
    block = compare(old, new).blocks[0]
    assert old_side(block) == old and new_side(block) == new
    assert Segment("added", "案") in block.segments


def test_crlf_and_empty_inputs() -> None:
    assert compare("", "").blocks == ()
    redline = compare("", "One.\r\n\r\nTwo.")
    assert kinds(redline) == ["added", "added"] and redline.blocks[1].new == "Two."
    assert kinds(compare("One.\r\n\r\nTwo.", "One.\n\nTwo.")) == ["same", "same"]


def test_repeated_paragraphs_are_never_shown_changed() -> None:
    # Over 1% repeats are "popular" to difflib; identical ones must still come out as same.
    row = "0\t0\t0"
    old = [f"Row {i} unique." if i % 3 else row for i in range(600)]
    new = list(old)
    new[301] = "Row 301 edited."
    new.insert(450, "Inserted.")
    redline = compare("\n\n".join(old), "\n\n".join(new))
    for block in redline.blocks:
        assert block.kind == "same" or block.old != block.new
    assert "\n\n".join(b.new for b in redline.blocks if b.new is not None) == "\n\n".join(new)
    assert "\n\n".join(b.old for b in redline.blocks if b.old is not None) == "\n\n".join(old)


def test_five_thousand_paragraphs() -> None:
    old = [f"Paragraph {i} says that the parties review clause {i % 97} of the export framework." for i in range(5000)]
    new = list(old)
    for i in range(0, 5000, 250):
        new[i] = new[i].replace("review", "revise")
    del new[4321]
    new.insert(1234, "An entirely new paragraph.")
    redline = compare("\n\n".join(old), "\n\n".join(new))
    assert redline.changed_paragraphs == 20
    assert (redline.added_words, redline.removed_words) == (20 + 4, 20 + len(old[4321].split()))
    assert [b.new for b in redline.blocks if b.kind == "added"] == ["An entirely new paragraph."]
    assert [b.old for b in redline.blocks if b.kind == "removed"] == [old[4321]]
    for block in redline.blocks:
        if block.kind == "changed":
            assert old_side(block) == block.old and new_side(block) == block.new
            assert [s.text for s in block.segments if s.kind != "same"] == ["review", "revise"]
    assert "\n\n".join(b.new for b in redline.blocks if b.new is not None) == "\n\n".join(new)


def test_collapse_keeps_context_around_changes() -> None:
    old = [f"Para {i}." for i in range(20)]
    new = list(old)
    new[10] = "Para ten, edited."
    page = collapse(compare("\n\n".join(old), "\n\n".join(new)), context=2)
    shape = [x.count if isinstance(x, Elided) else x.kind for x in page]
    assert shape == [8, "same", "same", "changed", "same", "same", 7]
    assert [x.new for x in page if isinstance(x, Block)][:2] == ["Para 8.", "Para 9."]


def test_collapse_interior_run_and_short_runs() -> None:
    paras = [f"P{i} text." for i in range(12)]
    new = list(paras)
    new[0], new[11] = "P0 changed text.", "P11 changed text."
    page = collapse(compare("\n\n".join(paras), "\n\n".join(new)), context=2)
    assert [x.count if isinstance(x, Elided) else x.kind for x in page] == [
        "changed",
        "same",
        "same",
        6,
        "same",
        "same",
        "changed",
    ]
    # A run of 2*context+1 stays whole: hiding one paragraph saves nothing.
    new = list(paras)
    new[0], new[6] = "P0 changed text.", "P6 changed text."
    page = collapse(compare("\n\n".join(paras), "\n\n".join(new)), context=2)
    assert not any(isinstance(x, Elided) for x in page[:7])


def test_collapse_identical_and_zero_context() -> None:
    text = "\n\n".join(f"P{i}." for i in range(5))
    assert collapse(compare(text, text)) == [Elided(5)]
    page = collapse(compare(text, text.replace("P2.", "P2 edited.")), context=0)
    assert [x.count if isinstance(x, Elided) else x.kind for x in page] == [2, "changed", 2]
