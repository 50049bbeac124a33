"""benchmarks/adapt.py's pure parts on tiny data: the populations' split and pictures, the params --set
edits, the collection reset, reading `digits predict --json`, the table and the figure. The loop itself
(a clone, `dvc repro`) is never run here: it takes minutes."""

import io
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from PIL import Image

from benchmarks.adapt import turns
from benchmarks.adapt_loop import UnknownParamError, edit_params, measure, reset_collected, set_param
from benchmarks.adapt_populations import flatten, label_of, split_by_index, write_uci, writer_population
from benchmarks.adapt_report import Row, append_json, cpu_model, format_table, plot
from digits.evaluation.ood.uci import UPSCALINGS, as_picture

PARAMS = {"train": {"seed": 0, "cnn_channels": [24, 48], "lr": 0.006}, "preprocess": {"val_size": 5000}}


def test_the_pool_is_the_first_half_by_index_and_the_measured_part_the_rest() -> None:
    assert split_by_index(1797) == (range(898), range(898, 1797))
    assert split_by_index(4) == (range(2), range(2, 4))


def test_uci_pictures_are_the_ood_stages_pictures_pool_by_digit_measured_flat(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 17, size=(20, 8, 8)).astype(float)  # ink 0..16
    labels = np.arange(20) % 10  # 0..9 twice: the first ten are the pool
    population = write_uci(tmp_path, images, labels)
    assert [path.name for path in population.pool_files(3, 5)] == ["0003.png"]  # one 3 in the pool
    assert population.per_class() == 1
    measured = sorted(population.measured.iterdir())
    assert [path.name for path in measured[:2]] == ["0010_0.png", "0011_1.png"]
    assert [label_of(path) for path in measured] == list(range(10))
    factor, resample = UPSCALINGS["bicubic_8x"]
    assert measured[4].read_bytes() == as_picture(images[14], factor, resample)
    with Image.open(io.BytesIO(measured[4].read_bytes())) as picture:
        assert picture.size == (64, 64)


def test_flatten_names_each_picture_by_its_digit(tmp_path: Path) -> None:
    for digit in range(10):
        (tmp_path / "by" / str(digit)).mkdir(parents=True)
        (tmp_path / "by" / str(digit) / "000.png").write_bytes(b"png")
    flatten(tmp_path / "by", tmp_path / "flat")
    assert sorted(path.name for path in (tmp_path / "flat").iterdir()) == [f"000_{d}.png" for d in range(10)]
    assert not (tmp_path / "by").exists()


def test_the_writers_pool_and_measured_part_are_different_draws(tmp_path: Path) -> None:
    population = writer_population(tmp_path, per_digit=1)  # runs scripts/new_writer.py twice: 20 pictures
    assert population.per_class() == 1 and len(list(population.measured.iterdir())) == 10
    pool, measured = population.pool_files(7, 1)[0], population.measured / "000_7.png"
    assert pool.read_bytes() != measured.read_bytes()  # seed 0 against seed 1
    with Image.open(measured) as picture:
        assert picture.size == (280, 280)


def test_turns_leave_out_the_base_and_cap_k_at_the_pool() -> None:
    assert turns([0, 5, 10, 30, 100], per_class=88) == [5, 10, 30, 88]
    assert turns([100, 200], per_class=88) == [88]


def test_set_edits_nested_keys_reading_the_value_as_yaml() -> None:
    params = json.loads(json.dumps(PARAMS))
    set_param(params, "train.seed=1")
    set_param(params, "train.cnn_channels=[8, 16]")
    assert params["train"] == {"seed": 1, "cnn_channels": [8, 16], "lr": 0.006}


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("train.sed=1", r"--set train.sed: params.yaml has no key train.sed \(keys of train: seed, cnn_channels, lr\)"),
        ("trian.seed=1", r"no key trian.seed \(keys of the top level: train, preprocess\)"),
        ("train.seed.x=1", r"no key train.seed.x \(keys of train.seed: none: train.seed is a value\)"),
        ("train.seed", r"expected KEY=VALUE"),
    ],
)
def test_set_stops_at_a_key_params_yaml_lacks(assignment: str, message: str) -> None:
    with pytest.raises(UnknownParamError, match=message):
        set_param(json.loads(json.dumps(PARAMS)), assignment)


