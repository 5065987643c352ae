#!/usr/bin/env bash
# t0701-report-junit.sh - junit.xml, summary.md / $GITHUB_STEP_SUMMARY,
# `netsplit compare`, and run directories with parts missing or broken.
#
# junit.xml is parsed with libxml2 (xmllint) and validated against the
# subset schema tests/data/report/junit-subset.xsd; counts and messages
# are compared with results.json.
. "$(dirname "$0")/lib.sh"
cd "$NS_ROOT" || exit 4

NS=${NS_BIN:-$NS_ROOT/netsplit}
T=$(mktemp -d /tmp/ns-t0701.XXXXXX)
at_exit rm -rf "$T"
for t in jq xmllint; do
	command -v $t >/dev/null || die_test $t "$t not installed"
done
xp() { xmllint --xpath "$2" "$1" 2>/dev/null; }

RUN=$T/anomalies
cp -r tests/data/report/anomalies "$RUN"
RES=$RUN/results.json
export GITHUB_STEP_SUMMARY=$T/step-summary.md
printf '# earlier step text\n' >"$GITHUB_STEP_SUMMARY"
NS_GNUPLOT=/nonexistent "$NS" report "$RUN" >/dev/null 2>&1
check_eq report-exit 1 "$?"

# ===== junit.xml =====
J=$RUN/junit.xml
check junit-well-formed xmllint --noout "$J"
check junit-subset-schema xmllint --noout --schema \
	tests/data/report/junit-subset.xsd "$J"
ncheckers=$(jq '.checkers | length' "$RES")
ninvalid=$(jq '[.checkers[] | select(.verdict == "invalid")] | length' "$RES")
nunknown=$(jq '[.checkers[] | select(.verdict != "invalid" and
	.verdict != "valid")] | length' "$RES")
check_eq junit-one-testcase-per-checker "$ncheckers" \
	"$(xp "$J" 'count(/testsuites/testsuite/testcase)')"
check_eq junit-failures "$ninvalid" "$(xp "$J" 'count(//testcase/failure)')"
check_eq junit-failures-attr "$ninvalid" \
	"$(xp "$J" 'string(/testsuites/testsuite/@failures)')"
check_eq junit-unknown-is-error "$nunknown" \
	"$(xp "$J" 'count(//testcase/error[@type="unknown"])')"
check_eq junit-errors-attr "$nunknown" \
	"$(xp "$J" 'string(/testsuites/testsuite/@errors)')"
check_eq junit-tests-attr "$ncheckers" \
	"$(xp "$J" 'string(/testsuites/@tests)')"
pairs=$(xp "$J" '//testcase' | grep -o 'classname="[^"]*" name="[^"]*"' |
	sort | uniq -d)
check_eq junit-unique-classname-name "" "$pairs"
while IFS=$'\t' read -r name kinds total; do
	msg=$(xp "$J" "string(//testcase[@name='$name']/failure/@message)")
	check_contains "junit-$name-message-count" "$total anomal" "$msg"
	for kind in $kinds; do
		check_contains "junit-$name-message-kind-$kind" "$kind (" "$msg"
	done
