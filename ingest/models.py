"""Models the engine explains: torchvision VGGs and ResNets and a small VGG-style CNN, with weights.

Weights never come from the network. ``imagenet`` uses torchvision's file when it is already in the
torch hub cache (``$TORCH_HOME/hub/checkpoints``), a path loads a state dict or checkpoint, and
``none`` gives seeded random weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image
from torch import nn

from relex.ingest.errors import RelexError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CHECKPOINT_FORMAT = "relevance-explorer/1"


@dataclass(frozen=True)
class Preprocessing:
    """How an image file becomes the model's input tensor (the model's documented transform)."""

    size: int
    crop: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    grayscale: bool = False

    @property
    def channels(self) -> int:
        return 1 if self.grayscale else 3

    def __call__(self, image: Image.Image) -> torch.Tensor:
        image = image.convert("L" if self.grayscale else "RGB")
        resized = TF.resize(TF.pil_to_tensor(image), [self.size], antialias=True)
        if self.size != self.crop or resized.shape[-1] != resized.shape[-2]:
            resized = TF.center_crop(resized, [self.crop])
        return self.normalise(resized.float() / 255.0)

    def normalise(self, pixels: torch.Tensor) -> torch.Tensor:
        """Map pixel values in [0, 1] (shape ``(..., C, H, W)``) to the model's input space."""
        mean = torch.tensor(self.mean, dtype=pixels.dtype, device=pixels.device).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=pixels.dtype, device=pixels.device).view(-1, 1, 1)
        return (pixels - mean) / std

    def denormalise(self, inputs: torch.Tensor) -> torch.Tensor:
        """Invert :meth:`normalise`: model inputs back to pixel values in [0, 1]."""
        mean = torch.tensor(self.mean, dtype=inputs.dtype, device=inputs.device).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=inputs.dtype, device=inputs.device).view(-1, 1, 1)
        return (inputs * std + mean).clamp(0.0, 1.0)

    def bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Lowest and highest possible input values per channel, shape ``(1, C, 1, 1)``."""
        low = self.normalise(torch.zeros(self.channels, 1, 1))
        high = self.normalise(torch.ones(self.channels, 1, 1))
        return low.unsqueeze(0), high.unsqueeze(0)

    def describe(self) -> str:
        mode = "grayscale" if self.grayscale else "RGB"
        return (
            f"{mode}; resize shorter side to {self.size} (bilinear, antialiased); "
            f"centre crop {self.crop}x{self.crop}; scale to [0, 1]; "
            f"normalise with mean={self.mean} std={self.std}"
        )


def small_cnn(in_channels: int, image_size: int, num_classes: int) -> nn.Sequential:
    """A VGG-style CNN for small images (28x28 grey, 64x64 colour): 3x3 convs, pools, 2 FCs."""
    widths = (16, 32) if image_size <= 32 else (16, 32, 64)
    layers: list[nn.Module] = []
    channels = in_channels
    for width in widths:
        layers += [
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]
        channels = width
    side = image_size // 2 ** len(widths)
    layers += [
        nn.Flatten(),
        nn.Linear(channels * side * side, 128),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(128, num_classes),
    ]
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class Architecture:
    """A model we know how to build, with its input format and default number of classes."""

    name: str
    build: Callable[[int], nn.Module]
    preprocessing: Preprocessing
    num_classes: int
    torchvision_weights: torchvision.models.WeightsEnum | None = None
    newer_weights: tuple[torchvision.models.WeightsEnum, ...] = ()
    """Other ImageNet weights of torchvision's, used when only their file is on disk."""


_VGG_PREPROCESSING = Preprocessing(size=256, crop=224, mean=IMAGENET_MEAN, std=IMAGENET_STD)
_SMALL_MEAN_STD = {"mean": (0.5,), "std": (0.5,)}


def _torchvision(name: str) -> Callable[[int], nn.Module]:
    factory = getattr(torchvision.models, name)
    return lambda num_classes: factory(weights=None, num_classes=num_classes)


