#!/usr/bin/env bash
# t0700-report-html.sh - report.html rendered in a real headless Chromium.
#
# For the fixture run tests/data/report/anomalies (a history with a
# non-linearizable read, a lost add and a stale read, two fault windows),
# asserted from the DOM Chromium rendered (after the page's script ran):
# no console message at all, the anomaly count, the op indices each anomaly
# cites (equal to results.json's, and each an invoke in history.jsonl), the
# cited ops outlined in the timeline, and the number of shaded fault bands
# (equal to the nemesis start events).  A screenshot is written beside the
# report (build/t0700/anomalies/report.png) for people to look at.
# Then the XSS fixture (payloads in run.json, the history and results.json)
# must render as text and run no script, and a report without gnuplot must
# still be written with a note in place of each graph.
. "$(dirname "$0")/lib.sh"
cd "$NS_ROOT" || exit 4

NS=${NS_BIN:-$NS_ROOT/netsplit}
OUT=$NS_ROOT/build/t0700
PROFILE=$(mktemp -d /tmp/ns-t0700.XXXXXX)
at_exit rm -rf "$PROFILE"
rm -rf "$OUT"
mkdir -p "$OUT"

command -v chromium >/dev/null || die_test chromium "chromium not installed"
for t in jq xmllint; do
	command -v $t >/dev/null || die_test $t "$t not installed"
done

# chrome MODE URL OUTFILE: run headless Chromium (flags from
# shared/LIBRARY-NOTES.md); MODE dom writes the DOM after scripts ran,
# MODE shot a PNG.  Console messages (and uncaught errors) go to
# OUTFILE.log as "CONSOLE" lines.
chrome() {
	local mode=$1 url=$2 out=$3 rc
	local flags=(--headless --no-sandbox --disable-gpu --disable-quic
		--no-first-run --disable-background-networking
		--disable-component-update --disable-sync
		--user-data-dir="$PROFILE/$(basename "$out")"
		--enable-logging=stderr --v=0 --hide-scrollbars)
	if [ "$mode" = dom ]; then
		timeout -k 5 90 chromium "${flags[@]}" --dump-dom "$url" \
			>"$out" 2>"$out.log"
	else
		timeout -k 5 90 chromium "${flags[@]}" --window-size=1280,2400 \
			--screenshot="$out" "$url" >/dev/null 2>"$out.log"
	fi
	rc=$?
	return $rc
}

# xp FILE XPATH: evaluate an XPath over an HTML file (libxml2's parser).
xp() { xmllint --html --xpath "$2" "$1" 2>/dev/null; }
cls() { echo "contains(concat(' ',normalize-space(@class),' '),' $1 ')"; }

# ===== the fixture with known anomalies =====
RUN=$OUT/anomalies
cp -r tests/data/report/anomalies "$RUN"
"$NS" report "$RUN" >"$OUT/report.out" 2>&1
check_eq report-exit-invalid 1 "$?"
check report-html-written test -s "$RUN/report.html"
check report-no-external-refs \
	bash -c "! grep -Eiq '(src|href)=\"(https?:|//)' '$RUN/report.html'"

chrome dom "file://$RUN/report.html" "$OUT/dom.html" ||
	fail chromium-dom "chromium exited $?: $(tail -n 3 "$OUT/dom.html.log")"
DOM=$OUT/dom.html
if grep -q CONSOLE "$DOM.log"; then
	fail report-no-console-messages "$(grep CONSOLE "$DOM.log" | head -3)"
else
	pass report-no-console-messages
fi
check_eq report-script-ran 1 "$(xp "$DOM" 'string(/html/@data-ns-ready)')"

