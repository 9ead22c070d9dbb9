#!/usr/bin/env bash
# Alternating A/B rounds of one Events API load against two or more builds
# of the bot, each round on a fresh bot (fresh exchange log), so that the
# machine's slow spells hit every build alike. Prints each build's per-round
# figures and their median. This is how the README's "alternating rounds"
# figures were measured.
#
#   bench/ab.sh ROUNDS BIN_A BIN_B ...       (binaries built with go build ./cmd/supportbot)
#
# A BIN may also be "control" or "control-answering": run.sh's yardsticks
# (benchtool control, without or with an answer posted per event), in the
# same rounds, as the floor the machine sets at that moment.
#
# Knobs: EVENTS_DELAY_MS (8: paced, about 16 x 1000/8 = 2,000 events/s; the
# figure is the ack p99 in ms; 0: flooded, the figure is events answered end
# to end per second), SECS (4), LOAD (events; checknum: the signed /checknum
# of run.sh at full speed instead, the figure is requests per second). The
# bot runs on CPU 1, wrk and the fake Slack API on CPU 0, as in run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,15p "$0"; exit 2; }
rounds=$1; shift
delay=${EVENTS_DELAY_MS:-8} secs=${SECS:-4} secret=benchsecret mode=${LOAD:-events}
case "$mode" in events | checknum) ;; *) echo "LOAD is events or checknum"; exit 2 ;; esac
bot=127.0.0.1:18090 fake=127.0.0.1:18092
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
server=() load=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then server=(taskset -c 1) load=(taskset -c 0); fi
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/benchtool" ./bench/benchtool
"${load[@]}" nice -n 19 "$tmp/benchtool" fakeslack -addr $fake >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 50); do curl -sf $fake/stats >/dev/null && break; sleep 0.1; done
# The same Lua script as run.sh: distinct pre-signed events, paced per connection.
sed -n '/^cat >"\$tmp\/events.lua" <<.LUA.$/,/^LUA$/p' bench/run.sh | sed '1d;$d' >"$tmp/events.lua"

declare -A res
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    rm -rf "$tmp/data"
    case "$bin" in
      control) cmd=("$tmp/benchtool" control -addr $bot) ;;
      control-answering) cmd=("$tmp/benchtool" control -addr $bot -answers "http://$fake/api/") ;;
      *) cmd=("$bin" serve) ;;
    esac
    SLACK_BOT_TOKEN=xoxb-bench SLACK_SIGNING_SECRET=$secret SLACK_API_URL=http://$fake/api/ LISTEN_ADDR=$bot \
      DATA_DIR="$tmp/data" RATE_LIMIT_PER_MIN=0 "${server[@]}" "${cmd[@]}" >"$tmp/bot.log" 2>&1 & botpid=$!
    for _ in $(seq 50); do curl -sf $bot/healthz >/dev/null && break; sleep 0.1; done
    if [ "$mode" = checknum ]; then
      # The same request as run.sh's /checknum, signed now (the signature
      # is good for 5 minutes).
      body='command=%2Fchecknum&text=13812345678&user_id=U1&channel_id=C1&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fr'
      ts=$(date +%s)
      sig=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.* //')
      printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.headers["X-Slack-Request-Timestamp"] = "%s"\nwrk.headers["X-Slack-Signature"] = "v0=%s"\n' \
        "$body" "$ts" "$sig" >"$tmp/checknum.lua"
      out=$("${load[@]}" wrk -t1 -c16 -d"${secs}s" -s "$tmp/checknum.lua" http://$bot/slack/commands)
      v=$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
      res[$bin]="${res[$bin]:-} $v"
      kill $botpid; wait $botpid 2>/dev/null || true
      continue
    fi
    "$tmp/benchtool" events -n $((20000 * secs)) -secret $secret -prefix "AB${r}x$RANDOM" >"$tmp/events.txt"
    curl -s -X POST $fake/reset
    out=$(WRK_THREADS=1 EVENTS_DELAY_MS=$delay EVENTS_FILE="$tmp/events.txt" "${load[@]}" wrk -t1 -c16 -d"${secs}s" --latency -s "$tmp/events.lua" http://$bot/slack/events)
    if [ "$delay" = 0 ]; then
      prev=-1; while :; do read -r n s < <(curl -s $fake/stats); [ "$n" = "$prev" ] && break; prev=$n; sleep 1; done
      v=$(awk -v n="$n" -v s="$s" 'BEGIN {printf "%.0f", (s > 0 ? n / s : 0)}')
    else
      v=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
    fi
    res[$bin]="${res[$bin]:-} $v"
    kill $botpid; wait $botpid 2>/dev/null || true
  done
done
what="ack p99 ms, paced ${delay} ms per connection"; [ "$delay" = 0 ] && what="events answered end to end per second, flooded"
[ "$mode" = checknum ] && what="signed /checknum, requests per second"
echo "$what, $rounds alternating rounds of ${secs}s, each on a fresh bot:"
for bin in "$@"; do
  printf '%s:%s | median %s\n' "$bin" "${res[$bin]}" "$(printf '%s\n' ${res[$bin]} | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done
