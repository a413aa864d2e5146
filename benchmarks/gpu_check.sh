#!/usr/bin/env bash
# The GPU checks, as one script for a lent CUDA machine (no network there).
#
# On this (networked) machine first, once:
#   bash benchmarks/gpu_check.sh --prepare   # wheels the GPU image lacks -> .gpu_wheels/
# then on the GPU machine, carrying .gpu_wheels (git-ignored: name it in the device
# tool's `carry`), as one command with timeout_s=600:
#   bash benchmarks/gpu_check.sh             # tests, then benchmarks (about 9 minutes)
#   bash benchmarks/gpu_check.sh --tests     # tests only
#   bash benchmarks/gpu_check.sh --bench     # benchmarks only
#
# There it installs kfacade (editable, no dependencies, no build isolation) and
# the carried wheels offline, then for each backend whose GPU build is installed
# (torch, JAX; TensorFlow when it sees a GPU): the device and distribution tests
# and the benchmark harness's checks (float32 and mixed policies against native
# AMP) on CUDA; then benchmarks/run.py --device gpu --size gpu in float32,
# mixed_bfloat16 (KFACADE_GPU_CHECK_POLICIES adds mixed_float16). Each phase has a time limit (seconds,
# KFACADE_GPU_CHECK_TESTS_S and KFACADE_GPU_CHECK_BENCH_S) so that what finished
# comes back within one 10-minute device command. Results go to $OUT (the device
# tool's output folder) when set, else to benchmarks/results/gpu/: tests.txt and
# one Markdown and JSON table per policy. Threads pinned to
# KFACADE_GPU_CHECK_THREADS (default 4).
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$(command -v python3 || command -v python)}"
wheels=.gpu_wheels

if [ "${1:-}" = "--prepare" ]; then
    # The GPU image has torch, JAX, numpy, h5py, pytest, matplotlib, rich, absl-py and
    # ml-dtypes (../.library/device/KINDS.md), not optree (kfacade needs it). Keras 3's
    # column (keras, namex) only with KFACADE_GPU_KERAS3=1: a third side costs a third
    # more device time. Its Python: KFACADE_GPU_PYTHON (3.12).
    packages=(optree)
    [ "${KFACADE_GPU_KERAS3:-0}" = 1 ] && packages+=(keras namex)
    mkdir -p "$wheels"
    "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$wheels" \
        --python-version "${KFACADE_GPU_PYTHON:-3.12}" --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
        "${packages[@]}" || exit 1
    ls "$wheels"
    exit 0
fi

threads="${KFACADE_GPU_CHECK_THREADS:-4}"
tests_limit="${KFACADE_GPU_CHECK_TESTS_S:-150}"
bench_limit="${KFACADE_GPU_CHECK_BENCH_S:-390}"
out="${OUT:-benchmarks/results/gpu}"
mkdir -p "$out"
export OMP_NUM_THREADS="$threads" TF_CPP_MIN_LOG_LEVEL=3 PIP_DISABLE_PIP_VERSION_CHECK=1

# Offline installs: the carried wheels, then kfacade itself (its entry points name the adapters).
if [ -d "$wheels" ]; then
    "$PY" -m pip install -q --no-index --no-deps "$wheels"/*.whl
elif ! "$PY" -c "import optree" 2>/dev/null; then
    echo "gpu_check: optree is missing and no $wheels/ was carried (run --prepare here first)" >&2
    exit 1
fi
if ! "$PY" -c "import kfacade.backends" 2>/dev/null; then
    "$PY" -m pip install -q --no-deps --no-build-isolation -e . || exit 1
fi

backends=()
"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null && backends+=(torch)
"$PY" -c "import jax, sys; sys.exit(0 if jax.default_backend() == 'gpu' else 1)" 2>/dev/null && backends+=(jax)
"$PY" -c "import tensorflow as tf, sys; sys.exit(0 if tf.config.list_physical_devices('GPU') else 1)" \
    2>/dev/null && backends+=(tensorflow)
if [ ${#backends[@]} -eq 0 ]; then
    echo "gpu_check: no backend sees a GPU here (torch.cuda, jax's gpu backend, TF GPUs)." >&2
    exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
    | sed 's/^/GPU: /' | tee "$out/tests.txt"

status=0
if [ "${1:-}" != "--bench" ]; then
    tests=(tests/test_devices.py tests/test_distribution.py tests/test_distribution_launch.py
           tests/test_benchmark_harness.py)
    for file in tests/test_distribution_torch.py tests/test_distribution_tensorflow.py; do
        [ -f "$file" ] && tests+=("$file")
    done
    # The backends share the tests' time limit.
    per_backend=$((tests_limit / ${#backends[@]}))
    rows=()
    for backend in "${backends[@]}"; do
        log="$(mktemp)"
        start=$SECONDS
        KERAS_BACKEND="$backend" XLA_PYTHON_CLIENT_PREALLOCATE=false timeout "$per_backend" \
            "$PY" -m pytest -q -p no:cacheprovider "${tests[@]}" >"$log" 2>&1
        code=$?
        [ $code -ne 0 ] && status=1 && tail -n 40 "$log" | tee -a "$out/tests.txt"
        [ $code -eq 124 ] && echo "$backend: stopped at the ${per_backend} s limit" | tee -a "$out/tests.txt"
        rows+=("$(printf '%-11s %-60s %5ss' "$backend" "$(tail -n 1 "$log")" $((SECONDS - start)))")
    done
    {
        echo
        echo "device, distribution and benchmark-harness tests on CUDA (threads pinned: $threads)"
        printf '%-11s %-60s %6s\n' backend result time
        printf '%s\n' "${rows[@]}"
    } | tee -a "$out/tests.txt"
fi

if [ "${1:-}" != "--tests" ]; then
    # float32 first: the issue's table; then native AMP against kfacade's mixed policies.
    # A run stopped at its limit still leaves the backends it finished (run.py writes
    # after each).
    read -r -a policies <<< "${KFACADE_GPU_CHECK_POLICIES:-float32 mixed_bfloat16}"
    per_policy=$((bench_limit / ${#policies[@]}))
    for policy in "${policies[@]}"; do
        dir="$(mktemp -d)"
        timeout "$per_policy" "$PY" benchmarks/run.py --device gpu --size gpu --threads "$threads" \
            --policy "$policy" --backends "$(IFS=,; echo "${backends[*]}")" --out "$dir" \
            >"$dir/log.txt" 2>&1
        code=$?
        if [ -f "$dir/latest.md" ]; then
            cp "$dir/latest.md" "$out/$policy.md"
            cp "$dir/latest.json" "$out/$policy.json"
            cat "$dir/latest.md"
        else
            status=1
            echo "benchmarks, $policy: no table (exit $code$([ $code -eq 124 ] && echo ", over ${per_policy} s"))"
            tail -n 30 "$dir/log.txt"
        fi
    done
fi
exit $status
