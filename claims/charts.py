"""Server-rendered charts for the overview: geometry and shading only, no queries and no HTML.

The templates draw them (bars as small inline SVGs, matrices as tables), so every chart is
readable without JavaScript and its labels are ordinary, escaped text.
"""

import math
from dataclasses import dataclass, field

# Shades of the heat map, from lightest (1) to darkest; 0 means empty.
HEAT_LEVELS = 5


def heat_level(value, maximum):
    """Which of HEAT_LEVELS shades a count gets (0 for none), proportional to the maximum."""
    if value <= 0 or maximum <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, math.ceil(HEAT_LEVELS * value / maximum)))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    url: str
    width: float  # percent of the longest bar, for the SVG rect


def bar_chart(rows):
    """[(label, value, url), …] → Bars whose widths are percentages of the largest value."""
    rows = list(rows)
    largest = max((value for _, value, _ in rows), default=0)
    return [
        Bar(label, value, url, round(100 * value / largest, 1) if largest else 0.0)
        for label, value, url in rows
    ]


@dataclass(frozen=True)
class Cell:
    value: int
    level: int
    url: str = ""
    title: str = ""
    kind: str = ""  # free-form class for the template, e.g. "single" in the gap matrix


@dataclass
class MatrixRow:
    label: str
    url: str
    cells: list
    total: int = 0
    depth: int = 0  # indentation, for hierarchies such as mechanisms and their parents


@dataclass
class Matrix:
    columns: list  # [(label, url)]
    rows: list = field(default_factory=list)

    @property
    def is_empty(self):
        return not self.rows