def test_edit_params_rewrites_the_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(PARAMS, sort_keys=False))
    edit_params(path, ["train.lr=0.01", "preprocess.val_size=10"])
    assert yaml.safe_load(path.read_text()) == {
        **PARAMS,
        "train": {**PARAMS["train"], "lr": 0.01},
        "preprocess": {"val_size": 10},
    }


def test_reset_empties_the_collection_but_keeps_its_note_and_the_linked_cache(tmp_path: Path) -> None:
    folder, cache = tmp_path / "data" / "collected", tmp_path / "cache"
    (folder / "7").mkdir(parents=True)
    cache.mkdir()
    (cache / "object").write_bytes(b"png")
    (folder / "README.md").write_text("note")
    (folder / "7" / "a.png").symlink_to(cache / "object")  # as `dvc checkout` links it
    (folder / "7" / ".a.png.x.tmp").write_bytes(b"")
    reset_collected(tmp_path)
    assert [path.name for path in folder.iterdir()] == ["README.md"]
    assert (cache / "object").read_bytes() == b"png"


@dataclass
class FakeClone:
    root: Path
    stdout: str

    def run(self, *command: str) -> SimpleNamespace:
        assert command[-5:-1] == ("predict", "--json", "--model", "models/model.pt")
        return SimpleNamespace(stdout=self.stdout)


def test_measure_reads_the_digit_of_each_answer_against_the_label_in_its_name(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "test.json").write_text('{"accuracy": 0.9961, "loss": 0.01}')
    answers = [("0001_7.png", 7, "digit"), ("0002_4.png", 4, "unsure"), ("0003_9.png", 4, "digit")]
    lines = [json.dumps({"path": f"m/{name}", "decision": decision, "digit": d}) for name, d, decision in answers]
    population = SimpleNamespace(measured=tmp_path / "m")
    assert measure(FakeClone(tmp_path, "\n".join(lines)), population) == (pytest.approx(2 / 3), 0.9961)
    with pytest.raises(SystemExit, match="1 failed"):
        measure(FakeClone(tmp_path, json.dumps({"path": "m/0001_7.png", "error": "not an image"})), population)


ROWS = [
    Row("uci", 0, 0, 0, None, 0.9733, 0.9961, ("collected",)),
    Row("uci", 0, 30, 300, 312.44, 0.99, 0.9958),
    Row("uci", 1, 0, 0, None, 0.97, 0.996),
    Row("uci", 1, 30, 300, 300.0, 0.98, 0.9962),
    Row("writer", 0, 0, 0, None, 0.5, 0.9961),
]


def test_the_table_has_a_row_per_seed_and_k_and_a_mean_over_seeds() -> None:
    assert format_table("uci", 899, ROWS).splitlines() == [
        "uci: accuracy on the 899 measured pictures after k corrections per digit",
        " seed    k pictures  turn (s)  accuracy MNIST test",
        "    0    0        0         -    97.33%     99.61%",
        "    0   30      300     312.4    99.00%     99.58%",
        "    1    0        0         -    97.00%     99.60%",
        "    1   30      300     300.0    98.00%     99.62%",
        " mean    0                  -    97.17%     99.61%",
        " mean   30              306.2    98.50%     99.60%",
    ]
    assert len(format_table("writer", 1000, ROWS).splitlines()) == 3  # one seed: no mean line


def test_results_append_as_json_lines_and_the_figure_is_a_png(tmp_path: Path) -> None:
    append_json(tmp_path / "out.jsonl", {"commit": "abc"}, ROWS[:1])
    append_json(tmp_path / "out.jsonl", {"commit": "def"}, ROWS[1:2])
    runs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [run["commit"] for run in runs] == ["abc", "def"] and runs[1]["rows"][0]["seconds"] == 312.44
    plot(tmp_path / "curve.png", ROWS)
    with Image.open(tmp_path / "curve.png") as figure:
        assert figure.format == "PNG"


def test_the_cpu_model_comes_from_cpuinfo(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: fpu\n")
    assert cpu_model(tmp_path / "cpuinfo") == "Intel(R) Xeon(R) Processor"
    assert cpu_model(tmp_path / "missing") == "unknown"
