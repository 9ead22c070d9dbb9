#!/usr/bin/env bash
# Side-by-side load test: supportbot and Slack's Bolt for JS (bench/bolt),
# on this machine at the same time, with wrk (Debian package) from a
# separate process at 16 connections. Prints the median of several short
# rounds for each route, the ratio to Bolt, resident memory, and the time
# from start to ready.
#
#   bench/run.sh [rounds] [seconds]        (default: 3 rounds of 5 s)
#
# On two or more cores, the programs under test (the bot, Bolt) run on CPU 1 and the load
# (wrk, the fake Slack API) on CPU 0, so that the load generator and the server do not
# take time slices from each other: unpinned, even a minimal Go server's p99 is set by that
# contention (see the control line). PIN=0 runs everything unpinned.
# The control lines are a minimal Go server under the same loads (benchtool control): what
# the machine, the kernel and wrk allow at that moment; "control answering" also posts an
# answer of the bot's size to the fake Slack API for every event, the floor for the acks'
# latency while answers are being produced.
#
# Knobs: PROFILE_DIR (save the bot's CPU profiles of each load and its heap
# at the end, for go tool pprof), WRK_THREADS (1: wrk keeps to one of the two cores), EVENTS_DELAY_MS
# (3: the paced events round offers about 16 x 1000/3 = 5,300 events/s), EVENTS_LIGHT_DELAY_MS
# (8: a lighter paced round, about 2,000 events/s, for the ack latency at a moderate load), GOMAXPROCS (unset: all cores), LOG_LEVEL (info:
# logging stays on), SKIP_BOLT=1.
# The bot talks to a fake Slack Web API (benchtool fakeslack) that counts
# the answers it receives, so "events answered" is measured end to end:
# signed event in, answer posted to the API.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-5}
threads=${WRK_THREADS:-1}
delay=${EVENTS_DELAY_MS:-3}
light=${EVENTS_LIGHT_DELAY_MS:-8}
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
server=() load=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server=(taskset -c 1) load=(taskset -c 0)
fi
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/supportbot" ./cmd/supportbot
go build -o "$tmp/benchtool" ./bench/benchtool
secret=benchsecret
bot=127.0.0.1:18090 bolt=127.0.0.1:18091 fake=127.0.0.1:18092 control=127.0.0.1:18094 answering=127.0.0.1:18095

"${load[@]}" "$tmp/benchtool" fakeslack -addr $fake >"$tmp/fake.log" 2>&1 & pids+=($!)
"${server[@]}" "$tmp/benchtool" control -addr $control >/dev/null 2>&1 & pids+=($!)
"${server[@]}" "$tmp/benchtool" control -addr $answering -answers http://$fake/api/ >/dev/null 2>&1 & pids+=($!)
export SLACK_BOT_TOKEN=xoxb-bench SLACK_SIGNING_SECRET=$secret SLACK_API_URL=http://$fake/api/ \
  LISTEN_ADDR=$bot DATA_DIR="$tmp/data" RATE_LIMIT_PER_MIN=0 LOG_LEVEL=${LOG_LEVEL:-info}
for _ in $(seq 50); do curl -sf $fake/stats >/dev/null && break; sleep 0.1; done

# Ready to serve: process start until GET /healthz answers (median of 5).
readies=()
for _ in 1 2 3 4 5; do
  rm -rf "$tmp/data"
  readies+=("$("$tmp/benchtool" ready -url http://$bot/healthz -- "${server[@]}" "$tmp/supportbot" serve 2>/dev/null)")
done
ready_ms=$(printf '%s\n' "${readies[@]}" | sort -n | sed -n 3p)

rm -rf "$tmp/data"
debug=127.0.0.1:18093
DEBUG_ADDR=${PROFILE_DIR:+$debug} "${server[@]}" "$tmp/supportbot" serve >"$tmp/bot.log" 2>&1 & botpid=$!; pids+=($botpid)
for _ in $(seq 50); do curl -sf $bot/healthz >/dev/null && break; sleep 0.1; done

