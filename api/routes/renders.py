"""Renders for a selected subgraph: conditional heatmaps with their MSE/SMAPE, DeconvNet
projections, neuron selection curves, reference images, and the run's dataset images."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from relex.api.errors import UploadError
from relex.api.renders import DeconvolutionRender, HeatmapRender, Reference
from relex.api.runs import ImageInput, RunModel
from relex.api.schemas import (
    ImageOut,
    ReferenceOut,
    ReferencesOut,
    RenderNumbers,
    RenderRequest,
    SelectionOut,
    SelectionPointOut,
    SelectionRequest,
)
from relex.api.state import ApiState, State
from relex.api.uploads import uploaded_image
from relex.queries import NotFoundError, analysis
from relex.queries import ids as store_ids
from relex.queries.analysis.classview import class_images

router = APIRouter(prefix="/api", tags=["renders"])

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
Format = Annotated[Literal["png", "json"], Query(description="png (default) or json.")]
PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}
}
PNG_OR_JSON = PNG


@router.get("/runs/{run}/images", response_model=list[ImageOut])
def images(
    state: State,
    run: str,
    class_id: Annotated[str | None, Query(min_length=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[ImageOut]:
    """Images of the run's dataset (of one class when ``class_id`` is given)."""
    context = state.runs.run_model(run)
    dataset = context.dataset
    classes = None
    if class_id is not None:
        known = {info.id: info.index for info in analysis.list_classes(state.store, run=run)}
        if class_id not in known:
            raise NotFoundError(f"run {run} has no class {class_id!r}")
        classes = [known[class_id]]
    return [
        ImageOut(
            id=store_ids.image_id(dataset.name, dataset.sample(item).image_id),
            label=int(dataset.labels[item]),
            class_name=dataset.class_names[int(dataset.labels[item])],
        )
        for item in dataset.select(classes=classes, limit=limit)
    ]


@router.get("/images/{image_id:path}.png", response_class=Response, responses=PNG)
def image_png(state: State, image_id: str, run: Annotated[str, Query(min_length=1)]) -> Response:
    """An image of the run's dataset as PNG (as stored, not preprocessed)."""
    context = state.runs.run_model(run)
    return Response(state.runs.raw_image(context, image_id), media_type="image/png")


def _numbers(render: HeatmapRender | DeconvolutionRender) -> RenderNumbers:
    if isinstance(render, HeatmapRender):
        return RenderNumbers(
            target=render.target,
            shape=(render.heatmap.shape[0], render.heatmap.shape[1]),
            map=render.heatmap.tolist(),
            full=render.full.tolist(),
            mse=render.mse,
            smape=render.smape,
            neurons_kept=render.neurons_kept,
        )
    return RenderNumbers(
        target=render.target,
        shape=(render.projection.shape[0], render.projection.shape[1]),
        map=render.projection.tolist(),
        neurons_kept=0,
    )


def _answer(render: HeatmapRender | DeconvolutionRender, output: str) -> Response | RenderNumbers:
    if output == "json":
        return _numbers(render)
    headers = {"X-Relex-Target": str(render.target)}
    if isinstance(render, HeatmapRender):
        headers |= {"X-Relex-MSE": repr(render.mse), "X-Relex-SMAPE": repr(render.smape)}
    return Response(render.png(), media_type="image/png", headers=headers)


def _render(
    state: State,
    kind: str,
    context: RunModel,
    image: ImageInput,
    target: int | None,
    neurons: list[str],
) -> HeatmapRender | DeconvolutionRender:
    selection = state.renderer.selection(context, neurons)
    if kind == "heatmap":
        return state.renderer.heatmap(context, image, target, selection)
    return state.renderer.deconvolution(context, image, target, selection)


def _stored(state: State, kind: str, body: RenderRequest) -> HeatmapRender | DeconvolutionRender:
    context = state.runs.run_model(body.run)
    image = state.runs.stored_image(context, body.image_id)
    return _render(state, kind, context, image, body.target, body.neurons)


@router.post("/renders/heatmap", response_model=RenderNumbers, responses=PNG_OR_JSON)
def heatmap(state: State, body: RenderRequest, format: Format = "png") -> Response | RenderNumbers:
    """The conditional LRP heatmap of the selected neurons for a dataset image, with the MSE and
    SMAPE of the full heatmap against it (headers X-Relex-MSE / X-Relex-SMAPE on a PNG)."""
    return _answer(_stored(state, "heatmap", body), format)


@router.post("/renders/deconvolution", response_model=RenderNumbers, responses=PNG_OR_JSON)
def deconvolution(
    state: State, body: RenderRequest, format: Format = "png"
) -> Response | RenderNumbers:
    """The DeconvNet projection (Zeiler & Fergus 2014) of the selected neurons for an image."""
    return _answer(_stored(state, "deconvolution", body), format)


async def _read_upload(request: Request, upload: UploadFile) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise UploadError(f"the upload is over the {MAX_UPLOAD_BYTES // 2**20} MB limit", 413)
    if upload.content_type and not upload.content_type.startswith("image/"):
        raise UploadError(
            f"the upload is {upload.content_type}, not an image (send image/png, image/jpeg, ...)",
            415,
        )
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"the upload is over the {MAX_UPLOAD_BYTES // 2**20} MB limit", 413)
    if not data:
        raise UploadError("the upload is empty", 422)
    return data


