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
run ingest examples --collection demo
run collections stats demo
run search "how do I replace the mechanical seal" --collection demo -k 3
run search "空压机 排气温度过高 怎么处理" --collection demo -k 3
run search "某款手机续航如何" --collection demo -k 3
run search "bearing noise" --collection demo -k 3 --filter 'type = "csv" and downtime_hours >= 2'
run search "lockout tagout before maintenance" --collection demo -k 2 --json
