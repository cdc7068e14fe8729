#!/usr/bin/env bash
# Builds the Python stack that benchmarks/peft-check.sh runs PEFT with, into $PYSTACK (default
# /work/pystack; the check reads $PYSTACK/site). It needs, and this is why it is not part of the build:
#   - Debian 12 packages (apt-get, run as root): Debian's torch 1.13.1 and the pure-Python
#     dependencies, and cargo + the librust-* crates that build safetensors offline;
#   - source snapshots of five GitHub repositories at fixed commits: from $MIRROR/OWNER+NAME/repo
#     (bare git directories, as this project's sandbox provides them) when present, else cloned
#     from github.com.
# PyPI is not used (it was unreachable where this was made). Versions: PEFT 0.10.0 (raftj's
# adapter_config.json has use_dora, which PEFT accepts from 0.9 on), transformers 4.34.0.dev0 (a
# fork's snapshot of upstream at d8e13b3e0, the newest stored one that runs on torch 1.13),
# accelerate 0.25.0, huggingface_hub 0.17.3, safetensors 0.3.1 (its Rust extension built with
# Debian's cargo 0.66 and pyo3 0.17.3 instead of 0.18: the code needs no change).
set -euo pipefail
PYSTACK="${PYSTACK:-/work/pystack}"
MIRROR="${MIRROR:-/work/.mirror}"
PY=/usr/bin/python3
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q python3-torch python3-numpy python3-yaml python3-packaging python3-tqdm \
  python3-regex python3-requests python3-filelock python3-psutil python3-fsspec \
  python3-typing-extensions python3-setuptools-rust python3-pip \
  cargo librust-pyo3-dev librust-memmap2-dev librust-serde-json-dev librust-serde-derive-dev librust-serde-dev >/dev/null
# name  owner/repo  commit (tag)
SOURCES="peft huggingface/peft 8221246f2f48b665c853605e1d0ddaf1d0ce39c9 v0.10.0
transformers Llama2D/transformers d8e13b3e04da9e61c6f16df43815656f59688abd v4.34.dev.0
accelerate huggingface/accelerate d08c23c20975f39393b431143237c193733e7bb8 v0.25.0
huggingface_hub huggingface/huggingface_hub 3680414f0285903ba12eaed68c1d62931559017f v0.17.3
safetensors huggingface/safetensors 6debf40360e25ebe42c9e327821e227aa741ce38 v0.3.1"
rm -rf "$PYSTACK/src" "$PYSTACK/site" && mkdir -p "$PYSTACK/src" "$PYSTACK/site"
while read -r name repo commit _tag; do
  gitdir="$MIRROR/${repo/\//+}/repo"
  if [ ! -d "$gitdir" ]; then
    gitdir="$PYSTACK/git/$name.git"
    [ -d "$gitdir" ] || git clone -q --bare "https://github.com/$repo" "$gitdir"
  fi
  mkdir -p "$PYSTACK/src/$name"
  git --git-dir="$gitdir" archive "$commit" | tar -x -C "$PYSTACK/src/$name"
done <<< "$SOURCES"
# safetensors: the Rust extension from Debian's crates, offline.
ST="$PYSTACK/src/safetensors/bindings/python"
sed -i 's/pyo3 = { version = "0.18.1"/pyo3 = { version = "0.17"/' "$ST/Cargo.toml"
rm -f "$ST/Cargo.lock" && mkdir -p "$ST/.cargo"
cat > "$ST/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
TOML
pipi() { PATH=/usr/bin:$PATH "$PY" -m pip install -q --no-deps --no-build-isolation --no-index \
  --break-system-packages --target "$PYSTACK/site" "$1" 2>&1 | grep -v -e "^WARNING: Running pip as" -e "already exists" || true; }
pipi "$ST"
for name in huggingface_hub accelerate transformers peft; do pipi "$PYSTACK/src/$name"; done
PYTHONPATH="$PYSTACK/site" "$PY" -c "
import torch, safetensors.torch, transformers, peft, accelerate, huggingface_hub
print('torch', torch.__version__, '| safetensors', safetensors.__version__, '| transformers', transformers.__version__,
      '| peft', peft.__version__, '| accelerate', accelerate.__version__, '| huggingface_hub', huggingface_hub.__version__)"
