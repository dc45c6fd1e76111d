#!/usr/bin/env bash
# The Python word count benchmark (issue 17): the 200 MB corpus in
# bench-data/text counted by examples/python/wordcount.py on gospark
# (local[2]), by the Go word count example (local[2]), and by a plain
# python3 multiprocessing program with 2 processes, in the same run; each
# output is checked against bench-data/text/expect.txt. ROUNDS (default 5)
# rounds of the three in turn. The corpus is written first if it is not
# there, by the shared generator in $SHARED/bench/gen (default ../shared),
# as go run ./bench/run writes it.
#
#   bash bench/python/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
ROUNDS=${ROUNDS:-5}
DATA=bench-data/text
INPUT="$DATA/part-*" # not expect.txt, which sits beside the parts
PY=$(python3 -c 'import sys, cloudpickle; print(sys.executable)')
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
if [ ! -f "$DATA/expect.txt" ]; then
	SHARED=$(cd "${SHARED:-../shared}" && pwd)
	(cd "$SHARED/bench/gen" && $GO build -o "$BIN/gen" .)
	echo "writing the word-count corpus to $DATA" >&2
	"$BIN/gen" -text "$DATA" >&2
fi
$GO build -o "$BIN/" ./cmd/gospark ./cmd/gospark-py ./examples/wordcount
export SPARK_CONF_DIR=$BIN PYSPARK_PYTHON=$PY
# Both programs print as Python does by default (buffered to a file).
unset PYTHONUNBUFFERED

# The three programs run in turn, ROUNDS times (A B C A B C ...), so that a
# drift of the shared machine's speed falls on all of them; each output is
# checked. Prints each program's median and best wall time, and the median
# of the rounds' ratios gospark wordcount.py / python3.
NAMES=("gospark, examples/python/wordcount.py" "gospark, Go examples/wordcount" "python3 multiprocessing, 2 processes")
run() { # i: runs program i once, checks its output, prints its wall seconds
	local t0 t1
	t0=$(date +%s.%N)
	case $1 in
	0) "$BIN/gospark" submit --master 'local[2]' --conf spark.local.dir="$BIN" examples/python/wordcount.py "$INPUT" ;;
	1) "$BIN/gospark" submit --master 'local[2]' --conf spark.local.dir="$BIN" "$BIN/wordcount" "$INPUT" ;;
	2) "$PY" bench/python/mp_wordcount.py $DATA 2 ;;
	esac >"$BIN/out" 2>"$BIN/err" || { cat "$BIN/err" >&2; exit 1; }
	t1=$(date +%s.%N)
	$PY bench/python/check.py $DATA/expect.txt <"$BIN/out" >"$BIN/ok.$1" || exit 1
	echo "$t1 - $t0" | bc
}

echo "word count, $(du -sh $DATA | cut -f1) in $(ls $DATA/part-* | wc -l) files, $(nproc) cores, $ROUNDS rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$BIN/times"
for r in $(seq "$ROUNDS"); do
	for i in 0 1 2; do
		t=$(run $i)
		echo "$r $i $t" >>"$BIN/times"
	done
done
$PY - "$BIN" "${NAMES[@]}" <<'PYEOF'
import statistics, sys
d, names = sys.argv[1], sys.argv[2:]
rounds = {}
for line in open(d + "/times"):
    r, i, t = line.split()
    rounds.setdefault(r, {})[int(i)] = float(t)
for i, name in enumerate(names):
    ts = [v[i] for v in rounds.values()]
    ok = open("%s/ok.%d" % (d, i)).read().strip()
    print("%-40s median %6.2f s  best %6.2f s  %s" % (name, statistics.median(ts), min(ts), ok))
ratios = sorted(v[0] / v[2] for v in rounds.values())
print("gospark wordcount.py / python3, per round: median %.2f (%s)" % (
    statistics.median(ratios), " ".join("%.2f" % x for x in ratios)))
PYEOF
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
