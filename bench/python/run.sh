#!/usr/bin/env bash
# The Python word count benchmark (issue 17): the 200 MB corpus in
# bench-data/text counted by examples/python/wordcount.py on gospark
# (local[2]), by the Go word count example (local[2]), and by a plain
# python3 multiprocessing program with 2 processes, in the same run; each
# output is checked against bench-data/text/expect.txt. Prints one line per
# program with its wall time (best of ROUNDS, default 3).
#
#   bash bench/python/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
ROUNDS=${ROUNDS:-3}
DATA=bench-data/text
INPUT="$DATA/part-*" # not expect.txt, which sits beside the parts
PY=$(python3 -c 'import sys, cloudpickle; print(sys.executable)')
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
$GO build -o "$BIN/" ./cmd/gospark ./cmd/gospark-py ./examples/wordcount
export SPARK_CONF_DIR=$BIN PYSPARK_PYTHON=$PY

best() { # name cmd...: runs cmd ROUNDS times, checks its output, prints the best time
	local name=$1 best=
	shift
	for _ in $(seq "$ROUNDS"); do
		local t0 t1
		t0=$(date +%s.%N)
		"$@" >"$BIN/out" 2>"$BIN/err" || { cat "$BIN/err" >&2; exit 1; }
		t1=$(date +%s.%N)
		local ok
		ok=$($PY bench/python/check.py $DATA/expect.txt <"$BIN/out")
		local t
		t=$(echo "$t1 - $t0" | bc)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	printf '%-44s %6.2f s  %s\n' "$name" "$best" "$ok"
}

echo "word count, $(du -sh $DATA | cut -f1) in $(ls $DATA/part-* | wc -l) files, $(nproc) cores, best of $ROUNDS"
best "gospark, examples/python/wordcount.py" "$BIN/gospark" submit --master 'local[2]' --conf spark.local.dir="$BIN" examples/python/wordcount.py "$INPUT"
best "gospark, Go examples/wordcount" "$BIN/gospark" submit --master 'local[2]' --conf spark.local.dir="$BIN" "$BIN/wordcount" "$INPUT"
best "python3 multiprocessing, 2 processes" "$PY" bench/python/mp_wordcount.py $DATA 2
