"""uandi report: a folder of the paper's figures and an HTML page whose images exist and whose tables
hold the evaluation's numbers."""

import json
from html.parser import HTMLParser

import numpy as np
import pytest

from uandi.cli import main
from uandi.data.files import write_dataset
from uandi.report import write_report
from uandi.train import TrainConfig, train

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class PageParts(HTMLParser):
    """The image sources and the tables (id -> rows of cell texts) of an HTML page."""

    def __init__(self):
        super().__init__()
        self.images, self.tables, self._table, self._row, self._cell = [], {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        elif tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", f"table{len(self.tables)}"), [])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr":
            self._table.append(self._row)
        elif tag == "table":
            self._table = None


def parse_report(page):
    parts = PageParts()
    parts.feed(page.read_text())
    for src in parts.images:  # every image the page shows is a real PNG in the folder
        image = page.parent / src
        assert image.is_file(), src
        assert image.read_bytes()[:8] == PNG_MAGIC, src
        import matplotlib.image

        assert matplotlib.image.imread(image).ndim == 3, src
    return parts


def value_of(table, name):
    return next(row[1] for row in table if row[0] == name)


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    write_dataset(root / "data", "model", 12, 60, seed=3)
    train(TrainConfig(preset="tiny-model", batch_size=4, lengths=(60, 60), val_n=8, val_lengths=(60,), steps=4,
                      val_every=2), root / "run")
    return root


def test_report_of_a_run_shows_every_figure_with_its_numbers(model_run, tmp_path):
    page = write_report(model_run / "run", model_run / "data", tmp_path / "report", n_examples=2)
    parts = parse_report(page)
    assert set(parts.images) == {"examples.png", "confusion.png", "dc_histogram.png", "curves.png"}
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    summary = parts.tables["summary"]
    assert float(value_of(summary, "mDice (mean point accuracy)")) == pytest.approx(metrics["mdice"], abs=5e-5)
    assert int(value_of(summary, "false negatives")) == metrics["changepoints"]["fn"]
    confusion = parts.tables["confusion"]
    assert [row[0] for row in confusion[1:]] == ["attm", "ctrw", "fbm", "lw", "sbm"]
    cells = np.array([[int(v.replace(",", "")) for v in row[1:]] for row in confusion[1:]])
    assert np.array_equal(cells, np.array(metrics["confusion"]))
    assert cells.sum() == 12 * 60  # every point of every trajectory counted once
    log = [json.loads(line) for line in (model_run / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [int(row[0]) for row in parts.tables["training"][1:]] == [r["step"] for r in log]


def test_report_of_a_shipped_alpha_network_through_the_cli(tmp_path, capsys):
    write_dataset(tmp_path / "data", "alpha", 8, 50, seed=4)
    code = main(["report", "--weights", "alpha", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "r"),
                 "--examples", "1", "--device", "cpu"])
    assert code == 0
    parts = parse_report(tmp_path / "r" / "index.html")
    assert set(parts.images) == {"examples.png", "alpha_hist2d.png", "mae_by_alpha.png", "dc_histogram.png"}
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert float(value_of(parts.tables["summary"], "MAE of alpha")) == pytest.approx(metrics["mae"], abs=5e-5)
    bins = parts.tables["mae_by_alpha"][1:]
    assert sum(int(row[2].replace(",", "")) for row in bins) == 8 * 50
    assert "curves.png" not in parts.images and "training" not in parts.tables  # a shipped file has no log
    assert "report:" in capsys.readouterr().out


def test_report_refuses_a_dataset_of_the_other_task(model_run, tmp_path, capsys):
    code = main(["report", "--weights", "alpha", "--data", str(model_run / "data"), "--out", str(tmp_path / "r")])
    assert code == 2 and "task" in capsys.readouterr().err
    assert not (tmp_path / "r" / "index.html").exists()


def test_report_of_a_trajectory_classifier(tmp_path):
    write_dataset(tmp_path / "single", "model", 10, 40, seed=5, n_segments=(1, 1))
    write_dataset(tmp_path / "multi", "model", 4, 40, seed=5, n_segments=(2, 2))
    train(TrainConfig(preset="wadnet-model", model_overrides={"width": 4}, batch_size=4, lengths=(40, 40),
                      sim_options={"n_segments": (1, 1)}, val_n=4, val_lengths=(40,), steps=2, val_every=2),
          tmp_path / "run")
    page = write_report(tmp_path / "run", tmp_path / "single", tmp_path / "r")
    parts = parse_report(page)
    assert "confusion.png" in parts.images and "curves.png" in parts.images
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert np.array(metrics["confusion"]).sum() == 10
    assert float(value_of(parts.tables["summary"], "accuracy")) == pytest.approx(metrics["accuracy"], abs=5e-5)
    with pytest.raises(ValueError, match="single-model"):
        write_report(tmp_path / "run", tmp_path / "multi", tmp_path / "r2")