RES=$RUN/results.json
want=$(jq '[.checkers[].anomalies[]] | length' "$RES")
check_eq anomaly-count-articles "$want" \
	"$(xp "$DOM" "count(//article[$(cls anomaly)])")"
check_eq anomaly-count-heading \
	"$(jq '[.checkers[].anomaly_count] | add' "$RES")" \
	"$(xp "$DOM" "string(//span[@id='anomaly-count'])")"
[ "$want" -gt 0 ] || fail anomaly-fixture "fixture has no anomaly"

k=0
while IFS= read -r cited; do
	k=$((k + 1))
	got=$(xp "$DOM" "string(//article[@id='anomaly-$k']/@data-ops)")
	check_eq "anomaly-$k-cites-ops" "$cited" "$got"
	rows=$(xp "$DOM" "//article[@id='anomaly-$k']//tr[$(cls op-row)]/@data-i" |
		sed 's/ *data-i="\([0-9]*\)"/\1 /g' | xargs)
	check_eq "anomaly-$k-op-rows" "$cited" "$rows"
	bad=""
	for i in $cited; do
		t=$(jq -r "select(.index == $i) | .type" "$RUN/history.jsonl")
		[ "$t" = invoke ] || bad="$bad $i($t)"
		n=$(xp "$DOM" "count(//div[$(cls op)][$(cls anom)][@data-i='$i'])")
		[ "$n" = 1 ] || bad="$bad timeline:$i($n)"
	done
	check_eq "anomaly-$k-ops-in-history-and-timeline" "" "$bad"
	check_eq "anomaly-$k-timeline-mark" 1 \
		"$(xp "$DOM" "count(//a[@id='tl-anomaly-$k'][@href='#anomaly-$k'])")"
	check_eq "anomaly-$k-links-timeline" 1 \
		"$(xp "$DOM" "count(//article[@id='anomaly-$k']//a[@href='#tl-anomaly-$k'])")"
done < <(jq -r '.checkers[].anomalies[] | [.ops[].index] | map(tostring) |
	join(" ")' "$RES")

# geometry: each op's bar lies in the lane labelled with its process (the
# fixture is small: one timeline window), every process of the history has
# its lane, and the lanes are the processes in order
lanes=$(grep -o 'class="lane-label" style="top:[0-9]*px">p-\?[0-9]*<' \
	"$RUN/report.html" | sed 's/.*top:\([0-9]*\)px">p\(.*\)</\2:\1/')
check_eq timeline-lanes-are-processes \
	"$(jq -r 'select(.process != "nemesis") | .process' \
		"$RUN/history.jsonl" | sort -n -u | xargs)" \
	"$(printf '%s\n' "$lanes" | cut -d: -f1 | xargs)"
bad="" nbars=0
while read -r i top; do
	nbars=$((nbars + 1))
	p=$(jq -r "select(.index == $i) | .process" "$RUN/history.jsonl")
	lt=$(printf '%s\n' "$lanes" | sed -n "s/^$p:\([0-9]*\)$/\1/p")
	[ -n "$lt" ] && [ "$top" = $((lt + 2)) ] || bad="$bad #$i:p$p@$top"
done < <(grep -o 'data-i="[0-9]*" style="left:[0-9.]*px;top:[0-9]*px' \
	"$RUN/report.html" | sed 's/data-i="\([0-9]*\)".*top:\([0-9]*\)px/\1 \2/')
check_eq timeline-bars-drawn \
	"$(jq -s '[.[] | select(.process != "nemesis" and .type == "invoke")]
		| length' "$RUN/history.jsonl")" "$nbars"
check_eq timeline-bar-in-its-process-lane "" "$bad"

# fault bands: one per fault the nemesis applied (a start-KIND whose
# completion carries no error; the fixture also has one it could not
# apply), in the overview and in the timeline (the fixture is small: one
# timeline window holds it all)
starts=$(jq -s '[.[] | select(.process == "nemesis" and .type != "invoke"
	and (.f | startswith("start")) and (has("error") | not))] | length' \
	"$RUN/history.jsonl")
[ "$starts" -gt 0 ] || fail fault-fixture "fixture has no fault window"
check_eq fault-unapplied-noted \
	"$(jq -s '[.[] | select(.process == "nemesis" and .type != "invoke"
		and (.f | startswith("start")) and has("error"))] | length' \
		"$RUN/history.jsonl")" \
	"$(xp "$DOM" "count(//p[$(cls unapplied)])")"
check_eq fault-bands-overview "$starts" \
	"$(xp "$DOM" "count(//div[@id='overview']/*[$(cls fault-band)])")"
check_eq fault-bands-timeline "$starts" \
	"$(xp "$DOM" "count(//div[$(cls tl-canvas)]/div[$(cls fault-band)])")"
check_eq fault-rows "$starts" "$(xp "$DOM" "count(//tr[$(cls fault)])")"
check_eq checker-verdicts "$(jq '.checkers | length' "$RES")" \
	"$(xp "$DOM" "count(//tr[$(cls checker)]//span[$(cls verdict)])")"
check_eq graphs-embedded 3 \
	"$(xp "$DOM" "count(//img[starts-with(@src,'data:image/png;base64,')])")"

chrome shot "file://$RUN/report.html" "$RUN/report.png" ||
	fail chromium-screenshot "chromium exited $?"
if [ "$(head -c 4 "$RUN/report.png" 2>/dev/null | od -An -c | tr -d ' ')" \
	= '211PNG' ] && [ "$(stat -c %s "$RUN/report.png")" -gt 50000 ]; then
	pass screenshot-written
else
	fail screenshot-written "no PNG at $RUN/report.png"
fi

# ===== long values stay inside the page's width =====
# A final read of 300 elements (the report shows 64 of them, a long line
# without spaces) lacking one acknowledged add: nothing may stick out of
# its anomaly's box.  A page next to the report measures it inside an
# iframe (the report's own policy lets no script in).
W=$OUT/wide
mkdir -p "$W"
awk 'BEGIN {
	for (i = 0; i < 301; i++) {
		printf "{\"index\":%d,\"time\":%d,\"process\":0,\"type\":" \
			"\"invoke\",\"f\":\"add\",\"value\":%d}\n", 2 * i,
			1000000 * i, 1000000 + i
		printf "{\"index\":%d,\"time\":%d,\"process\":0,\"type\":" \
			"\"ok\",\"f\":\"add\",\"value\":%d}\n", 2 * i + 1,
			1000000 * i + 500000, 1000000 + i
	}
	printf "{\"index\":602,\"time\":400000000,\"process\":0," \
		"\"type\":\"invoke\",\"f\":\"read\",\"final\":true," \
		"\"value\":null}\n{\"index\":603,\"time\":401000000," \
		"\"process\":0,\"type\":\"ok\",\"f\":\"read\"," \
		"\"final\":true,\"value\":["
	for (i = 0; i < 300; i++)
		printf "%s%d", i ? "," : "", 1000000 + i
	printf "]}\n"
	}' >"$W/history.jsonl"
"$NS" check --json --checker set "$W/history.jsonl" 2>/dev/null |
	jq '{verdict: "invalid", checkers: .checkers}' >"$W/results.json"
NS_GNUPLOT=/nonexistent "$NS" report "$W" >/dev/null 2>&1
check_eq wide-report-exit 1 "$?"
cat >"$OUT/wide-measure.html" <<HTML
<!DOCTYPE html><html><body>
<iframe id="f" src="file://$W/report.html" style="width:1200px;height:900px"></iframe>
<pre id="out">not measured</pre>
<script>
window.addEventListener('load', function () {
	var d = document.getElementById('f').contentDocument, bad = [];
	if (!d) return;
	d.querySelectorAll('article.anomaly').forEach(function (a) {
		if (a.scrollWidth > a.clientWidth + 1)
			bad.push(a.id + ':' + a.scrollWidth + '>' + a.clientWidth);
	});
	document.getElementById('out').textContent =
		d.querySelectorAll('article.anomaly').length + ' anomalies; ' +
		'page ' + d.documentElement.scrollWidth + ' of ' +
		d.documentElement.clientWidth + '; too wide: ' + bad.join(' ');
});
</script></body></html>
HTML
timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu \
	--disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync \
	--user-data-dir="$PROFILE/wide" --allow-file-access-from-files \
	--window-size=1280,1000 --dump-dom "file://$OUT/wide-measure.html" \
	>"$OUT/wide-dom.html" 2>/dev/null
m=$(xp "$OUT/wide-dom.html" 'string(//pre[@id="out"])')
check_contains wide-measured "1 anomalies; " "$m"
check_contains wide-value-inside-anomaly "too wide: " "$m"
case "$m" in
*"too wide: "?*) fail wide-nothing-sticks-out "$m" ;;
*) pass wide-nothing-sticks-out ;;
esac
w=$(sed -n 's/.*page \([0-9]*\) of \([0-9]*\);.*/\1 \2/p' <<<"$m")
if [ -n "$w" ] && [ "${w% *}" -le "${w#* }" ]; then
	pass wide-page-no-horizontal-scroll
else
	fail wide-page-no-horizontal-scroll "$m"
fi

# ===== XSS: every payload stays text =====
X=$OUT/xss
cp -r tests/data/report/xss "$X"
"$NS" report "$X" >/dev/null 2>&1
check_eq xss-report-exit 1 "$?"
chrome dom "file://$X/report.html" "$OUT/xss.html" ||
	fail chromium-xss "chromium exited $?"
XD=$OUT/xss.html
if grep -q CONSOLE "$XD.log"; then
	fail xss-no-console-messages "$(grep CONSOLE "$XD.log" | head -3)"
else
	pass xss-no-console-messages
fi
check_eq xss-script-ran 1 "$(xp "$XD" 'string(/html/@data-ns-ready)')"
title=$(xp "$XD" 'string(//title)')
check_contains xss-title-untouched \
	"netsplit: xss</script><script>document.title='XSS'</script>" "$title"
check_eq xss-only-own-scripts 2 "$(xp "$XD" 'count(//script)')"
check_eq xss-no-injected-img 0 \
	"$(xp "$XD" "count(//img[not(starts-with(@src,'data:'))])")"
check_contains xss-payload-as-text "</script><script>alert(1)</script>" \
	"$(xp "$XD" "string(//table[$(cls settings)])")"
check_contains xss-anomaly-text-as-text \
	"<img src=x onerror=\"document.title='IMG'\">" \
	"$(xp "$XD" "string(//article[@id='anomaly-2']//p[$(cls text)])")"
check_eq xss-attr-not-broken 0 \
	"$(xp "$XD" "count(//*[@onerror or @onload or @onclick])")"
# the stale graph's labels carry a newline and a gnuplot shell escape:
# drawn (so gnuplot read them), and nothing ran
check_eq xss-graphs-drawn 3 \
	"$(xp "$XD" "count(//img[starts-with(@src,'data:image/png;base64,')])")"
check xss-no-gnuplot-side-effect test ! -e /tmp/ns-gp-pwned

# ===== no gnuplot: the report is still written, with notes =====
G=$OUT/nognuplot
cp -r tests/data/report/anomalies "$G"
NS_GNUPLOT=/nonexistent/gnuplot "$NS" report "$G" >/dev/null 2>&1
check_eq nognuplot-exit 1 "$?"
check_eq nognuplot-notes 3 \
	"$(xp "$G/report.html" "count(//p[$(cls graph-missing)])")"
check_contains nognuplot-note-says-why "gnuplot is not installed" \
	"$(xp "$G/report.html" "string(//figure[@id='graph-latency'])")"
check_eq nognuplot-anomalies-still-there "$want" \
	"$(xp "$G/report.html" "count(//article[$(cls anomaly)])")"
