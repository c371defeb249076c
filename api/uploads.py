"""Uploaded image bytes decoded and preprocessed for a run's model."""

from __future__ import annotations

import hashlib

from relex.api.errors import UploadError
from relex.api.runs import ImageInput, RunModel
from relex.ingest.images import ImageTooLargeError, UnreadableImageError, decode_image


def uploaded_image(context: RunModel, data: bytes) -> ImageInput:
    """Uploaded image bytes, preprocessed for the run's model; UploadError if not an image
    (422) or over the pixel limit (413, checked before decoding)."""
    try:
        image = decode_image(data, name="the upload")
    except ImageTooLargeError as exc:
        raise UploadError(str(exc), 413) from None
    except UnreadableImageError as exc:
        raise UploadError(
            f"the upload is not an image this server can read ({exc.reason})", 422
        ) from None
    tensor = context.loaded.preprocessing(image)[None]
    return ImageInput(tensor, "upload:" + hashlib.sha256(data).hexdigest())