done < <(jq -r '.checkers[] | select(.verdict == "invalid") |
	[.checker, ([.anomalies[].kind] | unique | join(" ")),
	 (.anomaly_count | tostring)] | @tsv' "$RES")

# an interrupted run (exit 2) whose checkers found the part recorded
# valid is not green: a testcase "run" carries an error of type
# "interrupted"
I=$T/interrupted
cp -r tests/data/report/anomalies "$I"
jq '.verdict = "unknown" | .interrupted = true | .checkers |=
	map(.verdict = "valid" | .anomalies = [] | .anomaly_count = 0)' \
	"$RES" >"$I/results.json"
NS_GNUPLOT=/nonexistent "$NS" report "$I" >/dev/null 2>&1
check_eq interrupted-report-exit 2 "$?"
check_eq interrupted-junit-error 1 "$(xp "$I/junit.xml" \
	'count(//testcase[@name="run"]/error[@type="interrupted"])')"
check_eq interrupted-junit-errors-attr 1 \
	"$(xp "$I/junit.xml" 'string(/testsuites/testsuite/@errors)')"
check interrupted-junit-schema xmllint --noout --schema \
	tests/data/report/junit-subset.xsd "$I/junit.xml"

# a checker listed twice still gives unique testcases
D=$T/dup
cp -r tests/data/report/anomalies "$D"
jq '.checkers += [.checkers[0]]' "$RES" >"$D/results.json"
NS_GNUPLOT=/nonexistent "$NS" report "$D" >/dev/null 2>&1
pairs=$(xp "$D/junit.xml" '//testcase' |
	grep -o 'classname="[^"]*" name="[^"]*"' | sort | uniq -d)
check_eq junit-duplicate-checker-unique "" "$pairs"

# ===== summary.md and $GITHUB_STEP_SUMMARY =====
check summary-written test -s "$RUN/summary.md"
check_contains summary-verdict-table "| linearizable |" \
	"$(cat "$RUN/summary.md")"
check_contains summary-anomaly-ops "(ops 10, 12)" "$(cat "$RUN/summary.md")"
check_eq step-summary-appended "# earlier step text" \
	"$(head -n 1 "$GITHUB_STEP_SUMMARY")"
check_contains step-summary-has-report "## netsplit: etcd-register" \
	"$(cat "$GITHUB_STEP_SUMMARY")"
# a step summary already near GitHub's 1 MiB limit is not pushed past it
head -c $((1024 * 1024 - 200)) /dev/zero | tr '\0' 'x' >"$GITHUB_STEP_SUMMARY"
NS_GNUPLOT=/nonexistent "$NS" report "$RUN" >/dev/null 2>&1
size=$(stat -c %s "$GITHUB_STEP_SUMMARY")
if [ "$size" -le $((1024 * 1024)) ]; then
	pass step-summary-capped
else
	fail step-summary-capped "$size bytes"
fi
unset GITHUB_STEP_SUMMARY
# a step summary that cannot be appended to: a warning naming it; the
# reports are written and the verdict's exit code stands
W=$T/gh-unwritable
cp -r tests/data/report/anomalies "$W"
err=$(GITHUB_STEP_SUMMARY=$T/no-such-dir/step.md NS_GNUPLOT=/nonexistent \
	"$NS" report "$W" 2>&1 >/dev/null)
check_eq step-summary-unwritable-exit-verdict 1 "$?"
check_contains step-summary-unwritable-warns \
	"warning: cannot append to '$T/no-such-dir/step.md'" "$err"
check step-summary-unwritable-reports-written test -s "$W/summary.md"

# a report that cannot be written into the run directory: exit 4, and
# --help lists every exit code report returns
U=$T/report-unwritable
cp -r tests/data/report/anomalies "$U"
mkdir "$U/junit.xml.tmp"	# the atomic write's temporary is a directory
err=$(NS_GNUPLOT=/nonexistent "$NS" report "$U" 2>&1 >/dev/null)
check_eq report-unwritable-exit-harness 4 "$?"
check_contains report-unwritable-names-file "$U/junit.xml.tmp" "$err"
check_eq report-help-lists-exit-codes "0 1 2 3 4" "$("$NS" report --help |
	sed -n '/^exit:/,$p' | grep -oE '(^exit: |, )[0-9] ' | tr -dc '0-9\n' |
	xargs)"

# ===== compare =====
B=$T/valid
cp -r tests/data/report/anomalies "$B"
jq '.verdict = "valid" | .checkers |= map(.verdict = "valid" |
	.anomalies = [] | .anomaly_count = 0)' "$RES" >"$B/results.json"
