"""How an answer of `digits predict` reads: one text line, or one JSON object (JSON Lines), per image.

The decision comes first (digits/model/confidence.py): a digit is its digit and probability, an unsure
answer names its two likeliest digits, and a picture that is no digit says so and names none.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from digits.data.inputs import Failure


@dataclass(frozen=True)
class Prediction:
    path: Path
    decision: str  # one of confidence.DECISIONS: "digit", "unsure", "not_a_digit"
    ranked: list[tuple[int, float]]  # all ten (digit, probability 0..1), most likely first


def scored(entries: list[tuple[int, float]]) -> list[str]:
    return [f"{digit} ({prob:.1%})" for digit, prob in entries]


def as_text(result: Prediction, top_k: int = 1) -> str:
    """`path: 7 (99.2%)`, `path: not sure: 4 (58.0%) or 9 (40.0%)` or `path: not a digit`; with top_k > 1 the
    runners-up follow a digit, and those after the two an unsure answer names."""
    if result.decision == "not_a_digit":
        return f"{result.path}: not a digit"
    if result.decision == "unsure":
        first, second, *rest = scored(result.ranked[: max(top_k, 2)])
        return f"{result.path}: not sure: " + "  ".join([f"{first} or {second}", *rest])
    return f"{result.path}: " + "  ".join(scored(result.ranked[:top_k]))


def as_json(result: Prediction | Failure, top_k: int = 1) -> str:
    """One JSON object per image, errors included, so the output maps 1:1 to the inputs. `digit` and `probability`
    are the likeliest digit's whatever the decision: read `decision` first."""
    if isinstance(result, Failure):
        return json.dumps({"path": str(result.path), "error": result.reason})
    top = [{"digit": digit, "probability": round(prob, 6)} for digit, prob in result.ranked[:top_k]]
    return json.dumps(
        {
            "path": str(result.path),
            "decision": result.decision,
            "digit": top[0]["digit"],
            "probability": top[0]["probability"],
            "top": top,
        }
    )
