"""What every exercise check shares: run a test of the learner's answer and report, never raise.

A check returns a :class:`Result` (``passed``, ``not done`` or ``wrong`` with a hint) and prints it.
``result.use(fallback)`` gives the learner's answer when it passed and the package's version
otherwise, so the rest of the lesson runs even when an exercise is skipped. Lesson 00 introduces it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

PASSED, NOT_DONE, WRONG = "passed", "not done", "wrong"


class Wrong(AssertionError):
    """Raised inside a check's test when the answer is wrong; its message is the hint."""


class NotDone(Exception):
    """Raised inside a check's test when the answer is still blank."""


@dataclasses.dataclass(frozen=True)
class Result:
    """The verdict on one exercise: ``status`` is ``passed``, ``not done`` or ``wrong``."""

    exercise: str
    status: str
    message: str
    answer: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def use(self, fallback: Any) -> Any:
        """The learner's answer if it passed, else ``fallback`` (the package's version of the step)."""
        return self.answer if self.passed else fallback

    def __str__(self) -> str:
        mark = {PASSED: "[passed]", NOT_DONE: "[not done yet]", WRONG: "[wrong]"}[self.status]
        text = f"{mark} {self.exercise}: {self.message}"
        if not self.passed:
            text += "\n          The rest of the lesson uses the package's version of this step."
        return text


def run(
    exercise: str, answer: Any, test: Callable[[Any], None], *, success: str = "well done.", show: bool = True
) -> Result:
    """Run ``test(answer)`` and turn whatever happens into a :class:`Result` (printed if ``show``).

    ``test`` raises :class:`Wrong` with a hint for a wrong answer and :class:`NotDone` (or lets the
    learner's ``NotImplementedError`` through) for a blank one; any other exception counts as wrong.
    """
    try:
        if answer is None or answer is Ellipsis:
            raise NotDone("nothing here yet: fill in the cell above and run it.")
        test(answer)
        result = Result(exercise, PASSED, success, answer)
    except (NotDone, NotImplementedError) as error:
        message = (
            str(error)
            if isinstance(error, NotDone)
            else "the cell above still raises NotImplementedError: write your answer there and run it."
        )
        result = Result(exercise, NOT_DONE, message, answer)
    except Wrong as error:
        result = Result(exercise, WRONG, str(error), answer)
    except Exception as error:  # a check never raises in a notebook
        result = Result(exercise, WRONG, f"your code raised {type(error).__name__}: {error}", answer)
    if show:
        print(result)
    return result


def expect(condition: bool, hint: str) -> None:
    """Raise :class:`Wrong` with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise Wrong(hint)
