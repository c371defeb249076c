#!/usr/bin/env bash
# The main job: set up the environment, then explain real photographs (shipped inside
# scikit-image, so nothing is downloaded) with VGG16 and EpsilonGammaBox LRP.
# ImageNet weights are used when they are in the torch hub cache; otherwise random weights
# (the heatmaps then show the machinery, not what a trained network sees).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source .venv/bin/activate
out=out/demo
mkdir -p "$out/photos"
python - "$out/photos" <<'PY'
import sys
from pathlib import Path

from PIL import Image
from skimage import data

for name in ("chelsea", "coffee", "astronaut", "rocket"):
    Image.fromarray(getattr(data, name)()).save(Path(sys.argv[1]) / f"{name}.png")
PY
weights=$(python -c "from ingest.models import architecture, imagenet_weights_path as p; print('imagenet' if p(architecture('vgg16')).is_file() else 'none')")
echo "VGG16 weights: $weights"
relex explain "$out"/photos/*.png --model vgg16 --weights "$weights" --method epsilon_gamma_box --out "$out"
echo "heatmaps written to $out/"
