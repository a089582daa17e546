#!/usr/bin/env bash
# Assembles the kernel source's PTX for a GPU architecture with NVIDIA's ptxas and prints each kernel's registers,
# stack frame and spills (the table in docs/kernels.md, "Status"). The PTX is the one `shardcast capabilities
# --verify` compiles with NVRTC and leaves in ~/.cache/shardcast/cuda; ptxas is taken from the PATH, or from
# Debian's nvidia-cuda-toolkit package (non-free, as .ci/run configures it), downloaded and unpacked into a
# temporary folder, not installed. No GPU is needed.
#
#   tools/ptxas.sh [sm_90] [FILE.ptx]
set -euo pipefail
arch="${1:-sm_90}"
ptx="${2:-$(ls -t "$HOME"/.cache/shardcast/cuda/*-compute_"${arch#sm_}".ptx 2> /dev/null | head -1)}"
[ -n "$ptx" ] && [ -f "$ptx" ] || { echo "no PTX for $arch: run 'shardcast capabilities --verify' where NVRTC is installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ptxas=$(command -v ptxas || true)
if [ -z "$ptxas" ]; then
  (cd "$tmp" && apt-get download nvidia-cuda-toolkit > /dev/null 2>&1) || { echo "no ptxas on the PATH, and apt-get could not download nvidia-cuda-toolkit (non-free)" >&2; exit 2; }
  dpkg -x "$tmp"/nvidia-cuda-toolkit_*.deb "$tmp/toolkit"
  ptxas="$tmp/toolkit/usr/bin/ptxas"
fi
echo "$("$ptxas" --version | tail -1); $ptx for $arch"
"$ptxas" -arch="$arch" -v "$ptx" -o "$tmp/kernels.cubin" 2>&1 | awk '
  /Compiling entry function/ { split($0, q, "'\''"); kernel = q[2] }
  /Function properties for/ { current = $NF }
  /bytes stack frame/ { if (current == kernel) { stack = $1; spills = $5 + $9 } }
  /Used [0-9]+ registers/ { for (i = 1; i <= NF; i++) if ($i == "Used") registers = $(i + 1);
                            printf "%-26s %4d registers  %5d B stack frame  %d B spilled\n", kernel, registers, stack, spills }'
