"""What to run when a pipeline output (the model) is missing: DVC knows whether dvc.lock records it,
whether the local cache holds those bytes and whether a remote is configured, so the message can name
`dvc checkout`, `dvc pull` or `dvc repro` instead of always retraining."""

import os
from pathlib import Path

RETRAIN = "run `dvc repro` to train one"


def restore_hint(path: Path) -> str:
    """The command that brings `path` back, as the end of a one-line error message.

    DVC is imported here, on the error path only: it takes about a second to load.
    """
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with Repo(Repo.find_root(str(path.parent))) as repo:
            return hint_from_repo(repo, path)
    except DvcException:  # not inside a DVC project, or not an output of its pipeline
        return RETRAIN


def hint_from_repo(repo: object, path: Path) -> str:
    out = repo.find_outs_by_path(str(path.resolve()))[0]
    md5 = out.hash_info.value if out.hash_info else None
    shown = os.path.relpath(path)  # as the user would type it from here
    if not md5:
        return RETRAIN  # the stage never ran (or its dvc.lock entry is gone)
    if out.cache.exists(md5):
        return f"dvc.lock records it and the DVC cache holds it: run `dvc checkout {shown}`"
    default, remotes = repo.config["core"].get("remote"), list(repo.config["remote"])
    if default:
        return f"dvc.lock records it: run `dvc pull {shown}` (from the remote '{default}')"
    if remotes:
        return f"dvc.lock records it: run `dvc pull -r {remotes[0]} {shown}` (no default remote is set)"
    return f"dvc.lock records it, but it is not in the DVC cache and no remote is configured; {RETRAIN} again"