out=$("$NS" compare --html "$T/cmp.html" "$B" "$RUN" 2>&1)
check_eq compare-exit-anomaly 1 "$?"
check_contains compare-verdicts "valid" "$(grep '^verdict' <<<"$out")"
check_contains compare-verdict-b "invalid" "$(grep '^verdict' <<<"$out")"
check_contains compare-checker-counts "invalid (1)" \
	"$(grep '^checker linearizable' <<<"$out")"
check_contains compare-latency "latency p99 (ms)" "$out"
check_contains compare-throughput "throughput (ok/s)" "$out"
check_eq compare-html-rows "$(grep -c . <<<"$out")" \
	"$(xmllint --html --xpath 'count(//table[@id="compare"]//tr)' \
		"$T/cmp.html" 2>/dev/null)"
"$NS" compare "$B" "$B" >/dev/null 2>&1
check_eq compare-both-valid 0 "$?"
# a run without its history compares as 0 ops: compare says why
NH=$T/cmp-nohist
cp -r "$B" "$NH"
rm "$NH/history.jsonl"
err=$("$NS" compare "$NH" "$B" 2>&1 >/dev/null)
check_eq compare-nohist-exit 0 "$?"
check_contains compare-nohist-names-file \
	"netsplit: warning: $NH/history.jsonl is missing" "$err"
err=$("$NS" compare --html "$T/no-such-dir/c.html" "$B" "$B" 2>&1 \
	>/dev/null)
check_eq compare-html-unwritable-exit-harness 4 "$?"
check_contains compare-html-unwritable-why \
	"cannot write '$T/no-such-dir/c.html.tmp': No such file or directory" \
	"$err"
# --html writes through FILE.tmp and rename(2), as the reports do: a page
# a browser or CI job is reading is never half written, and one that
# cannot be replaced stays whole
printf 'the page before\n' >"$T/kept.html"
mkdir "$T/kept.html.tmp"	# the temporary cannot be written
err=$("$NS" compare --html "$T/kept.html" "$B" "$B" 2>&1 >/dev/null)
check_eq compare-html-tmp-unwritable-exit 4 "$?"
check_contains compare-html-tmp-unwritable-names-tmp \
	"cannot write '$T/kept.html.tmp'" "$err"
check_eq compare-html-tmp-unwritable-page-kept "the page before" \
	"$(cat "$T/kept.html")"
rmdir "$T/kept.html.tmp"
"$NS" compare --html "$T/kept.html" "$B" "$B" >/dev/null 2>&1
check_eq compare-html-replaced-exit 0 "$?"
check_contains compare-html-replaced "<table" "$(cat "$T/kept.html")"
check compare-html-no-tmp-left test ! -e "$T/kept.html.tmp"
check_eq compare-help-lists-exit-codes "0 1 2 3 4" "$("$NS" compare --help |
	sed -n '/^exit:/,$p' | grep -oE '\<[0-9]\>' | sort -u | xargs)"

# ===== missing and broken parts =====
# a run whose controller was killed while writing its first line: the
# history starts with blank padding (the writer stores a line's first
# byte last).  report and check both read RUN/history.jsonl as JSON Lines
# and say the same: the line cut short, then no operations
K=$T/killed-first-line
cp -r tests/data/report/anomalies "$K"
{ head -n 1 tests/data/report/anomalies/history.jsonl | cut -c 2- |
	tr -d '\n' | sed 's/^/ /'; printf '%*s\n' 100 ''; } >"$K/history.jsonl"
rm "$K/results.json"
rerr=$(NS_GNUPLOT=/nonexistent "$NS" report "$K" 2>&1 >/dev/null)
check_eq killed-first-line-report-exit 3 "$?"
cerr=$("$NS" check "$K/history.jsonl" 2>&1 >/dev/null)
check_eq killed-first-line-check-exit 3 "$?"
perr=$("$NS" compare "$K" "$K" 2>&1 >/dev/null)
check_eq killed-first-line-compare-exit 3 "$?"
for who in report check compare; do
	case $who in
	report) out=$rerr ;;
	check) out=$cerr ;;
	*) out=$perr ;;
	esac
	check_contains killed-first-line-$who-cut-short \
		"$K/history.jsonl:1: last line is cut short" "$out"
	check_contains killed-first-line-$who-no-ops \
		"$K/history.jsonl: no operations found (read as json)" "$out"
	case $out in
	*"cannot tell"*) fail killed-first-line-$who-format "$out" ;;
	*) pass killed-first-line-$who-format ;;
	esac
