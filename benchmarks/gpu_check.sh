#!/usr/bin/env bash
# The GPU checks of the distribution issue, as one script for a CUDA machine.
#
# For each backend whose GPU build is installed (torch, JAX; TensorFlow when
# it sees a GPU): the device and distribution tests on CUDA, then the training
# benchmarks (benchmarks/run.py, kfacade against the native loop). Prints one
# table of test results, then the benchmark table. Threads pinned to
# KFACADE_GPU_CHECK_THREADS (default 4).
#
#   bash benchmarks/gpu_check.sh            # tests and benchmarks
#   bash benchmarks/gpu_check.sh --tests    # tests only
set -uo pipefail
cd "$(dirname "$0")/.."
threads="${KFACADE_GPU_CHECK_THREADS:-4}"
export OMP_NUM_THREADS="$threads" TF_CPP_MIN_LOG_LEVEL=3

backends=()
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null && backends+=(torch)
python -c "import jax, sys; sys.exit(0 if jax.default_backend() == 'gpu' else 1)" 2>/dev/null && backends+=(jax)
python -c "import tensorflow as tf, sys; sys.exit(0 if tf.config.list_physical_devices('GPU') else 1)" \
    2>/dev/null && backends+=(tensorflow)
if [ ${#backends[@]} -eq 0 ]; then
    echo "gpu_check: no backend sees a GPU here (torch.cuda, jax's gpu backend, TF GPUs)." >&2
    exit 1
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/GPU: /'

tests=(tests/test_devices.py tests/test_distribution.py tests/test_distribution_launch.py)
for file in tests/test_distribution_torch.py tests/test_distribution_tensorflow.py; do
    [ -f "$file" ] && tests+=("$file")
done

rows=()
status=0
for backend in "${backends[@]}"; do
    log="$(mktemp)"
    start=$SECONDS
    KERAS_BACKEND="$backend" python -m pytest -q -p no:cacheprovider "${tests[@]}" >"$log" 2>&1
    code=$?
    [ $code -ne 0 ] && status=1 && tail -n 40 "$log"
    rows+=("$(printf '%-11s %-60s %5ss' "$backend" "$(tail -n 1 "$log")" $((SECONDS - start)))")
done
echo
echo "device and distribution tests on CUDA (threads pinned: $threads)"
printf '%-11s %-60s %6s\n' backend result time
printf '%s\n' "${rows[@]}"

if [ "${1:-}" != "--tests" ]; then
    echo
    python benchmarks/run.py --threads "$threads" --backends "$(IFS=,; echo "${backends[*]}")"
fi
exit $status
