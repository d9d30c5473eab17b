"""An in-order scoreboard: expected transactions (from the golden model) vs observed ones."""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterable


class Scoreboard:
    """Compares observed items, in order, against expected ones.

    Feed expectations with :meth:`expect`/:meth:`expect_all` (typically the golden-model step
    function's outputs) and observations with :meth:`observe` (e.g. as a ``StreamSink``
    callback); :meth:`check` raises ``AssertionError`` listing the first mismatches, missing and
    unexpected items. ``compare`` decides equality (default ``==``).
    """

    def __init__(self, name: str, *, compare: Callable[[object, object], bool] | None = None,
                 max_reported: int = 10):
        self.name = name
        self.compare = compare or (lambda expected, observed: expected == observed)
        self.max_reported = max_reported
        self.expected: deque = deque()
        self.matched = 0
        self.mismatches: list[str] = []
        self.unexpected: list = []
        self._index = 0

    def expect(self, item) -> None:
        self.expected.append(item)

    def expect_all(self, items: Iterable) -> None:
        self.expected.extend(items)

    def observe(self, item) -> None:
        index = self._index
        self._index += 1
        if not self.expected:
            self.unexpected.append(item)
            return
        want = self.expected.popleft()
        if self.compare(want, item):
            self.matched += 1
        else:
            self.mismatches.append(f"#{index}: expected {want!r}, got {item!r}")

    def check(self) -> None:
        """Raise ``AssertionError`` unless every expected item was observed, equal and in order."""
        problems = []
        if self.mismatches:
            shown = self.mismatches[: self.max_reported]
            problems.append(f"{len(self.mismatches)} mismatch(es): " + "; ".join(shown))
        if self.expected:
            problems.append(f"{len(self.expected)} expected item(s) never observed, first "
                            f"{list(self.expected)[: self.max_reported]!r}")
        if self.unexpected:
            problems.append(f"{len(self.unexpected)} unexpected item(s), first "
                            f"{self.unexpected[: self.max_reported]!r}")
        if problems:
            raise AssertionError(f"scoreboard {self.name} ({self.matched} matched): "
                                 + " | ".join(problems))
