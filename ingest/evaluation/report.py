"""The evaluation report: a Markdown file with the tables and PNG plots beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from relex.ingest.evaluation.experiments import (
    ArtefactRow,
    Evaluation,
    RandomisationResult,
    RobustnessRow,
    SelectionExperiment,
)

METRIC_TITLES = {
    "relevance_mass_accuracy": "mass acc. ↑",
    "relevance_rank_accuracy": "rank acc. ↑",
    "aopc": "AOPC MoRF ↑",
    "aopc_random": "AOPC random",
    "sparseness": "sparseness (Gini)",
    "complexity": "complexity (entropy)",
    "conservation_error": "conservation err.",
}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub Markdown table; floats with 3 significant digits."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.3g}"
        return "—" if value is None else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def evaluation_table(evaluation: Evaluation) -> str:
    """Methods as rows, metrics as columns."""
    metrics = list(evaluation.methods[0].scores)
    header = ["method", *(METRIC_TITLES.get(metric, metric) for metric in metrics)]
    rows = [[s.method, *(s.scores[metric] for metric in metrics)] for s in evaluation.methods]
    return markdown_table(header, rows)


def plot_perturbation_curves(evaluation: Evaluation, path: Path) -> Path | None:
    """Mean target logit against regions removed, most relevant first (solid) per method, and
    the random order (dashed, one line: it does not depend on the method). None if no curves."""
    with_curves = [s for s in evaluation.methods if "morf" in s.curves]
    if not with_curves:
        return None
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    axes = figure.subplots()
    for scores in with_curves:
        axes.plot(scores.curves["morf"], label=scores.method)
    random_curve = next(
        (s.curves["random"] for s in evaluation.methods if "random" in s.curves), None
    )
    if random_curve is not None:
        axes.plot(random_curve, "k--", label="random order")
    axes.set_xlabel(f"{evaluation.patch}x{evaluation.patch} regions removed")
    axes.set_ylabel("mean target logit")
    axes.set_title(f"Region perturbation, {evaluation.model} on {evaluation.dataset}", fontsize=9)
    axes.legend(fontsize=7)
    return _save(figure, path)


def plot_randomisation(results: Sequence[RandomisationResult], path: Path) -> Path:
    """Rank correlation with the original heatmap as layers are randomised, top layer first."""
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    axes = figure.subplots()
    for result in results:
        axes.plot(
            ["none", *result.layers], [1.0, *result.similarity], marker="o", label=result.method
        )
    axes.set_xlabel("randomised down to layer (cascading, top first)")
    axes.set_ylabel("Spearman correlation of |relevance|")
    axes.set_ylim(-0.1, 1.05)
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.legend(fontsize=7)
    return _save(figure, path)


def plot_selection(result: SelectionExperiment, path: Path) -> Path:
    """MSE and SMAPE of the conditional heatmap against the neurons kept."""
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    left = figure.subplots()
    left.plot(result.neurons_kept, result.mse, "o-", color="tab:blue", label="MSE")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("neurons kept (top-k per hidden layer)")
    left.set_ylabel("MSE", color="tab:blue")
    right = left.twinx()
    right.plot(result.neurons_kept, result.smape, "s-", color="tab:red", label="SMAPE")
    right.set_ylabel("SMAPE (%)", color="tab:red")
    for k, kept in zip(result.ks, result.neurons_kept, strict=True):
        left.annotate(f"k={k}", (kept, result.mse[result.ks.index(k)]), fontsize=6)
    left.set_title(f"Neuron selection ({result.composite})", fontsize=9)
    return _save(figure, path)


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path)
    return path


@dataclass
class Report:
    """Sections of Markdown and the plots they show, written into one folder."""

    title: str
    folder: Path
    sections: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def add(self, heading: str, text: str) -> None:
        self.sections.append(f"## {heading}\n\n{text.strip()}\n")

    def image(self, path: Path | None, caption: str) -> str:
        return "" if path is None else f"\n\n![{caption}]({path.name})\n"

    def add_evaluation(self, evaluation: Evaluation) -> None:
        plot = plot_perturbation_curves(evaluation, self.folder / "perturbation.png")
        self.add(
            "Methods",
            f"{evaluation.images} images of `{evaluation.dataset}`, model `{evaluation.model}`, "
            "each explained for its true label; means over the images. AOPC: mean drop of the "
            f"target logit over the first removed {evaluation.patch}x{evaluation.patch} regions "
            "(filled with the dataset mean), most relevant first.\n\n"
            + evaluation_table(evaluation)
            + self.image(plot, "perturbation curves"),
        )

    def add_randomisation(self, results: Sequence[RandomisationResult]) -> None:
        plot = plot_randomisation(results, self.folder / "randomisation.png")
        header = ["method", *results[0].layers]
        rows = [[r.method, *r.similarity] for r in results]
        self.add(
            "Model-parameter randomisation (cascading, top layer first)",
            "Spearman rank correlation of |pixel relevance| with the trained model's heatmap; "
            "a method that explains the model drops as its layers are re-initialised.\n\n"
            + markdown_table(header, rows)
            + self.image(plot, "randomisation"),
        )

    def add_selection(self, result: SelectionExperiment) -> None:
        plot = plot_selection(result, self.folder / "selection.png")
        rows = [
            [k, kept, mse, smape]
            for k, kept, mse, smape in zip(
                result.ks, result.neurons_kept, result.mse, result.smape, strict=True
            )
        ]
        chosen = [k for k in result.chosen_k if k is not None]
        paths = "\n".join(f"- `{' -> '.join(path)}`" for path in result.paths[:5] if path)
        self.add(
            "Neuron selection",
            f"Top-k neurons of every hidden layer ({result.composite}); means over "
            f"{len(result.chosen_k)} images. Smallest k with {result.metric} <= "
            f"{result.threshold}: {sorted(chosen) if chosen else 'none'}.\n\n"
            + markdown_table(["k", "neurons kept", "MSE", "SMAPE %"], rows)
            + self.image(plot, "selection curve")
            + (
                "\nCritical paths through the chosen neurons (first images):\n\n" + paths
                if paths
                else ""
            ),
        )

    def add_artefacts(self, rows: Sequence[ArtefactRow], border_width: int) -> None:
        least_border = min(rows, key=lambda row: row.border)
        least_checker = min(rows, key=lambda row: row.checkerboard)
        self.add(
            "Artefacts",
            f"Border: share of |relevance| within {border_width} px of the border over the "
            "share of the image there (1 = even). Checkerboard: share of spectral power at high "
            "frequencies in both axes (white noise: about 0.25).\n\n"
            + markdown_table(
                ["method", "border ratio", "checkerboard share"],
                [[row.method, row.border, row.checkerboard] for row in rows],
            )
            + f"\n\nLeast border relevance: `{least_border.method}`; least checkerboard: "
            f"`{least_checker.method}`.",
        )

    def add_robustness(self, rows: Sequence[RobustnessRow], noise: float) -> None:
        self.add(
            "Robustness where pre-activations are tiny",
            "Every layer scaled by `scale` (same decisions; pre-activations shrink by "
            "scale^depth). "
            f"Noise change: relative L2 change of the heatmap under input noise of std {noise}. "
            "Agreement: Spearman correlation of |relevance| with the heatmap at scale 1.\n\n"
            + markdown_table(
                ["method", "scale", "noise change", "agreement"],
                [[r.method, r.scale, r.noise_change, r.agreement] for r in rows],
            ),
        )

    def write(self) -> Path:
        """Write ``report.md`` into the folder and return its path."""
        path = self.folder / "report.md"
        path.write_text(f"# {self.title}\n\n" + "\n".join(self.sections), encoding="utf-8")
        return path
