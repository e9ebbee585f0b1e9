#!/bin/sh
# Copy the demo runs' final sample grids into docs/training/ and the shapes generator into assets/.
# Run after: gan-segmenter train-gan --config tools/train/shapes-gan.yaml (and horse-gan.yaml, horse-stylegan2.yaml,
# shapes-stylegan2.yaml).
set -e
cd "$(dirname "$0")/../.."
latest() { ls "$1"/samples/step-*.png | sort | tail -1; }
[ -d out/train/shapes-gan-32 ] && cp "$(latest out/train/shapes-gan-32)" docs/training/shapes-gan-32.png \
  && cp out/train/shapes-gan-32/generator.safetensors assets/dcgan-shapes-32.safetensors
[ -d out/train/horse-gan-64 ] && cp "$(latest out/train/horse-gan-64)" docs/training/horse-gan-64.png
[ -d out/train/horse-stylegan2-64 ] && cp "$(latest out/train/horse-stylegan2-64)" docs/training/horse-stylegan2-64.png \
  && cp out/train/horse-stylegan2-64/generator.safetensors assets/stylegan2-horse-64.safetensors
[ -d out/train/shapes-stylegan2-32 ] && cp "$(latest out/train/shapes-stylegan2-32)" docs/training/shapes-stylegan2-32.png \
  && cp out/train/shapes-stylegan2-32/generator.safetensors assets/stylegan2-shapes-32.safetensors
ls -la docs/training assets
