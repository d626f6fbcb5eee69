#!/usr/bin/env bash
# The one list of Anvil's system dependencies (Debian 12). Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang python3
  # libFuzzer and sanitizer runtimes for clang (tests/fuzz)
  libclang-rt-14-dev
  # foundation: core and text
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libicu-dev libpcre2-dev libstemmer-dev python3-jieba
  # knowledge base: storage and document loaders
  libsqlite3-dev sqlite3 libpoppler-cpp-dev libgumbo-dev libmd4c-dev libzip-dev libpugixml-dev
  # numerics and vector search
  libopenblas-dev libhnswlib-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # test oracles: the PyTorch reference models (tests/engine/reference/) and NumPy quant oracles;
  # SentencePiece for the unigram tokenizer (tests/engine/reference/spm_oracle.py)
  python3-torch python3-numpy python3-sentencepiece
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# node >= 18 and npm for the openai SDK tests (tests/sdk). Judged by the commands, not by
# Debian's package names: a node from elsewhere (nodesource bundles npm) is kept as it is.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

check_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 18 ]; then
    echo "install-deps: the SDK tests need node >= 18, found $(node --version) at $(command -v node)" >&2
    exit 1
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  check_node
  echo "install-deps: all ${#packages[@]} packages present, node $(node --version), npm $(npm --version)"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
check_node
