#!/usr/bin/env bash
# 79-metrics.t -- `metrics ADDR PORT`: GET /metrics passes `promtool check metrics`, carries
# every `resolverctl stats` key with the same value (the lists compared), counters grow with
# queries; 404/405/400/431 for the rest; idle, slow, flooding and too many HTTP clients never
# stall DNS answers; a real Prometheus on loopback scrapes it and its API returns the query
# counter (and accepts every query of the Grafana dashboard); `stats --json`.
source "$(dirname "$0")/lib.sh"

MX="python3 $E2E_DIR/metrics.py"
DASHBOARD="$ROOT/tools/grafana/resolverd-dashboard.json"
NSD_A=127.53.79.1
RD_ADDR=127.53.79.2
PROM_ADDR=127.53.79.3
METRICS_ADDR=127.53.79.4
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) && MP=$(pick_port $METRICS_ADDR) &&
    PP=$(pick_port $PROM_ADDR) || bail "no port"
CTL="$T/control.sock"
URL="http://$METRICS_ADDR:$MP"

for tool in curl promtool prometheus python3; do
    command -v $tool >/dev/null || bail "$tool is not installed (make deps)"
done

start_nsd $NSD_A "$NP" "$DATA/example.test.zone" || bail "nsd did not start"
printf '192.0.2.79 printer.lan\n' >"$T/hosts"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward . $NSD_A@$NP" \
    "hosts $T/hosts" \
    "control $CTL" \
    "metrics $METRICS_ADDR $MP" \
    "upstream-timeout 500"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# scrape FILE: GET /metrics into FILE (headers into FILE.head); true on HTTP 200.
scrape() { [ "$(curl -s -m 5 -D "$1.head" -o "$1" -w '%{http_code}' "$URL/metrics")" = 200 ]; }
# metric FILE SAMPLE: one sample's value
metric() { awk -v s="$2" '$1 == s {print $2; exit}' "$1"; }
# dns_ok: resolverd answers a hosts name within 1 s
dns_ok() { [ "$(dig_q "$RD_ADDR" "$RD_PORT" +time=1 +short printer.lan A)" = 192.0.2.79 ]; }
# status_of CURL-ARGS...: the HTTP status curl saw (000: none)
status_of() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }

# --- the exposition ------------------------------------------------------------------------
rq printer.lan A >/dev/null; rq www.example.test A >/dev/null; rq www.example.test A >/dev/null
scrape "$T/s1"; ok $? "GET /metrics: 200" || diag_file "$T/s1.head"
like "$(tr -d '\r' <"$T/s1.head")" $'Content-Type: text/plain; version=0.0.4' "content type is the text format 0.0.4"
like "$(tr -d '\r' <"$T/s1.head")" $'Connection: close' "the reply says Connection: close"
out=$(promtool check metrics <"$T/s1" 2>&1); rc=$?
is "$rc:$out" "0:" "promtool check metrics: no problem, no lint warning" || diag "$out"
unlike "$(grep -v '^#' "$T/s1" | grep -v '^resolverd_')" . "every metric has the resolverd_ prefix"
for fam in resolverd_queries_total resolverd_responses_total resolverd_answers_total \
           resolverd_qtype_queries_total resolverd_limit_max_outstanding; do
    grep -q "^# HELP $fam " "$T/s1" && grep -q "^# TYPE $fam " "$T/s1"
    ok $? "$fam has # HELP and # TYPE"
done
grep -q '^# TYPE resolverd_query_duration_seconds histogram$' "$T/s1"
ok $? "the latency is a histogram"
is "$(metric "$T/s1" 'resolverd_query_duration_seconds_bucket{le="+Inf"}')" \
   "$(metric "$T/s1" resolverd_query_duration_seconds_count)" "histogram: +Inf bucket = _count"
is "$(metric "$T/s1" 'resolverd_answers_total{source="hosts"}')" 1 "source label: one hosts answer"
is "$(metric "$T/s1" 'resolverd_answers_total{source="cache"}')" 1 "source label: one cache hit"
is "$(metric "$T/s1" 'resolverd_answers_total{source="forward"}')" 1 "source label: one answer through the forwarder"
is "$(metric "$T/s1" 'resolverd_answers_total{source="iterate"}')" 0 "source label: no answer by iteration (everything is forwarded)"
is "$(metric "$T/s1" 'resolverd_answers_total{source="stale"}')" 0 "source label: no stale answer (serve-stale is off)"
is "$(grep -c '^resolverd_answers_total{source=' "$T/s1")" 6 "source label: hosts, local, cache, forward, iterate, stale: one family"
is "$(metric "$T/s1" 'resolverd_qtype_queries_total{qtype="A"}')" "$(metric "$T/s1" resolverd_queries_total)" \
   "qtype label: every query so far was of type A"