ARCHITECTURES: dict[str, Architecture] = {
    **{
        name: Architecture(
            name=name,
            build=_torchvision(name),
            preprocessing=_VGG_PREPROCESSING,
            num_classes=1000,
            torchvision_weights=torchvision.models.get_model_weights(name).IMAGENET1K_V1,
        )
        for name in ("vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg16_bn", "vgg19_bn")
    },
    **{
        name: Architecture(
            name=name,
            build=_torchvision(name),
            preprocessing=_VGG_PREPROCESSING,
            num_classes=1000,
            torchvision_weights=torchvision.models.get_model_weights(name).IMAGENET1K_V1,
            newer_weights=tuple(
                weights
                for weights in torchvision.models.get_model_weights(name)
                if weights.name != "IMAGENET1K_V1"
            ),
        )
        for name in ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
    },
    "smallcnn28": Architecture(
        name="smallcnn28",
        build=lambda num_classes: small_cnn(1, 28, num_classes),
        preprocessing=Preprocessing(size=28, crop=28, grayscale=True, **_SMALL_MEAN_STD),
        num_classes=10,
    ),
    "smallcnn64": Architecture(
        name="smallcnn64",
        build=lambda num_classes: small_cnn(3, 64, num_classes),
        preprocessing=Preprocessing(size=64, crop=64, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
        num_classes=10,
    ),
}


@dataclass(frozen=True)
class LoadedModel:
    """A model in eval mode with everything needed to feed and label it."""

    name: str
    module: nn.Module
    preprocessing: Preprocessing
    class_names: tuple[str, ...]
    weights: str
    weights_sha256: str | None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def architecture(name: str) -> Architecture:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        known = ", ".join(sorted(ARCHITECTURES))
        raise RelexError(f"unknown model {name!r}; known models: {known}") from None


def imagenet_weights_path(arch: Architecture) -> Path:
    """Where torchvision keeps the ImageNet weights file of ``arch`` once downloaded: the first
    of its weights (``IMAGENET1K_V1``, then newer ones) whose file is there, else the first's."""
    if arch.torchvision_weights is None:
        raise RelexError(f"model {arch.name!r} has no ImageNet weights; use a file or 'none'")
    paths = [_cached(weights) for weights in (arch.torchvision_weights, *arch.newer_weights)]
    return next((path for path in paths if path.is_file()), paths[0])


def _cached(weights: torchvision.models.WeightsEnum) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / weights.url.rsplit("/", 1)[-1]


def _preprocessing_of(arch: Architecture, path: Path) -> Preprocessing:
    """The documented transform of the torchvision weights stored at ``path``."""
    for weights in arch.newer_weights:
        if _cached(weights) == path:
            keywords = getattr(weights.transforms, "keywords", {})
            return Preprocessing(
                size=int(keywords.get("resize_size", arch.preprocessing.size)),
                crop=int(keywords.get("crop_size", arch.preprocessing.crop)),
                mean=arch.preprocessing.mean,
                std=arch.preprocessing.std,
            )
    return arch.preprocessing


def load_model(name: str, weights: str = "none", *, seed: int = 0) -> LoadedModel:
    """Build model ``name`` with ``weights``: ``imagenet``, ``none`` (seeded random) or a path."""
    arch = architecture(name)
    if weights == "none":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = arch.build(arch.num_classes)
        names = _default_class_names(arch, arch.num_classes)
        return _loaded(arch, module, names, f"random (seed {seed})", None)
    if weights == "imagenet":
        path = imagenet_weights_path(arch)
        if not path.is_file():
            assert arch.torchvision_weights is not None
            raise RelexError(
                f"ImageNet weights for {name} are not on this machine. Put {path.name} "
                f"(from {arch.torchvision_weights.url}) into {path.parent} "
                "(set TORCH_HOME to use another cache folder), or pass --weights PATH"
            )
        state, stored_names = _read_checkpoint(path, arch)
        loaded = _from_state(arch, state, stored_names, "imagenet", path)
        return replace(loaded, preprocessing=_preprocessing_of(arch, path))
    path = Path(weights)
    if not path.is_file():
        raise RelexError(f"weights file {weights} does not exist (or use 'imagenet' or 'none')")
    state, stored_names = _read_checkpoint(path, arch)
    return _from_state(arch, state, stored_names, str(path), path)


def save_checkpoint(
    path: Path, *, name: str, module: nn.Module, class_names: tuple[str, ...]
) -> None:
    """Write a checkpoint that :func:`load_model` reads back with its class names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model": name,
        "classes": list(class_names),
        "state_dict": module.state_dict(),
    }
    torch.save(payload, path)


def _read_checkpoint(
    path: Path, arch: Architecture
) -> tuple[Mapping[str, torch.Tensor], tuple[str, ...] | None]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise RelexError(f"weights file {path} is not a readable torch file: {error}") from None
    if not isinstance(payload, Mapping):
        raise RelexError(f"weights file {path} holds no state dict")
    names: tuple[str, ...] | None = None
    if payload.get("format") == CHECKPOINT_FORMAT:
        if payload.get("model") != arch.name:
            raise RelexError(
                f"weights file {path} is for model {payload.get('model')!r}, not {arch.name!r}"
            )
        names = tuple(payload["classes"])
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(payload.get(key), Mapping):
            payload = payload[key]
            break
    if not all(isinstance(value, torch.Tensor) for value in payload.values()):
        raise RelexError(f"weights file {path} holds no state dict of tensors")
    return payload, names


def _from_state(
    arch: Architecture,
    state: Mapping[str, torch.Tensor],
    names: tuple[str, ...] | None,
    description: str,
    path: Path,
) -> LoadedModel:
    num_classes = _num_classes_of(state) or arch.num_classes
    module = arch.build(num_classes)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [
        f"{key} {tuple(state[key].shape)} != {tuple(expected[key].shape)}"
        for key in set(expected) & set(state)
        if state[key].shape != expected[key].shape
    ]
    if missing or unexpected or mismatched:
        details = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing[:4])}" if missing else "",
                f"unexpected {', '.join(unexpected[:4])}" if unexpected else "",
                f"shape {', '.join(sorted(mismatched)[:4])}" if mismatched else "",
            )
            if part
        )
        raise RelexError(f"weights file {path} does not fit model {arch.name}: {details}")
    module.load_state_dict(state)
    if names is not None and len(names) != num_classes:
        raise RelexError(
            f"weights file {path} names {len(names)} classes for {num_classes} outputs"
        )
    return _loaded(
        arch,
        module,
        names or _default_class_names(arch, num_classes),
        description,
        _sha256(path),
    )


def _num_classes_of(state: Mapping[str, Any]) -> int | None:
    """The output size of the last linear layer in a state dict, if there is one."""
    weights = [key for key, value in state.items() if key.endswith("weight") and value.ndim == 2]
    return int(state[weights[-1]].shape[0]) if weights else None


def _default_class_names(arch: Architecture, num_classes: int) -> tuple[str, ...]:
    if arch.torchvision_weights is not None and num_classes == arch.num_classes:
        return tuple(arch.torchvision_weights.meta["categories"])
    return tuple(f"class_{index}" for index in range(num_classes))


def _loaded(
    arch: Architecture,
    module: nn.Module,
    names: tuple[str, ...],
    description: str,
    sha256: str | None,
) -> LoadedModel:
    return LoadedModel(
        name=arch.name,
        module=module.eval(),
        preprocessing=arch.preprocessing,
        class_names=names,
        weights=description,
        weights_sha256=sha256,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
