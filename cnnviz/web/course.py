"""The index page of a course: its lectures in order, each with its joined video and its slide deck, and the
one gallery of every clip (``render.py course``).

Written from the lectures already made, with Jinja2 (``templates/course.html.j2``); every link is relative, so
the output folder plays offline as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..paths import atomic_write
from .templating import render, static_markup

__all__ = ["CourseLecture", "build_course_index"]

WORDS = {
    "en": {"gallery": "gallery of every clip", "chapters": "chapters", "deck": "slide deck"},
    "zh": {"gallery": "全部片段", "chapters": "章", "deck": "幻灯片"},
}


@dataclass(frozen=True)
class CourseLecture:
    """One lecture of the course as its index lists it: paths relative to the output folder."""

    name: str  # the lecture file's stem: its video is <name>.mp4
    title: str
    source: str  # the lecture file
    video: str
    deck: str | None
    chapters: int
    seconds: float

    @property
    def minutes(self) -> str:
        return f"{self.seconds / 60:.1f}"


def build_course_index(out_dir: Path, lectures: list[CourseLecture], *, title: str, language: str = "en") -> Path:
    """Write ``out_dir/index.html`` listing ``lectures`` in order; return its path."""
    page = render("course.html.j2", title=title, language=language, generator="render.py course",
                  lectures=lectures, words=WORDS.get(language, WORDS["en"]), css=static_markup("gallery.css"))
    target = out_dir / "index.html"
    atomic_write(target, lambda f: f.write(page.encode("utf-8")))
    return target
