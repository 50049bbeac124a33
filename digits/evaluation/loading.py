"""What the scoring stages (evaluate, ood) start from: the trained model and the test split, checked
to agree on the input normalization."""

from digits.core.errors import PipelineError
from digits.core.paths import ProjectPaths
from digits.data.splits import Split, load_split
from digits.model.checkpoint import Checkpoint, load_checkpoint


def load_model_and_test(paths: ProjectPaths) -> tuple[Checkpoint, Split]:
    checkpoint = load_checkpoint(paths.model)
    test = load_split(paths.split("test"))
    if test.norm != checkpoint.norm:
        raise PipelineError(
            f"{paths.model}: trained on inputs normalized with {checkpoint.norm}, but "
            f"{paths.split('test')} uses {test.norm}; run `dvc repro` to bring them in line"
        )
    return checkpoint, test