async def _uploaded(
    state: State,
    kind: str,
    request: Request,
    run: str,
    neurons: str,
    target: int | None,
    file: UploadFile,
) -> HeatmapRender | DeconvolutionRender:
    data = await _read_upload(request, file)
    chosen = [neuron.strip() for neuron in neurons.split(",") if neuron.strip()]

    def work() -> HeatmapRender | DeconvolutionRender:
        context = state.runs.run_model(run)
        image = uploaded_image(context, data)
        return _render(state, kind, context, image, target, chosen)

    return await run_in_threadpool(work)


UploadRun = Annotated[str, Form(min_length=1, description="Run id.")]
UploadNeurons = Annotated[str, Form(description="Comma-separated neuron ids.")]
UploadTarget = Annotated[int | None, Form(ge=0)]
UploadFileField = Annotated[UploadFile, File(description="An image, at most 20 MB.")]


@router.post("/renders/heatmap/upload", response_model=RenderNumbers, responses=PNG_OR_JSON)
async def heatmap_upload(
    state: State,
    request: Request,
    run: UploadRun,
    neurons: UploadNeurons,
    file: UploadFileField,
    target: UploadTarget = None,
    format: Format = "png",
) -> Response | RenderNumbers:
    """The subgraph heatmap of an uploaded image (multipart form)."""
    render = await _uploaded(state, "heatmap", request, run, neurons, target, file)
    return _answer(render, format)


@router.post("/renders/deconvolution/upload", response_model=RenderNumbers, responses=PNG_OR_JSON)
async def deconvolution_upload(
    state: State,
    request: Request,
    run: UploadRun,
    neurons: UploadNeurons,
    file: UploadFileField,
    target: UploadTarget = None,
    format: Format = "png",
) -> Response | RenderNumbers:
    """The DeconvNet projection of the selected neurons for an uploaded image."""
    render = await _uploaded(state, "deconvolution", request, run, neurons, target, file)
    return _answer(render, format)


@router.post("/selection", response_model=SelectionOut)
def selection(state: State, body: SelectionRequest) -> SelectionOut:
    """The smallest top-k-per-layer subgraph whose heatmap meets the MSE or SMAPE threshold,
    and the curve (k, neurons kept, MSE, SMAPE) over every k tried."""
    context = state.runs.run_model(body.run)
    image = state.runs.stored_image(context, body.image_id)
    result = state.renderer.selection_curve(
        context, image, body.target, ks=body.ks, metric=body.metric, threshold=body.threshold
    )
    chosen = None
    if result.chosen_neurons is not None:
        chosen = [
            store_ids.neuron_id(context.model_id, layer, index)
            for layer, indices in result.chosen_neurons.items()
            for index in indices
        ]
    return SelectionOut(
        run=body.run,
        image_id=body.image_id,
        metric=result.metric,
        threshold=result.threshold,
        points=[
            SelectionPointOut(k=p.k, neurons_kept=p.neurons_kept, mse=p.mse, smape=p.smape)
            for p in result.points
        ],
        chosen_k=result.chosen_k,
        chosen_neurons=chosen,
    )


def _reference(found: Reference) -> ReferenceOut:
    encoded = base64.b64encode(found.png).decode("ascii")
    return ReferenceOut(
        image=found.image,
        score=found.score,
        crop=found.crop,
        png=f"data:image/png;base64,{encoded}",
    )


def _of_class(
    state: ApiState, context: RunModel, run: str, class_id: str, neuron: str, k: int
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The top ``k`` images of one class by stored relevance and by activation."""
    info, stored = class_images(state.store, run=run, class_id=class_id, neuron=neuron, k=k)
    dataset = context.dataset
    ids = {
        store_ids.image_id(dataset.name, dataset.sample(item).image_id)
        for item in dataset.select(classes=[info.index])
    }
    everything = state.renderer.top_activations(context, neuron, len(dataset))
    active = [(image, score) for image, score in everything if image in ids][:k]
    return [(image.image, image.relevance) for image in stored], active


@router.get("/neurons/references", response_model=ReferencesOut)
def references(
    state: State,
    run: Annotated[str, Query(min_length=1)],
    neuron: Annotated[str, Query(min_length=1)],
    k: Annotated[int, Query(ge=1, le=16)] = 4,
    class_id: Annotated[
        str | None, Query(min_length=1, description="Only this class's images (default: all).")
    ] = None,
) -> ReferencesOut:
    """A neuron's top images by relevance (stored) and by activation (computed), each with the
    neuron's heatmap cropped around its peak; of one class's images when ``class_id`` is given."""
    detail = analysis.neuron_detail(state.store, run=run, neuron=neuron, k=k)
    neuron = detail.id
    context = state.runs.run_model(run)
    state.renderer.selection(context, [neuron])
    stored = [(image.image, image.relevance) for image in detail.images[:k]]
    active = state.renderer.top_activations(context, neuron, k)
    if class_id is not None:
        stored, active = _of_class(state, context, run, class_id, neuron, k)
    return ReferencesOut(
        run=run,
        neuron=neuron,
        by_relevance=[_reference(r) for r in state.renderer.references(context, neuron, stored)],
        by_activation=[_reference(r) for r in state.renderer.references(context, neuron, active)],
    )
