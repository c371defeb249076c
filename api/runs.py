"""The runs service: a run's model, LRP method, DeconvNet and dataset, loaded once and kept.

One model is loaded per (model, weights) per process and shared by every run that uses it; each
run gets its LRP method (the run's composite), its dataset and an index from stored Image ids to
dataset items. The run's parameters are read as :class:`ingest.run_params.RunParameters`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from torch import Tensor

from relex.api.cache import LRUCache
from relex.api.roots import check_served
from relex.ingest.attribution import lrp_for
from relex.ingest.datasets import BaseDataset, open_dataset
from relex.ingest.errors import RelexError
from relex.ingest.explain import pick_device
from relex.ingest.lrp import LRP, DeconvNet
from relex.ingest.models import LoadedModel, load_model
from relex.ingest.run_params import RunParameters
from relex.queries import GraphStore, NotFoundError, RunRow
from relex.queries import ids as store_ids


@dataclass(frozen=True)
class RunModel:
    """What rendering for one run needs: its parameters, model, LRP method, DeconvNet, dataset."""

    run: RunRow
    params: RunParameters
    loaded: LoadedModel
    lrp: LRP
    deconvnet: DeconvNet
    dataset: BaseDataset
    image_index: Mapping[str, int]
    """Stored Image id -> dataset item."""

    @property
    def model_id(self) -> str:
        """The model id the run's neurons carry."""
        return self.run.model


@dataclass(frozen=True)
class ImageInput:
    """A preprocessed image ``(1, C, H, W)`` and a key that identifies it in caches."""

    tensor: Tensor
    key: str
    label: int | None = None


def render_params(run: RunRow) -> RunParameters:
    """The run's recorded parameters; RelexError naming what is missing for its renders."""
    try:
        return RunParameters.from_json(run.params, run=run.id)
    except RelexError as error:
        raise RelexError(f"{error}: its renders are unavailable") from None


class RunService:
    """The runs of ``store`` with their models on ``device``, loaded once and cached. With
    ``roots``, a run whose dataset folder lies outside them is refused (OutsideRootsError)."""

    def __init__(
        self, store: GraphStore, *, device: str = "auto", roots: Sequence[Path] | None = None
    ) -> None:
        self.store = store
        self.device = pick_device(device)
        self.roots = roots
        self._models: LRUCache[tuple[str, str], LoadedModel] = LRUCache(4)
        self._runs: LRUCache[tuple[str, str], RunModel] = LRUCache(16)
        self._datasets: LRUCache[str, BaseDataset] = LRUCache(8)
        self._lock = threading.Lock()

    def run_model(self, run_id: str) -> RunModel:
        """The loaded model, LRP method and dataset of run ``run_id`` (NotFoundError if none)."""
        run = self.store.get_run(run_id)
        return self._runs.get_or_make((run.id, run.params), lambda: self._load_run(run))

    def _load_run(self, run: RunRow) -> RunModel:
        params = render_params(run)
        if self.roots is not None:
            check_served(params.dataset, self.roots)
        model, weights = params.model, params.weights
        with self._lock:
            loaded = self._models.get_or_make((model, weights), lambda: self._load(model, weights))
        lrp = lrp_for(loaded.module, loaded.preprocessing, params.method, device=self.device)
        dataset = self.dataset(params.dataset)
        index = {
            store_ids.image_id(dataset.name, dataset.sample(i).image_id): i
            for i in range(len(dataset))
        }
        return RunModel(run, params, loaded, lrp, DeconvNet(loaded.module), dataset, index)

    def _load(self, model: str, weights: str) -> LoadedModel:
        loaded = load_model(model, weights)
        loaded.module.to(self.device).eval()
        return loaded

    def dataset(self, spec: str) -> BaseDataset:
        """The dataset ``spec`` names, opened once."""
        return self._datasets.get_or_make(spec, lambda: open_dataset(spec))

    def stored_image(self, context: RunModel, image_id: str) -> ImageInput:
        """Image ``image_id`` of the run's dataset, preprocessed; NotFoundError if unknown."""
        if image_id not in context.image_index:
            raise NotFoundError(
                f"image {image_id!r} is not in dataset {context.dataset.name} of run "
                f"{context.run.id}"
            )
        item = context.image_index[image_id]
        tensor = context.dataset.tensor(item, context.loaded.preprocessing)[None]
        return ImageInput(tensor, f"id:{image_id}", int(context.dataset.labels[item]))

    def raw_image(self, context: RunModel, image_id: str) -> bytes:
        """Image ``image_id`` of the run's dataset as PNG bytes, as stored (not preprocessed)."""
        if image_id not in context.image_index:
            raise NotFoundError(f"image {image_id!r} is not in run {context.run.id}'s dataset")
        image = context.dataset.image(context.image_index[image_id]).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
