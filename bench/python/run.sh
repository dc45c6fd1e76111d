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
# checked. Prints each program's median and best wall time and its median
# CPU time (user and system, of the program and the processes it waited
# for), and the median of the rounds' ratios gospark wordcount.py / python3.
NAMES=("gospark, examples/python/wordcount.py" "gospark, Go examples/wordcount" "python3 multiprocessing, 2 processes")
timed() { # runs a command; writes "wall user system" seconds to $BIN/time
	"$PY" -c 'import resource, subprocess, sys, time
t = time.time()
code = subprocess.call(sys.argv[2:])
wall = time.time() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.3f %.3f %.3f\n" % (wall, ru.ru_utime, ru.ru_stime))
sys.exit(code)' "$BIN/time" "$@"
}
run() { # i: runs program i once, checks its output, prints wall, user and system seconds
	case $1 in
	0) timed "$BIN/gospark" submit --master 'local[2]' --conf spark.local.dir="$BIN" examples/python/wordcount.py "$INPUT" ;;
	1) timed "$BIN/gospark" submit --master 'local[2]' --conf spark.local.dir="$BIN" "$BIN/wordcount" "$INPUT" ;;
	2) timed "$PY" bench/python/mp_wordcount.py $DATA 2 ;;
	esac >"$BIN/out" 2>"$BIN/err" || { cat "$BIN/err" >&2; exit 1; }
	$PY bench/python/check.py $DATA/expect.txt <"$BIN/out" >"$BIN/ok.$1" || exit 1
	cat "$BIN/time"
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
    r, i, wall, user, system = line.split()
    rounds.setdefault(r, {})[int(i)] = (float(wall), float(user) + float(system), float(system))
for i, name in enumerate(names):
    ts = [v[i] for v in rounds.values()]
    ok = open("%s/ok.%d" % (d, i)).read().strip()
    print("%-40s median %6.2f s  best %6.2f s  CPU %6.2f s (system %5.2f s)  %s" % (
        name, statistics.median(t[0] for t in ts), min(t[0] for t in ts),
        statistics.median(t[1] for t in ts), statistics.median(t[2] for t in ts), ok))
for what, k in (("wall", 0), ("CPU", 1)):
    ratios = sorted(v[0][k] / v[2][k] for v in rounds.values())
    print("gospark wordcount.py / python3, %s, per round: median %.2f (%s)" % (
        what, statistics.median(ratios), " ".join("%.2f" % x for x in ratios)))
PYEOF
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
