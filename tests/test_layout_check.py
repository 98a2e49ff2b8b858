"""LectureScene.layout_check: the glyphs of a formula it measures (a small subscript under a tall Σ is found, a
formula's signs are not glyphs to read), and legible_formula, which grows a formula until the check passes."""

from types import SimpleNamespace

import pytest
from manim import MathTex, tempconfig

from cnnviz.theme import Theme
from scenes.common import MIN_GLYPH_PX, LectureScene, formula_glyph_px, legible_formula

DRY = {"dry_run": True, "disable_caching": True, "verbosity": "WARNING", "pixel_width": 854, "pixel_height": 480}


def findings(*mobjects) -> list[dict]:
    """What layout_check records for a frame holding ``mobjects`` (its centre, far from every edge)."""
    frame = SimpleNamespace(mobjects=[m.move_to([0, 0, 0]) for m in mobjects], layout_problems=[], time=0.0)
    with tempconfig(DRY):
        LectureScene.layout_check(frame)
    return frame.layout_problems


def test_a_small_subscript_under_a_tall_sum_is_found():
    # at font 36 the i under Σ and the x beside it are 10 px tall at 480 lines; the Σ, 25 px, once hid them
    small = findings(MathTex(r"\sum_{i} x_i", font_size=36))
    assert [(p["kind"], p["what"]) for p in small] == [("small formula glyph", r"\sum_{i} x_i")]
    assert small[0]["px"] < MIN_GLYPH_PX - 1
    assert findings(MathTex(r"\sum_{i} x_i", font_size=80)) == []  # the same, large enough


def test_the_glyphs_read_are_letters_and_digits_not_signs():
    # h′(Z): the prime and the parentheses' height set no small reading: its smallest glyph read is the Z
    assert formula_glyph_px(MathTex("h'(Z)", font_size=48)) == pytest.approx(20.4, abs=0.3)
    # a minus and an equals sign alone: nothing to read
    assert formula_glyph_px(MathTex(r"- =", font_size=48)) is None
    assert findings(MathTex("h'(Z) = 1", font_size=48)) == []


@pytest.mark.parametrize("tex", [r"\delta_{\text{dense2}} = p - y", r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
                                 r"\times 10^{-3}", r"n_{out} = 64"])
def test_a_legible_formula_grows_until_the_check_passes(tex):
    with tempconfig(DRY):
        small = MathTex(tex, font_size=30)
        grown = legible_formula(tex, Theme.solarized(), font_size=30)
    assert findings(small) and not findings(grown)
    assert formula_glyph_px(grown) == pytest.approx(MIN_GLYPH_PX)
    big = legible_formula(tex, Theme.solarized(), font_size=90)  # large enough already: kept at its size
    assert big.font_size == pytest.approx(90)


def test_a_number_crowding_its_cell_is_found_and_a_kit_grid_passes():
    from manim import Square, Text

    from scenes.common import MONO, crowded_numbers
    from scenes.kit import NumberGrid, cells_box

    with tempconfig(DRY):
        # "-114" at font 26 is 0.57 units wide: in a 0.6 cell it meets the border (a pad under 1 px at 480p)
        cell = Square(side_length=0.6, stroke_width=2.5)
        tight = findings(cell, Text("-114", font=MONO, font_size=26))
        grid = NumberGrid([[-114, 3.25], [0.5, 7]], cell=0.6)  # the kit widens its cells for the widest number
        window = cells_box(grid, [(0, 0), (1, 1)], grid.theme.kernel)  # a window's outline lies on them
        kit = findings(grid, window)
        one = crowded_numbers([grid, window], 480 / 8.0, min_pad_px=100)  # every number, with its pad
    assert [(p["kind"], p["what"]) for p in tight] == [("number crowds its cell", "-114")]
    assert tight[0]["px"] < 1
    assert kit == []
    assert sorted(t for t, _ in one) == ["-114", "0.5", "3.25", "7"]
    assert min(pad for _, pad in one) >= 2.5