is "$(metric "$T/s1" 'resolverd_responses_total{rcode="NOERROR"}')" 3 "rcode label: three NOERROR"

# --- the same keys as `stats`, with the same values (nothing runs between the two) ----------
rctl stats >"$T/stats" 2>&1; ok $? "resolverctl stats"
scrape "$T/s2"
diffs=$($MX keys "$T/s2" "$T/stats" 2>"$T/keys.err"); rc=$?
is "$rc" 0 "every stats key is a metric with the same value, and no metric lacks a key" || diag "$diffs"
diag_file "$T/keys.err"
cmp_ok "$(grep -c = "$T/stats")" -ge 70 "stats has its ~70 keys (the comparison is not empty)"
grep -q '^resolverd_limit_question_timeout_seconds 10$' "$T/s2"
ok $? "limit.* as gauges in base units (question-timeout 10000 ms = 10 s)"

# --- stats --json: the same keys, numbers as numbers ---------------------------------------
rctl stats --json >"$T/stats.json"; ok $? "resolverctl stats --json"
python3 -m json.tool "$T/stats.json" >/dev/null; ok $? "stats --json is valid JSON"
jkeys=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("\n".join(d)); sys.exit(0 if all(isinstance(v,(int,float)) for v in d.values()) else 1)' "$T/stats.json")
ok $? "stats --json: every value is a number"
is "$jkeys" "$(cut -d= -f1 "$T/stats")" "stats --json: the keys of stats, in order"

# --- counters grow with queries --------------------------------------------------------------
for i in 1 2 3 4 5; do rq printer.lan A >/dev/null; done
rq mail.example.test A >/dev/null
# (a snapshot serves scrapes for 0.1 s: poll until this one is newer than the queries)
grew() { scrape "$T/s3" && [ $(( $(metric "$T/s3" resolverd_queries_total) - $(metric "$T/s2" resolverd_queries_total) )) -ge 6 ]; }
wait_until 5 grew
is "$(( $(metric "$T/s3" resolverd_queries_total) - $(metric "$T/s2" resolverd_queries_total) ))" 6 \
   "resolverd_queries_total grew by the 6 queries sent"
is "$(( $(metric "$T/s3" 'resolverd_answers_total{source="hosts"}') - $(metric "$T/s2" 'resolverd_answers_total{source="hosts"}') ))" 5 \
   "hosts answers grew by 5"
is "$(( $(metric "$T/s3" 'resolverd_answers_total{source="forward"}') - $(metric "$T/s2" 'resolverd_answers_total{source="forward"}') ))" 1 \
   "forwarded answers grew by the 1 miss"
cmp_ok "$(metric "$T/s3" resolverd_upstream_queries_total)" -gt "$(metric "$T/s2" resolverd_upstream_queries_total)" \
   "upstream queries grew after a miss"