if [ -z "${SKIP_BOLT:-}" ]; then
  if [ ! -d bench/bolt/node_modules ]; then (cd bench/bolt && npm ci --silent --no-audit --no-fund >/dev/null); fi
  PORT=${bolt##*:} "${server[@]}" node bench/bolt/app.js >"$tmp/bolt.log" 2>&1 & pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null $bolt/ && break; sleep 0.1; done
fi

sign() { # body -> lua header lines
  local ts; ts=$(date +%s)
  printf 'wrk.headers["X-Slack-Request-Timestamp"] = "%s"\nwrk.headers["X-Slack-Signature"] = "v0=%s"\n' "$ts" \
    "$(printf 'v0:%s:%s' "$ts" "$1" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.* //')"
}
checknum='command=%2Fchecknum&text=13812345678&user_id=U1&channel_id=C1&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fr'
{ echo 'wrk.method = "POST"'; echo "wrk.body = [[$checknum]]"
  echo 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"'; sign "$checknum"; } >"$tmp/checknum.lua"
{ echo 'wrk.method = "POST"'; echo 'wrk.body = [[{"user":"bench","text":"短信被拦截了怎么办"}]]'
  echo 'wrk.headers["Content-Type"] = "application/json"'; } >"$tmp/chat.lua"
cat >"$tmp/events.lua" <<'LUA'
-- Each thread sends its share of distinct pre-signed events (benchtool events).
local threads, reqs, i = {}, {}, 0
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
function init(args)
  local n, k = tonumber(os.getenv("WRK_THREADS") or "2"), 0
  for line in io.lines(os.getenv("EVENTS_FILE")) do
    if k % n == tid then
      local ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", "/slack/events", {["Content-Type"] = "application/json",
        ["X-Slack-Request-Timestamp"] = ts, ["X-Slack-Signature"] = sig}, body)
    end
    k = k + 1
  end
end
function request() i = i % #reqs + 1; return reqs[i] end
-- Paced: each connection waits EVENTS_DELAY_MS between requests (0: as fast as it can).
local pause = tonumber(os.getenv("EVENTS_DELAY_MS") or "0")
if pause > 0 then function delay() return pause end end
LUA

# load NAME URL SCRIPT -> "req/s p99_ms non2xx"
load() {
  if [ -n "${PROFILE_DIR:-}" ] && [ "$2" != "${2#http://$bot}" ]; then
    mkdir -p "$PROFILE_DIR"
    # In the background, but holding load's output open: the caller's read
    # returns once the profile is written too.
    (sleep 1; curl -s -o "$PROFILE_DIR/cpu-$1.pprof" "http://$debug/debug/pprof/profile?seconds=$((secs - 2 > 1 ? secs - 2 : 1))") &
  fi
  local out; out=$(WRK_THREADS=$threads "${load[@]}" wrk -t"$threads" -c16 -d"${secs}s" --latency -s "$3" "$2")
  echo "$out" >>"$tmp/wrk.log"
  local rps p99 bad
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $5}'); bad=${bad:-0}
  echo "$rps $p99 $bad"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A R