done
M=$T/noresults
cp -r tests/data/report/anomalies "$M"
rm "$M/results.json"
err=$(NS_GNUPLOT=/nonexistent "$NS" report "$M" 2>&1 >/dev/null)
check_eq noresults-exit-unknown 2 "$?"
check_contains noresults-names-file "$M/results.json is missing" "$err"
check_contains noresults-html-note "results.json is missing" \
	"$(cat "$M/report.html")"
check_eq noresults-junit-error 1 \
	"$(xp "$M/junit.xml" 'count(//testcase[@name="results"]/error)')"

H=$T/nohist
cp -r tests/data/report/anomalies "$H"
rm "$H/history.jsonl" "$H/run.json"
NS_GNUPLOT=/nonexistent "$NS" report "$H" >/dev/null 2>"$T/nohist.err"
check_eq nohist-exit-invalid 1 "$?"
check_contains nohist-note-is-a-warning \
	"netsplit: warning: $H/history.jsonl is missing" "$(cat "$T/nohist.err")"
check_contains nohist-html-note "history.jsonl is missing" \
	"$(cat "$H/report.html")"
check_eq nohist-ops-from-results \
	"$(jq -r '[.checkers[].anomalies[0] | select(.) | .ops[].index] |
		.[0:2] | map(tostring) | join(" ")' "$RES")" \
	"$(xmllint --html --xpath "string(//article[@id='anomaly-1']/@data-ops)" \
		"$H/report.html" 2>/dev/null)"
check_eq nohist-op-rows "$(jq '[.checkers[].anomalies[].ops[]] | length' \
	"$RES")" "$(xmllint --html --xpath "count(//tr[@class='op-row'])" \
		"$H/report.html" 2>/dev/null)"

E=$T/empty
mkdir "$E"
err=$("$NS" report "$E" 2>&1)
check_eq empty-dir-exit-usage 3 "$?"
check_contains empty-dir-message "no run.json, history.jsonl" "$err"

X=$T/badjson
cp -r tests/data/report/anomalies "$X"
printf '{"verdict": "valid",\n "checkers": [\n' >"$X/results.json"
err=$("$NS" report "$X" 2>&1)
check_eq bad-results-exit-usage 3 "$?"
check_contains bad-results-names-file "$X/results.json:" "$err"

Y=$T/badhist
cp -r tests/data/report/anomalies "$Y"
sed -i '5s/.*/{"index":4,"time":1,"process":2,"type":"ok"/' \
	"$Y/history.jsonl"
err=$("$NS" report "$Y" 2>&1)
check_eq bad-history-exit-usage 3 "$?"
check_contains bad-history-names-line "history.jsonl:5" "$err"

err=$("$NS" report 2>&1)
check_eq usage-exit 3 "$?"
check_contains usage-text "usage: netsplit report [--format FORMAT] RUN_DIR" "$err"

# ===== the same under ASan/UBSan (when built, as `make check` does) =====
A=$NS_ROOT/build/asan/netsplit
if [ -x "$A" ]; then
	for d in anomalies xss; do
		S=$T/asan-$d
		cp -r "tests/data/report/$d" "$S"
		out=$(ASAN_OPTIONS=detect_leaks=1 NS_GNUPLOT=/nonexistent \
			"$A" report "$S" 2>&1)
		rc=$?
		out2=$(ASAN_OPTIONS=detect_leaks=1 "$A" compare \
			--html "$S/cmp.html" "$S" "$RUN" 2>&1)
		case "$out$out2" in
		*"runtime error"*|*AddressSanitizer*|*LeakSanitizer*)
			fail "asan-report-$d" "$(printf '%s' "$out$out2" |
				grep -m1 -E 'runtime error|Sanitizer')" ;;
		*) check_eq "asan-report-$d" 1 "$rc" ;;
		esac
	done
