#!/usr/bin/env bash
# `make demo`: ingest the bilingual example documents and run a few searches, as a user would.
set -euo pipefail
anvil=${1:-build/src/anvil}
data=${2:-build/demo-data}
cd "$(dirname "$0")/.."

run() {
  printf '\n$ anvil %s\n' "$*"
  "$anvil" --data-dir "$data" "$@"
}

rm -rf "$data"
run ingest examples/docs --collection demo
run collections stats demo
run search "How often should the mechanical seal of the P-200 be replaced?" --collection demo -k 3
run search "空压机排气温度过高怎么办？" --collection demo -k 3
run search "星耀 X5 手机续航如何？" --collection demo -k 3
run search "bearing replaced" --collection demo -k 3 --filter 'type = "csv" and downtime_hours >= 2'
run search "lockout tagout steps before maintenance" --collection demo -k 2
