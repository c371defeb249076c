"""Request and response models of the API that are not the query catalogue's own results
(those, frozen dataclasses of :mod:`queries.analysis.results`, are served as they are)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from relex.queries.console import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_S


class Strict(BaseModel):
    """Unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class RenderRequest(Strict):
    """A render of the selected neurons for one image of the run's dataset."""

    run: str = Field(min_length=1, description="Run id.")
    image_id: str = Field(min_length=1, description="Stored Image id (<dataset>/<path>).")
    target: int | None = Field(
        None, ge=0, description="Model output to explain (default: the prediction)."
    )
    neurons: list[str] = Field(description="Neuron ids model/layer/index of the run's model.")


class RenderNumbers(BaseModel):
    """A render as numbers: the map (rows of pixels), and for a heatmap the full heatmap and
    the MSE / SMAPE between them."""

    target: int
    shape: tuple[int, int]
    map: list[list[float]]
    full: list[list[float]] | None = None
    mse: float | None = None
    smape: float | None = None
    neurons_kept: int


class SelectionRequest(Strict):
    """Neuron selection for one image: top-k per layer for each k, and the threshold."""

    run: str = Field(min_length=1)
    image_id: str = Field(min_length=1)
    target: int | None = Field(None, ge=0)
    ks: list[int] = Field(default=[1, 2, 4, 8, 16, 32], min_length=1, max_length=32)
    metric: Literal["mse", "smape"] = "mse"
    threshold: float = Field(ge=0, allow_inf_nan=False)


class SelectionPointOut(BaseModel):
    """One point of the curve."""

    k: int
    neurons_kept: int
    mse: float
    smape: float


class SelectionOut(BaseModel):
    """The curve and the chosen subgraph (None when no k meets the threshold)."""

    run: str
    image_id: str
    metric: str
    threshold: float
    points: list[SelectionPointOut]
    chosen_k: int | None
    chosen_neurons: list[str] | None


class CypherRequest(Strict):
    """One read-only Cypher statement with parameters."""

    query: str = Field(min_length=1, max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, le=60, allow_inf_nan=False)
    max_rows: int = Field(DEFAULT_MAX_ROWS, ge=1, le=10_000)


class CypherOut(BaseModel):
    """Columns, JSON-ready rows, whether the row cap cut them, and the seconds it took."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    elapsed_s: float


class SubgraphOut(BaseModel):
    """A subgraph as cytoscape.js elements, with what it is of."""

    run: str
    class_id: str
    seeds: list[str]
    truncated: bool
    elements: dict[str, list[dict[str, Any]]]


class ImageOut(BaseModel):
    """An image of a run's dataset."""

    id: str
    label: int
    class_name: str


class ReferenceOut(BaseModel):
    """A reference image of a neuron with its score and its heatmap crop (a PNG data URL)."""

    image: str
    score: float
    crop: tuple[int, int, int, int]
    png: str


class ReferencesOut(BaseModel):
    """A neuron's top images by stored relevance and by activation within a run."""

    run: str
    neuron: str
    by_relevance: list[ReferenceOut]
    by_activation: list[ReferenceOut]


class JobRequest(Strict):
    """An ingest run to start (the options of ``relex ingest``)."""

    run: str = Field(min_length=1, max_length=200, pattern=r"^[^/]+$")
    dataset: str = Field(min_length=1)
    model: str = "vgg16"
    weights: str = "imagenet"
    method: str = "epsilon_gamma_box"
    top_k: int = Field(8, ge=1, le=1000)
    batch_size: int = Field(16, ge=1, le=1024)
    classes: list[int] | None = None
    limit: int | None = Field(None, ge=1)
    group_by: Literal["label", "prediction"] = "label"


class JobOut(BaseModel):
    """An ingest job's state."""

    id: str
    options: dict[str, Any]
    status: str
    created_at: str
    updated_at: str
    classes_done: int
    images_done: int
    error: str | None


class ErrorOut(BaseModel):
    """Every 4xx answer: the reason, or for a request that does not fit the schema, FastAPI's
    list of what is wrong where."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": reason}
    for code, reason in {
        400: "Bad query or store problem, or a Host header this server does not trust",
        401: "Token missing",
        403: "Refused: a write through the console, a wrong token, data outside the roots",
        404: "Unknown run, class, layer, neuron, image or job",
        408: "Query past its time limit",
        409: "Conflict: a job already under way, or the store in use",
        413: "Request body over 20 MB, or an image with too many pixels",
        415: "Upload not an image",
        422: "Arguments out of range or not fitting the run",
        429: "As many jobs as the server runs at once are running",
    }.items()
}