else
	fail asan-report "build/asan/netsplit not built (make check builds it)"
fi

# ===== results.json from the real checkers (netsplit check --json) =====
# check's JSON is a results.json as it stands: its overall verdict is the
# one check exits with, and the report shows it
C=$T/realcheck
mkdir "$C"
cp tests/data/report/anomalies/history.jsonl tests/data/report/anomalies/run.json "$C/"
"$NS" check --json --checker set,session,stale \
	"$C/history.jsonl" >"$C/results.json" 2>/dev/null
crc=$?
check_eq realcheck-check-exit 1 "$crc"
check_eq realcheck-check-verdict invalid "$(jq -r .verdict "$C/results.json")"
NS_GNUPLOT=/nonexistent "$NS" report "$C" >/dev/null 2>&1
check_eq realcheck-report-exit-is-checks "$crc" "$?"
check_eq realcheck-html-verdict "invalid" "$(xmllint --html --xpath \
	"string(//span[@id='verdict'])" "$C/report.html" 2>/dev/null)"
check_contains realcheck-summary-verdict " invalid" \
	"$(head -n 1 "$C/summary.md")"
# a results.json without an overall verdict (an older check --json):
# the checkers' verdicts, combined as check combines them
O=$T/oldcheck
mkdir "$O"
cp "$C/history.jsonl" "$C/run.json" "$O/"
jq 'del(.verdict)' "$C/results.json" >"$O/results.json"
NS_GNUPLOT=/nonexistent "$NS" report "$O" >/dev/null 2>&1
check_eq oldcheck-report-exit 1 "$?"
jq 'del(.verdict) | .checkers |= map(select(.verdict != "invalid"))' \
	"$C/results.json" >"$O/results.json"
want=$(jq -r 'if all(.checkers[]; .verdict == "valid") then 0 else 2 end' \
	"$O/results.json")
NS_GNUPLOT=/nonexistent "$NS" report "$O" >/dev/null 2>&1
check_eq oldcheck-report-exit-no-invalid "$want" "$?"
n=$(jq '[.checkers[].anomalies[]] | length' "$C/results.json")
[ "${n:-0}" -gt 0 ] || fail realcheck-anomalies "the checkers found nothing"
check_eq realcheck-anomaly-count "$n" "$(xmllint --html --xpath \
	"count(//article[@class='anomaly'])" "$C/report.html" 2>/dev/null)"
k=0
while IFS= read -r cited; do
	k=$((k + 1))
	check_eq "realcheck-anomaly-$k-ops" "$cited" "$(xmllint --html \
		--xpath "string(//article[@id='anomaly-$k']/@data-ops)" \
		"$C/report.html" 2>/dev/null)"
done < <(jq -r '.checkers[].anomalies[] | [.ops[].index] |
	map(tostring) | join(" ")' "$C/results.json")
check realcheck-junit-schema xmllint --noout --schema \
	tests/data/report/junit-subset.xsd "$C/junit.xml"

# ===== more anomalies than results.json lists (1,000) =====
# 1,500 acknowledged adds missing from the final read, which also holds an
# element never added: the lost ones fill the list, the unexpected one is
# counted but not listed.  junit's message counts each kind over all of
# them, not over the list; the texts say how many results.json lists.
K=$T/capped
mkdir "$K"
awk 'BEGIN {
	for (i = 0; i < 1500; i++) {
		printf "{\"index\":%d,\"time\":%d,\"process\":0,\"type\":" \
			"\"invoke\",\"f\":\"add\",\"value\":%d}\n", 2 * i,
			1000000 * i, i
		printf "{\"index\":%d,\"time\":%d,\"process\":0,\"type\":" \
			"\"ok\",\"f\":\"add\",\"value\":%d}\n", 2 * i + 1,
			1000000 * i + 500000, i
	}
	printf "{\"index\":3000,\"time\":2000000000,\"process\":0," \
		"\"type\":\"invoke\",\"f\":\"read\",\"final\":true," \
		"\"value\":null}\n"
	printf "{\"index\":3001,\"time\":2001000000,\"process\":0," \
		"\"type\":\"ok\",\"f\":\"read\",\"final\":true," \
		"\"value\":[99999]}\n"
	}' >"$K/history.jsonl"
"$NS" check --json --checker set "$K/history.jsonl" >"$K/check.json" \
	2>/dev/null
jq '{verdict: "invalid", checkers: .checkers}' "$K/check.json" \
	>"$K/results.json"
check_eq capped-listed 1000 "$(jq '.checkers[0].anomalies | length' \
	"$K/results.json")"
check_eq capped-count 1501 "$(jq '.checkers[0].anomaly_count' \
	"$K/results.json")"
NS_GNUPLOT=/nonexistent "$NS" report "$K" >/dev/null 2>&1
check_eq capped-report-exit 1 "$?"
msg=$(xp "$K/junit.xml" 'string(//testcase[@name="set"]/failure/@message)')
check_contains capped-junit-count "1501 anomalies" "$msg"
check_contains capped-junit-lost-all "lost (1500)" "$msg"
check_contains capped-junit-unexpected "unexpected (1)" "$msg"
body=$(xp "$K/junit.xml" 'string(//testcase[@name="set"]/failure)')
check_contains capped-junit-body-rest \
	"1451 more: results.json lists 950 of them" "$body"
check_contains capped-summary-rest \
	"1481 more: report.html shows 200 in detail, results.json lists 1000 of the 1501 found" \
	"$(cat "$K/summary.md")"

# ===== a large history: the timeline shows windows around cited ops =====
L=$T/large
mkdir "$L"
awk 'BEGIN {
	for (i = 0; i < 10000; i++) {
		p = i % 10
		printf "{\"index\":%d,\"time\":%d,\"process\":%d,\"type\":" \
			"\"invoke\",\"f\":\"write\",\"value\":%d,\"key\":\"k\"}\n",
			2 * i, 2000000 * i, p, i
		printf "{\"index\":%d,\"time\":%d,\"process\":%d,\"type\":" \
			"\"ok\",\"f\":\"write\",\"value\":%d,\"key\":\"k\"}\n",
			2 * i + 1, 2000000 * i + 1000000, p, i
	} }' >"$L/history.jsonl"
cat >"$L/results.json" <<'JSON'
{"verdict": "invalid", "checkers": [{"checker": "x", "verdict": "invalid",
 "anomaly_count": 2, "anomalies": [
  {"kind": "lost", "text": "far apart", "ops": [
    {"index": 2000, "position": 2000}, {"index": 18000, "position": 18000}]},
  {"kind": "stale-read", "text": "middle", "ops": [
    {"index": 10000, "position": 10000}]}]}]}
JSON
NS_GNUPLOT=/nonexistent "$NS" report "$L" >/dev/null 2>&1
check_eq large-report-exit 1 "$?"
lx() { xmllint --html --xpath "$1" "$L/report.html" 2>/dev/null; }
check_eq large-three-windows 3 "$(lx "count(//div[@class='tl-window'])")"
bars=$(lx "count(//div[starts-with(@class,'op ')])")
if [ "$bars" -gt 0 ] && [ "$bars" -lt 200 ]; then
	pass large-bars-bounded
else
	fail large-bars-bounded "$bars bars for 10000 ops"
fi
for i in 2000 18000 10000; do
	check_eq "large-cited-op-$i-drawn" 1 \
		"$(lx "count(//div[contains(@class,'anom')][@data-i='$i'])")"
done
check_eq large-marks 2 "$(lx "count(//a[@class='tl-anchor' or
	@class='tl-anchor after'])")"
check_contains large-note "The history holds 10000 ops" \
	"$(lx "string(//section[@id='timeline'])")"
