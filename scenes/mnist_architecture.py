"""The course's MNIST CNN layer by layer: proportional slabs with their shapes C×H×W (from the shape arithmetic)
and parameter counts (from the real model), then the same network as the PyTorch code that builds it.

Render alone with ``manim -ql scenes/mnist_architecture.py MnistArchitecture``. The words are in
``scenes/scripts/mnist_architecture.yaml``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Polygon, VGroup, config

from scenes.common import MONO, LectureScene, cached_text, label, legible_formula, step_times

__all__ = ["MnistArchitecture"]

Y_BLOCKS, Y_NAME, Y_PARAMS, Y_PANEL = 0.95, 2.62, -1.55, -2.38
#: the shapes alternate between two rows: at 16 px a digit, nine shapes side by side are wider than the frame
Y_SHAPES = (-0.75, -1.13)
OBLIQUE = np.array([0.3, 0.3, 0.0])  # a map's depth (its width W) drawn up and to the right
FONT_SIZE = 26  # every label and number: a digit 16 px tall at 480p
MIN_GAP = 0.3  # between two columns; a network that needs less is shown in pages
CODE_WIDTH = 12.6  # the listing with its columns: 5 % of the frame kept free on either side
MAX_CODE_ROWS = 8  # layer lines of the listing on one screen (with its first and last line, at 16 px)
TEX = 58  # a layer's arithmetic: its lowercase n, c and its subscripts 16 px tall at 480p
TOTAL_TEX = 38  # the sum of the counts, digits and signs: a digit 16 px tall
SAFE = config.frame_width / 2 * 0.9  # the columns keep 5 % of the frame free on each side


def chw(shape: list[int]) -> str:
    """A shape as the course writes it: C×H×W for a map (the values list it H, W, C), n for a vector."""
    return "×".join(str(n) for n in ([shape[2], shape[0], shape[1]] if len(shape) == 3 else shape))


def _page_width(page: list[int], width: list[float], cols: list[VGroup]) -> float:
    """The width of a page of columns at the smallest gap (its first column as wide as its shape, too)."""
    return max(width[page[0]], cols[page[0]][2].width) + sum(MIN_GAP + width[i] for i in page[1:])


def _balanced(n: int, count: int, fits) -> list[list[int]] | None:
    """``n`` columns in the fewest pages from ``count`` on whose sizes differ by one at most, each page ``fits``."""
    for pages in range(count, n + 1):
        size, extra = divmod(n, pages)
        bounds = [0]
        for k in range(pages):
            bounds.append(bounds[-1] + size + (k < extra))
        split = [list(range(a, b)) for a, b in zip(bounds, bounds[1:])]
        if all(fits(page) for page in split):
            return split
    return None


class MnistArchitecture(LectureScene):
    """Input → conv/pool slabs → vectors, one layer at a time with its arithmetic; then the code."""

    scene_id = "mnist_architecture"

    def slab(self, height: float, thick: float, depth: float, color: str, opacity: float) -> VGroup:
        """A box: front face thick × height (C × H), its H×W face seen obliquely (``depth`` along OBLIQUE)."""
        o = OBLIQUE * depth
        a, b = np.array([0, 0, 0.0]), np.array([thick, 0, 0.0])
        c, d = b + UP * height, a + UP * height
        kw = {"color": color, "stroke_width": 2, "fill_color": color}
        faces = VGroup(Polygon(a, b, c, d, fill_opacity=opacity, **kw))
        if depth:
            faces.add(Polygon(d, c, c + o, d + o, fill_opacity=opacity * 0.6, **kw),
                      Polygon(b, b + o, c + o, c, fill_opacity=opacity * 1.6, **kw))
        return faces.move_to(UP * Y_BLOCKS)

    def columns(self) -> list[VGroup]:
        t, a = self.theme, self.values.arrays
        cols = []
        for i, (name, kind) in enumerate(zip(a["names"], a["kinds"])):
            color = t.input if kind == "input" else t.output
            block = self.slab(*self.values.boxes[i], color, 0.18 if kind == "maxpool" else 0.32)
            nm = label(self.tr(name, "输入") if kind == "input" else name, t,
                       color=t.muted if kind in ("maxpool", "flatten") else t.text, font_size=FONT_SIZE)
            shape = cached_text(chw(a["shapes"][i]), font=MONO, font_size=FONT_SIZE, color=color)
            par = cached_text(a["params_text"][i] if kind != "input" else " ", font=MONO, font_size=FONT_SIZE,
                              color=t.kernel)
            x = block.get_center()[0]
            nm.move_to([x, Y_NAME, 0])
            shape.move_to([x, Y_SHAPES[i % 2], 0])
            par.move_to([x, Y_PARAMS, 0])
            cols.append(VGroup(nm, block, shape, par))
        return cols

    def lay_out(self, cols: list[VGroup]) -> list[list[int]]:
        """The columns side by side, as far apart as the safe width allows, centred (a column's width is that of
        its name, block and count: its shape shares the width with its neighbours' in the other row). A network
        too deep for one row at legible sizes is shown in pages of consecutive layers, each laid out alone;
        returns the pages (column indices)."""
        cores = [VGroup(c[0], c[1], c[3]) for c in cols]
        width = [m.width for m in cores]
        pages: list[list[int]] = [[0]]
        used = max(width[0], cols[0][2].width)
        for i in range(1, len(cols)):
            if used + MIN_GAP + width[i] > 2 * SAFE:
                pages.append([i])
                used = max(width[i], cols[i][2].width)
            else:
                pages[-1].append(i)
                used += MIN_GAP + width[i]
        if len(pages) > 1:  # as many pages, the columns spread evenly over them: no page of one or two columns
            pages = _balanced(len(cols), len(pages), lambda page: _page_width(page, width, cols) <= 2 * SAFE) or pages
        for page in pages:
            first = page[0]
            w = [max(width[first], cols[first][2].width)] + [width[i] for i in page[1:]]  # the first: no neighbour
            room = 2 * SAFE - sum(w)
            gap = min(0.6, room / (len(page) - 1)) if len(page) > 1 else 0.0
            cursor = -SAFE + max(0.0, room - gap * (len(page) - 1)) / 2
            for n, (i, wi) in enumerate(zip(page, w)):
                col = cols[i]
                left = (col if n == 0 else cores[i]).get_left()[0]
                col.shift(RIGHT * (cursor - left))
                col[2].set_y(Y_SHAPES[n % 2])  # shapes alternate rows within a page
                if n == 0:  # its shape may be wider than its core: centre the core on the shape
                    dx = col[2].get_x() - col[1].get_x()
                    for part in (col[0], col[1], col[3]):
                        part.shift(RIGHT * dx)
                cursor += wi + gap
        return pages

    def key(self) -> VGroup:
        """What the two rows under the blocks are, in the top right corner beside the title (there is no room for
        heads beside the rows)."""
        t = self.theme
        key = VGroup(label(self.tr("shape C×H×W", "形状 C×H×W"), t, color=t.output, font_size=FONT_SIZE),
                     label(self.tr("parameters", "参数个数"), t, color=t.kernel, font_size=FONT_SIZE))
        key.arrange(DOWN, aligned_edge=RIGHT, buff=0.08)
        return key.move_to([SAFE, config.frame_height / 2 * 0.9, 0], aligned_edge=UP + RIGHT)

    def lines(self, general: str, numbers: str, color: str, room: float) -> VGroup:
        """``general = numbers`` on one line, or on two (``= numbers`` under it) where one is wider than ``room``."""
        t = self.theme
        one = legible_formula(f"{general} = {numbers}", t, font_size=TEX, color=color)
        if one.width <= room:
            return VGroup(one)
        return VGroup(legible_formula(general, t, font_size=TEX, color=color),
                      legible_formula(f"= {numbers}", t, font_size=TEX, color=color)).arrange(DOWN, buff=0.12)

    def panel(self, i: int) -> tuple[VGroup, VGroup, VGroup]:
        """The arithmetic of layer ``i``, its name and two parts shown one after the other in one place (at 16 px
        both do not fit under the blocks at once): its shape (the course's c, s, p) and its parameter count."""
        t, a = self.theme, self.values.arrays
        kind, o = a["kinds"][i], a["options"][i]
        tag = label(f"{a['names'][i]}:", t, font_size=FONT_SIZE)
        room = 2 * SAFE - tag.width - 0.35
        if kind == "flatten":
            h, w, c = a["shapes"][i - 1]
            shape = self.lines(r"C\times H\times W", rf"{c}\times {h}\times {w} = {a['shapes'][i][0]}", t.output, room)
        elif kind in ("dropout", "batchnorm"):
            same = chw(a["shapes"][i])
            shape = VGroup(label(self.tr(f"same shape: {same}", f"形状不变：{same}"), t, color=t.output,
                                 font_size=FONT_SIZE))
        else:
            plain = kind == "conv" and (o["stride"], o["padding"], o["dilation"]) == (1, 0, 1)
            general = {"conv": r"n - c + 1" if plain else r"\lfloor (n + 2p - d(c - 1) - 1) / s \rfloor + 1",
                       "maxpool": r"\lfloor (n - c) / s \rfloor + 1" if not o.get("padding") else
                       r"\lfloor (n + 2p - c) / s \rfloor + 1", "dense": r"n_{out}"}
            general["avgpool"] = general["maxpool"]
            if kind == "conv" and (o["stride"], o["dilation"]) == (1, 1) and o["padding"]:
                general["conv"] = r"n + 2p - c + 1"
            shape = self.lines(general[kind], a["shape_formulas"][i], t.output, room)
        if a["param_formulas"][i]:
            general = {"conv": r"c\cdot c\cdot C_{in}\cdot C_{out} + C_{out}" if o.get("groups", 1) == 1 else
                       r"c\cdot c\cdot (C_{in}/g)\cdot C_{out} + C_{out}",
                       "dense": r"n_{in}\cdot n_{out} + n_{out}", "batchnorm": r"2\cdot C"}[kind]
            params = self.lines(general, a["param_formulas"][i], t.kernel, room)
        else:
            params = VGroup(label(self.tr("no parameters", "没有参数"), t, color=t.kernel, font_size=FONT_SIZE))
        # the name, then either part from the same left edge, the widest centred with the name
        left = -(tag.width + 0.35 + max(shape.width, params.width)) / 2
        tag.move_to([left + tag.width / 2, Y_PANEL, 0])
        for part in (shape, params):
            part.move_to([left + tag.width + 0.35, Y_PANEL, 0], aligned_edge=LEFT)
        return tag, shape, params

    def play_scene(self) -> None:
        t, a = self.theme, self.values.arrays
        cols = self.columns()
        heads = self.key()
        pages = self.lay_out(cols)
        page_of = {i: n for n, page in enumerate(pages) for i in page}
        self.next_section("input")
        self.say("input", wait=False, shape=chw(a["shapes"][0]))
        self.play(FadeIn(cols[0]), FadeIn(heads), run_time=0.8)

        seen: list[tuple[str, dict]] = []
        panel = None
        for i, run in zip(range(1, len(cols)), step_times(len(cols) - 1, slow=0.9, fast=0.6, slow_steps=8)):
            self.next_section(a["names"][i])
            before_words, after_words = self.words(i, seen)
            self.say(before_words[0], wait=False, **before_words[1])  # while the layer comes in
            tag, shape, params = self.panel(i)
            if panel is not None:  # one formula goes before the next comes: no two texts on one spot
                self.play(FadeOut(panel), run_time=0.3)
            if page_of[i] != page_of[i - 1]:  # the next page of a deep network: the previous one goes
                self.play(*(FadeOut(cols[j]) for j in pages[page_of[i - 1]]), run_time=0.5)
            self.play(FadeIn(cols[i], shift=RIGHT * 0.3), FadeIn(tag), FadeIn(shape), run_time=run)
            # about the result on screen: the shape's words, then the count's with its arithmetic
            for key, fields in after_words[:-1]:
                self.say(key, **fields)
            if len(after_words) < 2:  # no words of its own: the shape stays while the layer's line is said
                self.finish_line()
                self.wait(0.5)
            self.play(FadeOut(shape), run_time=0.3)
            self.play(FadeIn(params), run_time=0.5)
            panel = VGroup(tag, params)
            for key, fields in after_words[-1:]:
                self.say(key, **fields)
            if not after_words:
                self.wait(1.0)
            seen.append((a["kinds"][i], a["options"][i]))

        self.next_section("total")
        total = legible_formula(a["total_formula"], t, font_size=TOTAL_TEX, color=t.kernel).move_to([0, Y_PANEL, 0])
        self.play(FadeOut(panel), run_time=0.3)
        self.play(FadeIn(total), run_time=0.8)
        self.say("total", total=a["total_params_text"])
        self.code_view([cols[i] for i in pages[-1]], cols, heads, total)

    def words(self, i: int, seen: list[tuple[str, dict]]) -> tuple[tuple[str, dict], list[tuple[str, dict]]]:
        """What is said about layer ``i``: the line while it comes in, then the lines about its result (keys of
        scenes/scripts/mnist_architecture.yaml with their fields, numbers from the values)."""
        a = self.values.arrays
        name, kind, o = a["names"][i], a["kinds"][i], a["options"][i]
        shape, before, n_par = a["shapes"][i], a["shapes"][i - 1], a["params_text"][i]
        again = (kind, o) in seen  # the same pooling as one before: shorter words
        first_of_kind = all(k != kind for k, _ in seen)
        if kind == "conv":
            k, n, m = o["kernel"], before[0], shape[0]
            plain = (o["stride"], o["padding"], o["dilation"]) == (1, 0, 1)
            if not plain:
                come = ("conv_general", dict(k=k, s=o["stride"], p=o["padding"], d=o["dilation"], n=n, m=m))
            elif first_of_kind:
                come = ("conv", dict(k=k, n=n, m=m))
            else:
                come = ("conv_again", dict(name=name, k=k, n=n, m=m))
            count = ("conv_count", dict(k=k, c_in=before[2], params=n_par)) if o["groups"] == 1 else \
                ("conv_count_groups", dict(g=o["groups"], k=k, c_in=before[2] // o["groups"], params=n_par))
            if first_of_kind:
                after = [("conv_maps", dict(c_out=shape[2])), count]
            else:
                after = [("conv_params", dict(name=name, shape=chw(shape), params=n_par)) if o["groups"] == 1
                         else count]
            return come, after
        if kind in ("maxpool", "avgpool"):
            n, m = before[0], shape[0]
            if again:
                return ("pool_again", dict(name=name, n=n, m=m)), []
            s = o.get("stride", o["size"])
            key = ("pool" if kind == "maxpool" else "pool_avg") + ("" if s == o["size"] and not o["padding"]
                                                                   else "_general")
            fields = dict(p=o["size"], n=n, m=m) if not key.endswith("general") else \
                dict(p=o["size"], s=s, pad=o["padding"], n=n, m=m)
            return (key, fields), [("pool_params" if kind == "maxpool" else "pool_avg_params", {})]
        if kind == "flatten":
            return ("flatten", dict(shape=chw(before), n=shape[0])), []
        if kind == "dropout":
            return ("dropout", dict(p=f"{o['p']:g}")), [("dropout_params", {})]
        if kind == "batchnorm":
            c = shape[2] if len(shape) == 3 else shape[0]
            return ("batchnorm", dict(c=c)), [("batchnorm_params", dict(params=n_par))]
        if i < len(a["names"]) - 1:
            return ("dense", dict(n_in=before[0], n_out=shape[0])), [("dense_params", dict(params=n_par))]
        return ("output", dict(n=shape[0])), [("softmax", dict(params=n_par))]

    def code_view(self, shown: list[VGroup], cols: list[VGroup], heads: VGroup, total) -> None:
        """The PyTorch listing, each layer's shape and parameter count on its line (the row under the blocks fades
        out first: moved all at once, nine pairs of numbers would cross one another on the way). A listing longer
        than :data:`MAX_CODE_ROWS` layers is shown a screen at a time."""
        t, a = self.theme, self.values.arrays
        self.next_section("code")
        lines = a["code"]
        rows = self.values.code_rows
        chunks = [rows[k:k + MAX_CODE_ROWS] for k in range(0, len(rows), MAX_CODE_ROWS)]
        indent = cached_text("m", font=MONO, font_size=FONT_SIZE).width  # Text drops leading spaces: indent by hand
        wide = max(c[2].width for c in cols)
        par_wide = max(c[3].width for c in cols)
        previous = VGroup(*shown, heads, total)
        self.say("code", wait=False)
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            shown_lines = [0] + chunk + ([len(lines) - 1] if last else [])
            code = VGroup(*(cached_text(lines[r] if r in (0, len(lines) - 1) or r in chunk else "", font=MONO,
                                        font_size=FONT_SIZE, color=t.text if r in chunk else t.muted)
                            for r in shown_lines))
            if n:  # a later screen goes on where the last one stopped
                code[0] = cached_text("…", font=MONO, font_size=FONT_SIZE, color=t.muted)
            code.arrange(DOWN, aligned_edge=LEFT, buff=0.14).to_edge(LEFT, buff=0.8).set_y(0.1)
            for r, mob in zip(shown_lines, code):
                mob.shift(RIGHT * indent * (len(lines[r]) - len(lines[r].lstrip())))
            # the two columns 0.5 beside the code, closer where a long line (stride, padding, dilation) needs it
            gap = min(0.5, max(0.2, (CODE_WIDTH - code.width - wide - par_wide) / 2))
            x_shape = code.get_right()[0] + gap + wide
            x_par = x_shape + gap + par_wide
            targets = VGroup()
            for r, mob in zip(shown_lines, code):
                if r in chunk:
                    col = cols[1 + rows.index(r)]
                    for part, x in ((col[2], x_shape), (col[3], x_par)):
                        targets.add(part.copy().move_to([x, mob.get_center()[1], 0], aligned_edge=RIGHT))
            heads_new = VGroup(label(self.tr("output", "输出"), t, color=t.muted, font_size=FONT_SIZE)
                               .move_to([x_shape, code[0].get_center()[1], 0], aligned_edge=RIGHT),
                               label(self.tr("params", "参数"), t, color=t.muted, font_size=FONT_SIZE)
                               .move_to([x_par, code[0].get_center()[1], 0], aligned_edge=RIGHT))
            block = VGroup(code, targets, heads_new)
            if last:
                total_new = cached_text(a["total_params_text"], font=MONO, font_size=FONT_SIZE, color=t.kernel,
                                        weight="BOLD")
                block.add(total_new.move_to([x_par, code[-1].get_center()[1], 0], aligned_edge=RIGHT))
            block.shift(RIGHT * -block.get_center()[0])
            self.play(*(FadeOut(m) for m in previous), run_time=0.7)
            self.play(FadeIn(block), run_time=1.2)
            if not last:
                self.wait(2.0)
            previous = VGroup(block)
        self.say("runs")
