#!/usr/bin/env bash
# The GPU verification of docs/kernels.md ("On a GPU machine"), in parts of one device call each, because the GPU
# machines have no .NET and a carried tree is limited to 64 MiB (one self-contained build is ~40 MB):
#
#   here:     bench/gpu.sh stage conformance   # .gpu/conformance/Shardcast.Conformance: the test suite as a program
#   there:    bash bench/gpu.sh conformance    # carry [".gpu"]; the CUDA conformance tests, required to run and pass
#   here:     bench/gpu.sh stage cli      # .gpu/shardcast, single-file and self-contained (.gpu/ is git-ignored)
#   there:    bash bench/gpu.sh verify    # carry [".gpu"]; writes its logs to $OUT (or bench/results/gpu)
#   there:    bash bench/gpu.sh large     # the same carry: 1M/10k/12/4 plans on cuda, 10 s and 300 s
#   here:     bench/gpu.sh stage bench    # .gpu/bench/Shardcast.Bench, in place of the CLI
#   there:    bash bench/gpu.sh bench     # the backends' throughput and time to quality
#
# conformance: the engine tests' CUDA suite (batch costs against the double reference term by term, annealing and the
# genetic search against managed, constraints, determinism, a large cluster, degenerate problems, NVRTC and the
# driver's bindings, naming cuda), with SHARDCAST_REQUIRE_CUDA=1 so that a skip fails: first, about 3 minutes.
# verify: the device report, `capabilities --verify` (batch costs against the double reference, annealing against
# managed from the same seed), plans of a generated 100k/1000/12/4 cluster on cuda and managed, and ROADEF set A at
# 10 s on cuda: about 6 minutes. large: about 7. Each part prints as it goes; each fits one 10-minute device call.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench/results/gpu}"
mkdir -p "$out"

publish() {
  dotnet publish "$1" -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true \
    -p:EnableCompressionInSingleFile=true -p:DebugType=none -o "$2"
}

log() { echo "== $*" | tee -a "$out/gpu.log"; }

case "${1:-}" in
  stage)
    rm -rf .gpu
    case "${2:-}" in
      cli) publish host/Shardcast.Host .gpu ;;
      bench) publish bench/Shardcast.Bench .gpu/bench ;;
      conformance) publish tests/Shardcast.Conformance .gpu/conformance ;;
      *) echo "usage: bench/gpu.sh stage cli|bench|conformance" >&2; exit 2 ;;
    esac
    du -sh .gpu
    ;;
  conformance)
    runner=.gpu/conformance/Shardcast.Conformance
    [ -x "$runner" ] || { echo "no $runner: run 'bench/gpu.sh stage conformance' where .NET is, and carry .gpu" >&2; exit 2; }
    log "device"; (nvidia-smi -L || true) 2>&1 | tee -a "$out/gpu.log"
    log "conformance (SHARDCAST_REQUIRE_CUDA=1)"
    SHARDCAST_REQUIRE_CUDA=1 SHARDCAST_REQUIRE_NVRTC=1 SHARDCAST_REQUIRE_CUDA_DRIVER=1 "$runner" \
      CudaConformanceTests CudaDriverBindingTests NvrtcCompileTests 2>&1 | tee -a "$out/gpu.log" "$out/conformance.log"
    ;;
  verify)
    shardcast=.gpu/shardcast
    [ -x "$shardcast" ] || { echo "no $shardcast: run 'bench/gpu.sh stage cli' where .NET is, and carry .gpu" >&2; exit 2; }
    log "device"; (nvidia-smi -L || true) 2>&1 | tee -a "$out/gpu.log"
    log "capabilities"; "$shardcast" capabilities 2>&1 | tee -a "$out/gpu.log"
    "$shardcast" capabilities --json > "$out/capabilities.json" || true
    log "capabilities --verify"; "$shardcast" capabilities --verify 2>&1 | tee -a "$out/gpu.log" || echo "VERIFY FAILED" | tee -a "$out/gpu.log"
    tmp=$(mktemp -d)
    "$shardcast" generate --partitions 100000 --nodes 1000 --horizon 12 --resources 4 --seed 1 --output "$tmp/c100k.json"
    for backend in cuda managed; do
      for ms in 1000 2000 5000 60000; do
        log "plan 100k/1000/12/4 --backend $backend --time-ms $ms"
        "$shardcast" plan --input "$tmp/c100k.json" --backend "$backend" --time-ms "$ms" --seed 1 --no-scaling-advice \
          --output "$tmp/plan.json" 2>&1 | grep -E '^Plan for|^backend|^peak' | tee -a "$out/gpu.log" || true
        python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print('cost', p['cost_after']['total'], 'backend', p['backend'], p.get('backend_fallback', ''))" "$tmp/plan.json" | tee -a "$out/gpu.log" || true
      done
    done
    for i in a1_1 a1_2 a1_3 a1_4 a1_5 a2_1 a2_2 a2_3 a2_4 a2_5; do
      log "roadef $i --backend cuda --time-s 10"
      "$shardcast" roadef --model "data/roadef2012/A/model_$i.txt" --initial "data/roadef2012/A/assignment_$i.txt" \
        --output "$tmp/sol.txt" --time-s 10 --lb "data/roadef2012/A/lb_$i.txt" --seed 1 --backend cuda 2>&1 \
        | grep -E '^objective|feasible|backend' | tee -a "$out/gpu.log" || true
    done
    rm -rf "$tmp"
    ;;
  large)
    shardcast=.gpu/shardcast
    [ -x "$shardcast" ] || { echo "no $shardcast: run 'bench/gpu.sh stage cli' where .NET is, and carry .gpu" >&2; exit 2; }
    tmp=$(mktemp -d)
    "$shardcast" generate --partitions 1000000 --nodes 10000 --horizon 12 --resources 4 --seed 1 --output "$tmp/c1m.json"
    for ms in 10000 300000; do
      log "plan 1M/10k/12/4 --backend cuda --time-ms $ms"
      "$shardcast" plan --input "$tmp/c1m.json" --backend cuda --time-ms "$ms" --seed 1 --no-scaling-advice \
        --output "$tmp/plan.json" 2>&1 | grep -E '^Plan for|^backend|^peak' | tee -a "$out/gpu.log" || true
      python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print('cost', p['cost_after']['total'], 'backend', p['backend'], p.get('backend_fallback', ''))" "$tmp/plan.json" | tee -a "$out/gpu.log" || true
    done
    rm -rf "$tmp"
    ;;
  bench)
    bench=.gpu/bench/Shardcast.Bench
    [ -x "$bench" ] || { echo "no $bench: run 'bench/gpu.sh stage bench' where .NET is, and carry .gpu" >&2; exit 2; }
    log "backends 10k/100/12/2 100k/1000/12/4 --quality"; "$bench" backends 10k/100/12/2 100k/1000/12/4 --seconds 3 --quality 2>&1 | tee -a "$out/gpu.log"
    log "backends 1000k/10k/12/4"; "$bench" backends 1000k/10k/12/4 --seconds 5 2>&1 | tee -a "$out/gpu.log"
    log "device-memory"; "$bench" device-memory 2>&1 | tee -a "$out/gpu.log"
    ;;
  *)
    sed -n 2,14p "$0" >&2
    exit 2
    ;;
esac