for r in $(seq "$rounds"); do
  read -r R[ctl_rps_$r] R[ctl_p99_$r] _ < <(load control http://$control/slack/commands "$tmp/checknum.lua")
  read -r R[go_rps_$r] R[go_p99_$r] _ < <(load checknum http://$bot/slack/commands "$tmp/checknum.lua")
  if [ -z "${SKIP_BOLT:-}" ]; then
    read -r R[bolt_rps_$r] R[bolt_p99_$r] _ < <(load bolt http://$bolt/slack/commands "$tmp/checknum.lua")
  fi
  # Events: distinct ids, so every one is answered through the fake API.
  "$tmp/benchtool" events -n $((40000 * secs)) -secret $secret -prefix "R${r}E" >"$tmp/events.txt"
  # Paced at about 16 x 1000/EVENTS_DELAY_MS events/s: the ack latency
  # while answers are being produced, and whether every event is answered.
  curl -s -X POST $fake/reset
  read -r R[ev_rps_$r] R[ev_p99_$r] R[ev_bad_$r] < <(EVENTS_DELAY_MS=$delay EVENTS_FILE="$tmp/events.txt" load events http://$bot/slack/events "$tmp/events.lua")
  prev=-1; while :; do read -r n s < <(curl -s $fake/stats); [ "$n" = "$prev" ] && break; prev=$n; sleep 1; done
  R[e2e_$r]=$(awk -v n="$n" -v s="$s" 'BEGIN {printf "%.0f", (s > 0 ? n / s : 0)}')
  R[answered_$r]=$n
  # The yardstick under the same paced loads: the floor that the machine,
  # the kernel and wrk set for the acks' p99 at this moment.
  read -r R[cev_rps_$r] R[cev_p99_$r] _ < <(EVENTS_DELAY_MS=$delay EVENTS_FILE="$tmp/events.txt" load control-events http://$control/slack/events "$tmp/events.lua")
  read -r R[clt_rps_$r] R[clt_p99_$r] _ < <(EVENTS_DELAY_MS=$light EVENTS_FILE="$tmp/events.txt" load control-light http://$control/slack/events "$tmp/events.lua")
  # And the yardstick that also posts an answer per event (benchtool control
  # -answers): the floor for acks while answers are being produced.
  read -r R[cav_rps_$r] R[cav_p99_$r] _ < <(EVENTS_DELAY_MS=$delay EVENTS_FILE="$tmp/events.txt" load answering-events http://$answering/slack/events "$tmp/events.lua")
  read -r R[calt_rps_$r] R[calt_p99_$r] _ < <(EVENTS_DELAY_MS=$light EVENTS_FILE="$tmp/events.txt" load answering-light http://$answering/slack/events "$tmp/events.lua")
  # The same at a lighter load: the acks' latency when the CPU is not
  # mostly busy answering.
  "$tmp/benchtool" events -n $((40000 * secs)) -secret $secret -prefix "R${r}L" >"$tmp/events.txt"
  read -r R[lt_rps_$r] R[lt_p99_$r] R[lt_bad_$r] < <(EVENTS_DELAY_MS=$light EVENTS_FILE="$tmp/events.txt" load light http://$bot/slack/events "$tmp/events.lua")
  prev=-1; while :; do read -r n s < <(curl -s $fake/stats); [ "$n" = "$prev" ] && break; prev=$n; sleep 1; done
  # Flooded: as fast as wrk can send; what the bot answers per second when
  # it cannot keep up (the rest get 503, which Slack retries).
  "$tmp/benchtool" events -n $((40000 * secs)) -secret $secret -prefix "R${r}F" >"$tmp/events.txt"
  curl -s -X POST $fake/reset
  read -r R[fl_rps_$r] R[fl_p99_$r] R[fl_bad_$r] < <(EVENTS_DELAY_MS=0 EVENTS_FILE="$tmp/events.txt" load flood http://$bot/slack/events "$tmp/events.lua")
  prev=-1; while :; do read -r n s < <(curl -s $fake/stats); [ "$n" = "$prev" ] && break; prev=$n; sleep 1; done
  R[fl_e2e_$r]=$(awk -v n="$n" -v s="$s" 'BEGIN {printf "%.0f", (s > 0 ? n / s : 0)}')
  read -r R[web_rps_$r] R[web_p99_$r] _ < <(load web http://$bot/api/chat "$tmp/chat.lua")
done
if [ -n "${PROFILE_DIR:-}" ]; then
  curl -s -o "$PROFILE_DIR/heap.pprof" "http://$debug/debug/pprof/heap"
  curl -s -o "$PROFILE_DIR/memstats.txt" "http://$debug/debug/pprof/heap?debug=1"
  cp /proc/$botpid/smaps_rollup "$PROFILE_DIR/smaps_rollup.txt"
  cp "$tmp/supportbot" "$PROFILE_DIR/supportbot"
  echo "profiles in $PROFILE_DIR: go tool pprof $PROFILE_DIR/supportbot $PROFILE_DIR/cpu-checknum.pprof"
fi
rss_peak=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$botpid/status)
rss_now=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$botpid/status)

m() { for r in $(seq "$rounds"); do echo "${R[${1}_$r]:-0}"; done | median; }
all() { for r in $(seq "$rounds"); do printf '%s ' "${R[${1}_$r]:-0}"; done; }
echo
pinning="unpinned"; [ ${#server[@]} -gt 0 ] && pinning="servers on CPU 1, wrk and fake API on CPU 0"
echo "supportbot vs Bolt for JS: $rounds rounds of ${secs}s, wrk -t$threads -c16, $(nproc) cores, $pinning, medians"
printf '%-44s %10s %9s\n' route req/s p99_ms
printf '%-44s %10s %9s\n' "control: minimal Go server, same request" "$(m ctl_rps)" "$(m ctl_p99)"
printf '%-44s %10s %9s\n' "/checknum, supportbot" "$(m go_rps)" "$(m go_p99)"
if [ -z "${SKIP_BOLT:-}" ]; then
  printf '%-44s %10s %9s\n' "/checknum, Bolt for JS $(node -p 'require("./bench/bolt/node_modules/@slack/bolt/package.json").version')" "$(m bolt_rps)" "$(m bolt_p99)"
  awk -v a="$(m go_rps)" -v b="$(m bolt_rps)" 'BEGIN {printf "%-44s %9.1fx\n", "/checknum ratio supportbot/Bolt", a / b}'
fi
printf '%-44s %10s %9s   (503 busy: %s)\n' "Events API ack, paced (${delay} ms per connection)" "$(m ev_rps)" "$(m ev_p99)" "$(m ev_bad)"
printf '%-44s %10s   (answers posted: %s)\n' "  answered end to end, per second" "$(m e2e)" "$(m answered)"
printf '%-44s %10s %9s   (503 busy: %s)\n' "Events API ack, paced (${light} ms per connection)" "$(m lt_rps)" "$(m lt_p99)" "$(m lt_bad)"
printf '%-44s %10s %9s\n' "  control, paced (${delay} ms per connection)" "$(m cev_rps)" "$(m cev_p99)"
printf '%-44s %10s %9s\n' "  control, paced (${light} ms per connection)" "$(m clt_rps)" "$(m clt_p99)"
printf '%-44s %10s %9s\n' "  control answering, paced (${delay} ms)" "$(m cav_rps)" "$(m cav_p99)"
printf '%-44s %10s %9s\n' "  control answering, paced (${light} ms)" "$(m calt_rps)" "$(m calt_p99)"
printf '%-44s %10s %9s   (503 busy: %s)\n' "Events API ack, flooded" "$(m fl_rps)" "$(m fl_p99)" "$(m fl_bad)"
printf '%-44s %10s\n' "  answered end to end, per second" "$(m fl_e2e)"
printf '%-44s %10s %9s\n' "web POST /api/chat" "$(m web_rps)" "$(m web_p99)"
echo "resident memory: peak ${rss_peak} MB, now ${rss_now} MB"
echo "ready to serve after start: ${ready_ms} ms (median of 5: ${readies[*]})"
echo "each round, p99 ms: control $(all ctl_p99)| /checknum $(all go_p99)| events paced $(all ev_p99)| lighter $(all lt_p99)| control paced $(all cev_p99)/ $(all clt_p99)| control answering $(all cav_p99)/ $(all calt_p99)| web $(all web_p99)"
grep -c 'level=ERROR' "$tmp/bot.log" | xargs echo "bot log errors:"
grep 'level=ERROR' "$tmp/bot.log" | cut -c1-300 | sort | uniq -c | sort -rn | head -5
