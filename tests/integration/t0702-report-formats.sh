#!/usr/bin/env bash
# t0702-report-formats.sh - `netsplit report` on every history format
# `netsplit check` reads: a Jepsen EDN history (with and without times),
# a jepsen.log, and JSON Lines without times, each in a directory beside
# the results.json `netsplit check --json` wrote for it (a Jepsen store
# directory names them history.edn and jepsen.log).
#
# For each: the report reads the history (no "missing" note, a timeline
# bar per client op), shows check's verdict and exits with check's
# status, and cites each op's place as the checkers do; junit.xml fits
# the subset schema.  --format forces a format as check's does.
. "$(dirname "$0")/lib.sh"
cd "$NS_ROOT" || exit 4

NS=${NS_BIN:-$NS_ROOT/netsplit}
T=$(mktemp -d /tmp/ns-t0702.XXXXXX)
at_exit rm -rf "$T"
for t in jq xmllint; do
	command -v $t >/dev/null || die_test $t "$t not installed"
done
D=tests/data/checker
hx() { xmllint --html --xpath "$2" "$1" 2>/dev/null; }

# name  source history  its name in the directory  check's arguments
while read -r name src dest args; do
	R=$T/$name
	mkdir "$R"
	cp "$D/$src" "$R/$dest"
	# shellcheck disable=SC2086
	"$NS" check --json $args "$R/$dest" >"$R/results.json" 2>/dev/null
	crc=$?
	err=$(NS_GNUPLOT=/nonexistent "$NS" report "$R" 2>&1 >/dev/null)
	check_eq "$name-report-exit-is-checks" "$crc" "$?"
	case $err in
	*missing\ \(no\ history*) fail "$name-history-read" "$err" ;;
	*) pass "$name-history-read" ;;
	esac
	check_eq "$name-verdict" "$(jq -r .verdict "$R/results.json")" \
		"$(hx "$R/report.html" "string(//span[@id='verdict'])")"
	ops=$(jq .history.ops "$R/results.json")
	check_eq "$name-a-bar-per-op" "$ops" \
		"$(hx "$R/report.html" "count(//div[starts-with(@class,'op ')])")"
	check_eq "$name-anomalies" \
		"$(jq '[.checkers[].anomalies[]] | length' "$R/results.json")" \
		"$(hx "$R/report.html" "count(//article[@class='anomaly'])")"
	check_eq "$name-anomaly-ops" \
		"$(jq -r '.checkers[].anomalies[0] | select(.) | [.ops[].index] |
			map(tostring) | join(" ")' "$R/results.json" | head -n 1)" \
		"$(hx "$R/report.html" \
			"string(//article[@id='anomaly-1']/@data-ops)")"
	check_contains "$name-summary-ops" "$ops ops" "$(cat "$R/summary.md")"
	check "$name-junit-schema" xmllint --noout --schema \
		tests/data/report/junit-subset.xsd "$R/junit.xml"
	suite_time=$(xmllint --xpath 'string(/testsuites/testsuite/@time)' \
		"$R/junit.xml" 2>/dev/null)
	case $name in
	*-untimed | jepsen-log)
		# places cited as the checkers cite them: the path check was
		# given, in their sentences and in the report's own cells
		check_contains "$name-checkers-cite-path" "($R/$dest:" \
			"$(jq -r '.checkers[].anomalies[].text' "$R/results.json")"
		n=$(grep -c "<td>$R/$dest:[0-9]*</td>" "$R/report.html")
		if [ "$n" -gt 0 ]; then
			pass "$name-report-cites-path"
		else
			fail "$name-report-cites-path" "no <td>$R/$dest:N</td>"
		fi
		check_eq "$name-no-bare-name" 0 \
			"$(grep -c "[>(]$dest:[0-9]" "$R/report.html")"
		# no times and no run.json: the span is unknown, not 0
		check_eq "$name-junit-no-time" "" "$suite_time"
		;;
	*)
		case $suite_time in
		"" | 0 | 0.000) fail "$name-junit-time" "'$suite_time'" ;;
		*) pass "$name-junit-time" ;;
		esac
		;;
	esac
done <<'EOF'
edn 0106-etcd-edn-stale-read.edn history.edn
edn-untimed 0510-stale-edn-without-times.edn history.edn --checker stale
jepsen-log 0921-jepsen-log-stale-read.log jepsen.log
jsonl-untimed 0315-set-evidence-without-times.jsonl history.jsonl --checker set
EOF

# a history without times, with a run.json: junit's time is the run's
# span from start_time to end_time
R=$T/jepsen-log
printf '{"start_time": "2026-11-24T05:50:00Z", "end_time": %s}\n' \
	'"2026-11-24T05:50:12Z"' >"$R/run.json"
NS_GNUPLOT=/nonexistent "$NS" report "$R" >/dev/null 2>&1
check_eq untimed-junit-time-from-run-json 12.000 \
	"$(xmllint --xpath 'string(/testsuites/testsuite/@time)' "$R/junit.xml")"
check untimed-junit-time-schema xmllint --noout --schema \
	tests/data/report/junit-subset.xsd "$R/junit.xml"

# --format as check's: forced, refused when the content is not that
# format (exit 3 naming the file), unknown names refused
R=$T/edn
NS_GNUPLOT=/nonexistent "$NS" report --format edn "$R" >/dev/null 2>&1
check_eq format-edn-forced 1 "$?"
err=$(NS_GNUPLOT=/nonexistent "$NS" report --format json "$R" 2>&1 >/dev/null)
check_eq format-wrong-exit-input 3 "$?"
check_contains format-wrong-names-file "$R/history.edn" "$err"
err=$("$NS" report --format yaml "$R" 2>&1 >/dev/null)
check_eq format-unknown-exit-usage 3 "$?"
check_contains format-unknown-message "unknown --format 'yaml'" "$err"
check_contains format-in-help "--format FORMAT" "$("$NS" report --help)"

# a Jepsen store directory holding both: history.edn is read (the
# jepsen.log here holds no op line and would not read)
S=$T/store
mkdir "$S"
cp "$T/edn/history.edn" "$T/edn/results.json" "$S/"
printf 'INFO  jepsen.core - Running test etcd\n' >"$S/jepsen.log"
NS_GNUPLOT=/nonexistent "$NS" report "$S" >/dev/null 2>&1
check_eq store-reads-history-edn 1 "$?"

# compare reads them too
out=$("$NS" compare "$T/edn" "$T/jepsen-log" 2>/dev/null)
check_eq compare-edn-log-exit 1 "$?"
check_contains compare-edn-ops "$(jq .history.ops "$T/edn/results.json")" \
	"$(grep '^ops ' <<<"$out")"