# --- everything else ---------------------------------------------------------------------------
is "$(status_of "$URL/")" 404 "GET / is 404"
is "$(status_of "$URL/metricsx")" 404 "GET /metricsx is 404"
is "$(status_of "$URL/metrics?x=1")" 200 "GET /metrics?x=1 is 200 (a query string is ignored)"
is "$(status_of -X POST -d x=1 "$URL/metrics")" 405 "POST /metrics is 405"
is "$(status_of -I "$URL/metrics")" 405 "HEAD /metrics is 405"
out=$(printf 'hello\r\n\r\n' | timeout 5 curl -s -m 5 telnet://$METRICS_ADDR:$MP 2>/dev/null | head -n1 | tr -d '\r')
is "$out" "HTTP/1.1 400 Bad Request" "a request line that is not HTTP: 400"
big=$(head -c 9000 /dev/zero | tr '\0' x)
is "$(status_of -H "X-Big: $big" "$URL/metrics")" 431 "a 9 KB request head: 431"

# --- hostile clients never stall DNS ---------------------------------------------------------
# 16 idle connections fill the cap: DNS still answers at once, another scrape is refused, and
# after the 5 s connection timeout a scrape works again.
bg_start $MX hold $METRICS_ADDR "$MP" 16 idle >"$T/hold.out"; HOLD=$BG_PID
wait_until 10 grep -q "held 16" "$T/hold.out"; ok $? "16 idle HTTP connections open"
t0=$(now_ms); dns_ok; ok $? "DNS answers while the connection cap is full"
cmp_ok $(( $(now_ms) - t0 )) -lt 1000 "... within 1 s"
rctl status >/dev/null; ok $? "the control socket answers meanwhile"
is "$(status_of "$URL/metrics")" 000 "a 17th connection is closed without a reply"
wait_until 10 scrape "$T/s4"; ok $? "scrapes work again once the idle clients timed out (5 s)"
bg_stop "$HOLD"
# slow senders (a byte a second, never ending the head) and flooders (a head without end)
bg_start $MX hold $METRICS_ADDR "$MP" 6 slow >"$T/slow.out"; SLOW=$BG_PID
bg_start $MX hold $METRICS_ADDR "$MP" 6 flood >"$T/flood.out"; FLOOD=$BG_PID
wait_until 10 grep -q "held" "$T/slow.out" && wait_until 10 grep -q "held" "$T/flood.out"
ok $? "slow and flooding HTTP clients connected"
slow_ms=0
for i in 1 2 3 4 5; do
    t0=$(now_ms); dns_ok || { slow_ms=99999; break; }
    d=$(( $(now_ms) - t0 )); [ "$d" -gt "$slow_ms" ] && slow_ms=$d
done
cmp_ok "$slow_ms" -lt 1000 "DNS answers within 1 s each while they send (slowest: ${slow_ms} ms)"
wait_until 10 scrape "$T/s5"; ok $? "a scrape works next to them"
bg_stop "$SLOW"; bg_stop "$FLOOD"
# clients scraping in a tight loop (a new connection each time)
bg_start $MX hold $METRICS_ADDR "$MP" 8 scrape >"$T/scrape.out"; HAMMER=$BG_PID
wait_until 10 grep -q "held" "$T/scrape.out"; ok $? "8 clients scraping as fast as they can"
slow_ms=0
for i in 1 2 3 4 5; do
    t0=$(now_ms); dns_ok || { slow_ms=99999; break; }
    d=$(( $(now_ms) - t0 )); [ "$d" -gt "$slow_ms" ] && slow_ms=$d
done
cmp_ok "$slow_ms" -lt 1000 "DNS answers within 1 s each meanwhile (slowest: ${slow_ms} ms)"
bg_stop "$HAMMER"
rd_alive; ok $? "resolverd is still running"

# --- a real Prometheus scrapes it ----------------------------------------------------------
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: resolverd
    static_configs:
      - targets: ['$METRICS_ADDR:$MP']
EOF
promtool check config "$T/prometheus.yml" >/dev/null 2>&1; ok $? "promtool check config"
bg_start prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="$PROM_ADDR:$PP" --log.level=warn 2>"$T/prometheus.log"
PROM=$BG_PID
API="http://$PROM_ADDR:$PP/api/v1"
want=$(stat_get queries.total)
# prom_value QUERY: the first result's value, "" when none (yet)
prom_value() {
    promtool query instant "http://$PROM_ADDR:$PP" "$1" 2>/dev/null | sed -n 's/.* => \([0-9.e+-]*\) @.*/\1/p' | head -n1
}
prom_has_counter() { v=$(prom_value resolverd_queries_total); [ -n "$v" ] && [ "$v" -ge "$want" ]; }
wait_until 60 prom_has_counter
ok $? "Prometheus' API returns resolverd_queries_total ($v, at least $want)" || diag_file "$T/prometheus.log" "prometheus: "
is "$(prom_value 'up{job="resolverd"}')" 1 "Prometheus sees the target up"
rejected=$($MX exprs "$DASHBOARD" "$API")
ok $? "Prometheus accepts every query of the Grafana dashboard" || diag "$rejected"
bg_stop "$PROM"
process_gone "$PROM"; ok $? "Prometheus stopped (by PID)"

# --- the Grafana dashboard -------------------------------------------------------------------
python3 -m json.tool "$DASHBOARD" >/dev/null; ok $? "the dashboard is valid JSON"
missing=$(comm -23 <($MX used "$DASHBOARD" | sort -u) <($MX names "$T/s3" | sort -u))
is "$missing" "" "every metric the dashboard uses exists"

stop_resolverd
done_testing
