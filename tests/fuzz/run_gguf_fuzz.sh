#!/usr/bin/env bash
# Builds the GGUF reader's libFuzzer target with clang (AddressSanitizer + UBSan) and runs it for
# a few seconds on a seed corpus of small valid files. The main build uses GCC, so this compiles
# the handful of sources the reader needs by itself.
#   run_gguf_fuzz.sh OUT_DIR [SECONDS]
# Exit 77 (skipped) when clang or the libFuzzer runtime (Debian: libclang-rt-14-dev) is missing.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: run_gguf_fuzz.sh OUT_DIR [SECONDS]}
SECONDS_TO_RUN=${2:-15}
mkdir -p "$OUT"

CXX=""
for c in clang++ clang++-14 clang++-15 clang++-16; do
  if command -v "$c" >/dev/null 2>&1; then CXX=$c; break; fi
done
if [ -z "$CXX" ]; then
  echo "SKIP: clang++ not found (install clang and libclang-rt-14-dev)"
  exit 77
fi
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$OUT/probe.cpp"
if ! "$CXX" -fsanitize=fuzzer,address "$OUT/probe.cpp" -o "$OUT/probe" 2>"$OUT/probe.log"; then
  echo "SKIP: $CXX cannot link -fsanitize=fuzzer (the libFuzzer runtime, Debian libclang-rt-14-dev, is missing):"
  head -3 "$OUT/probe.log"
  exit 77
fi

ENGINE="$SRC/src/anvil/engine"
READER=("$ENGINE/gguf.cpp" "$ENGINE/gguf_value.cpp" "$ENGINE/ggml_type.cpp")
FLAGS=(-std=c++20 -g -O1 -I "$SRC/src")
# Rebuild only when a source changed.
stamp=$(cat "${READER[@]}" "$ENGINE/gguf.h" "$ENGINE/gguf_util.h" "$SRC/tests/fuzz/gguf_fuzz.cpp" | sha1sum | cut -c1-16)
if [ ! -x "$OUT/gguf_fuzz" ] || [ "$(cat "$OUT/gguf_fuzz.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "building $OUT/gguf_fuzz with $CXX"
  "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "$SRC/tests/fuzz/gguf_fuzz.cpp" "${READER[@]}" -lfmt -o "$OUT/gguf_fuzz"
  "$CXX" "${FLAGS[@]}" "$SRC/tests/fuzz/make_gguf_seeds.cpp" "$ENGINE/gguf_writer.cpp" "${READER[@]}" \
    -lfmt -o "$OUT/make_gguf_seeds"
  echo "$stamp" > "$OUT/gguf_fuzz.stamp"
fi

rm -rf "$OUT/seeds"
mkdir -p "$OUT/seeds" "$OUT/corpus"
"$OUT/make_gguf_seeds" "$OUT/seeds"
# The corpus grows across runs (new inputs that reached new code are kept in $OUT/corpus).
"$OUT/gguf_fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
  -dict="$SRC/tests/fuzz/gguf.dict" -artifact_prefix="$OUT/" -print_final_stats=1 \
  "$OUT/corpus" "$OUT/seeds" 2>"$OUT/fuzz.log" || {
  echo "FAIL: the fuzzer found a crash; the input is in $OUT/crash-* (reproduce: $OUT/gguf_fuzz FILE)"
  tail -40 "$OUT/fuzz.log"
  exit 1
}
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$OUT/fuzz.log" || true
echo "gguf fuzz: no crash in ${SECONDS_TO_RUN} s; corpus $(ls "$OUT/corpus" | wc -l) inputs"
