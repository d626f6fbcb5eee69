#!/usr/bin/env bash
# The README's journey: ingest the bilingual examples, search in English and Chinese, filter,
# re-ingest idempotently, sync a deletion, and get clear errors for bad input.
source "$(dirname "$0")/lib.sh"
SRC=${ANVIL_SOURCE_DIR:-$(pwd)}

out=$(anvil version)
expect_contains "$out" "anvil " "version"

cp -r "$SRC/examples" "$WORK/docs"
out=$(anvil ingest "$WORK/docs" --collection demo 2>&1)
expect_contains "$out" "0 failed" "ingest summary"

out=$(anvil collections list)
expect_contains "$out" "demo" "collections list"
docs1=$(anvil collections stats demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])')
[ "$docs1" -gt 10 ] || fail "expected more than 10 documents, found $docs1"

out=$(anvil search "mechanical seal replacement" --collection demo -k 3)
expect_contains "$out" " 1. " "english search ranks results"
out=$(anvil search "排气温度过高" --collection demo -k 3 --json)
n=$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" -ge 1 ] || fail "chinese search found nothing"

# Filters: only CSV rows come back.
out=$(anvil search "pump" --collection demo -k 20 --json --filter 'type = "csv"')
types=$(printf '%s' "$out" | python3 -c 'import json,sys; print(sorted({h["type"] for h in json.load(sys.stdin)}))')
expect_eq "$types" "['csv']" "filter by type"
err=$(expect_failure anvil search "pump" --collection demo --filter 'downtime_hours >=')
expect_contains "$err" "filter: expected a value" "malformed filter"

# Idempotent re-ingest, then --sync after a deletion.
out=$(anvil ingest "$WORK/docs" --collection demo 2>&1)
expect_contains "$out" "unchanged" "re-ingest"
docs2=$(anvil collections stats demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])')
expect_eq "$docs2" "$docs1" "re-ingest adds no documents"
rm "$(ls "$WORK"/docs/docs/*.html | head -1)"
out=$(anvil ingest "$WORK/docs" --collection demo --sync 2>&1)
expect_contains "$out" "removed" "sync removes a deleted file"

# Bad input: each named, the rest ingested, the exit status says something failed.
printf '' > "$WORK/empty.txt"
printf 'caf\xc3' > "$WORK/bad.txt"
printf '%%PDF-1.4 garbage' > "$WORK/broken.pdf"
printf 'hello pumps\n' > "$WORK/good.txt"
if out=$(anvil ingest "$WORK/empty.txt" "$WORK/bad.txt" "$WORK/broken.pdf" "$WORK/good.txt" "$WORK/nope.md" --collection bad 2>&1); then
  fail "ingest of bad files must exit non-zero"
fi
expect_contains "$out" "empty.txt" "empty file named"
expect_contains "$out" "bad.txt" "invalid utf-8 named"
expect_contains "$out" "broken.pdf" "corrupt pdf named"
expect_contains "$out" "nope.md" "missing file named"
out=$(anvil search "pumps" --collection bad)
expect_contains "$out" "good.txt" "good file ingested despite bad ones"

err=$(expect_failure anvil search "x" --collection missing)
expect_contains "$err" "collection 'missing' does not exist" "unknown collection"

# Settings: environment and flags layer over anvil.toml; unknown keys are errors naming the key.
printf '[bm25]\nk3 = 1\n' > "$WORK/anvil.toml"
err=$(expect_failure anvil --config "$WORK/anvil.toml" collections list)
expect_contains "$err" "k3" "unknown config key named"
out=$(ANVIL_DATA_DIR="$WORK/other" "$ANVIL_BIN" config show)
expect_contains "$out" "$WORK/other" "ANVIL_DATA_DIR is honoured"

# eval retrieval on a tiny BEIR folder: metrics and per-query output.
mkdir -p "$WORK/beir/qrels"
printf '{"_id":"d1","title":"Pumps","text":"mechanical seal of centrifugal pumps"}\n{"_id":"d2","title":"空压机","text":"排气温度过高的处理"}\n' > "$WORK/beir/corpus.jsonl"
printf '{"_id":"q1","text":"pump seal"}\n{"_id":"q2","text":"排气温度"}\n' > "$WORK/beir/queries.jsonl"
printf 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n' > "$WORK/beir/qrels/test.tsv"
out=$(anvil eval retrieval --beir "$WORK/beir" --json --per-query)
got=$(printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["queries"], r["ndcg@10"], len(r["per_query"]))')
expect_eq "$got" "2 1.0 2" "eval retrieval on a tiny BEIR folder"
err=$(expect_failure anvil eval retrieval --beir "$WORK/nowhere")
expect_contains "$err" "corpus.jsonl" "missing BEIR folder named"

done_testing
