"""adapt(): the fine-tune on collected pictures learns them, keeps MNIST, keeps BatchNorm's statistics, repeats."""

from dataclasses import replace

import pytest
import torch

from digits.core.params import AdaptParams
from digits.data.splits import Split
from digits.distributed.world import ONE_PROCESS
from digits.training.adapt import adapt, steps_of_batches
from digits.training.batches import training_set
from digits.training.epoch import validate
from digits.training.fit import fit, init_model
from tests.unit.test_training import CPU, small, splits  # noqa: F401  (splits: the module's fixture)

ADAPT = AdaptParams(steps=30, batch_size=32, collected_share=0.25, lr=0.003, blend=1.0, seed=0)


@pytest.fixture(scope="module")
def trained(splits: dict[str, Split]) -> tuple[dict, object]:  # noqa: F811
    params = small(epochs=2)
    model = init_model(params)
    fit(model, splits["train"], splits["val"], params, CPU)
    return {k: v.clone() for k, v in model.state_dict().items()}, params


def squares(norm: object) -> Split:
    """Pictures MNIST lacks (a bright square), all labelled 7."""
    square = torch.full((20, 1, 28, 28), -0.3)
    square[:, :, 8:20, 8:20] = 3.0
    return Split(square, torch.full((20,), 7, dtype=torch.int64), norm)


def adapted(state: dict, params: object, splits: dict[str, Split], adapt_params: AdaptParams = ADAPT) -> object:  # noqa: F811
    model = init_model(params)
    model.load_state_dict(state)
    adapt(model, splits["train"], squares(splits["train"].norm), params, adapt_params, CPU)
    return model


def test_adapt_learns_the_collected_pictures_and_keeps_mnist(trained, splits) -> None:  # noqa: F811
    state, params = trained
    base = init_model(params)
    base.load_state_dict(state)
    collected = squares(splits["train"].norm)
    assert not (base.eval()(collected.images).argmax(1) == 7).all()
    model = adapted(state, params, splits)
    assert (model(collected.images).argmax(1) == 7).all()
    # MNIST replay keeps what it knew: batches 90% squares (little replay) forget far more of the digits
    little_replay = adapted(state, params, splits, replace(ADAPT, collected_share=0.9))
    kept, forgot = (validate(m, splits["val"], 256, CPU, ONE_PROCESS)[1] for m in (model, little_replay))
    assert kept > forgot + 0.15, (kept, forgot)


def test_adapt_keeps_batchnorm_statistics_and_repeats_for_a_seed(trained, splits) -> None:  # noqa: F811
    state, params = trained
    one, two = adapted(state, params, splits), adapted(state, params, splits)
    stats = [k for k in state if "running_" in k]
    assert stats and all(torch.equal(one.state_dict()[k], state[k]) for k in stats)
    assert all(torch.equal(one.state_dict()[k], two.state_dict()[k]) for k in state)
    other = adapted(state, params, splits, replace(ADAPT, seed=1))
    assert not all(torch.equal(one.state_dict()[k], other.state_dict()[k]) for k in state)


def test_steps_run_on_past_the_end_of_mnist(splits) -> None:  # noqa: F811
    data = training_set(splits["train"], squares(splits["train"].norm), 0.25, 32)
    per_pass = data.steps(32)
    got = list(steps_of_batches(data, 32, torch.Generator().manual_seed(0), 2 * per_pass + 3))
    assert len(got) == 2 * per_pass + 3 and all(len(batch) == 32 for batch in got)
    assert not torch.equal(got[0], got[per_pass])  # MNIST shuffled anew for the second pass


def test_blend_keeps_that_share_of_the_fine_tunes_change(trained, splits) -> None:  # noqa: F811
    state, params = trained
    full = adapted(state, params, splits).state_dict()
    half = adapted(state, params, splits, replace(ADAPT, blend=0.5)).state_dict()
    weights = [k for k in state if state[k].is_floating_point() and "running_" not in k]
    assert all(torch.allclose(half[k], (state[k] + full[k]) / 2, atol=1e-6) for k in weights)
    assert all(torch.equal(half[k], state[k]) for k in state if not state[k].is_floating_point())
