#!/usr/bin/env bash
# Loads the signed Slack routes of a running build with wrk (Debian package
# wrk), from a separate process, 16 connections, and prints req/s and the
# latency distribution. Usage: bench/slack.sh [seconds]
# The bot runs against an unreachable Slack API (answers are produced and
# their posts fail fast), so this measures the HTTP side: verification,
# parsing, dedup and the ack.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; cp $tmp/log /tmp/benchlog; rm -rf "$tmp"' EXIT
go build -o "$tmp/supportbot" ./cmd/supportbot
secret=benchsecret
SLACK_BOT_TOKEN=xoxb-bench SLACK_SIGNING_SECRET=$secret SLACK_API_URL=http://127.0.0.1:9/api/ \
  GOMAXPROCS=${GOMAXPROCS:-2} GOGC=${GOGC:-100} GODEBUG=${GODEBUG:-} LISTEN_ADDR=127.0.0.1:18090 DATA_DIR="$tmp/data" RATE_LIMIT_PER_MIN=0 LOG_LEVEL=error \
  ${BOT_CPUS:+taskset -c $BOT_CPUS} "$tmp/supportbot" serve >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf 127.0.0.1:18090/healthz >/dev/null && break; sleep 0.1; done

sign() { # body -> "ts sig"
  local ts; ts=$(date +%s)
  printf '%s %s\n' "$ts" "v0=$(printf 'v0:%s:%s' "$ts" "$1" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.* //')"
}
run() { # name path content-type body
  read -r ts sig < <(sign "$4")
  cat >"$tmp/req.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$4]]
wrk.headers["Content-Type"] = "$3"
wrk.headers["X-Slack-Request-Timestamp"] = "$ts"
wrk.headers["X-Slack-Signature"] = "$sig"
LUA
  echo "== $1"
  ${WRK_CPUS:+taskset -c $WRK_CPUS} wrk -t${WRK_THREADS:-2} -c16 -d"${secs}s" --latency -s "$tmp/req.lua" "http://127.0.0.1:18090$2" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx'
}
run "/checknum (signed slash command)" /slack/commands application/x-www-form-urlencoded \
  "command=%2Fchecknum&text=13812345678&user_id=U1&channel_id=C1&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fr"
run "Events API ack (signed DM; retries of one event_id after the first)" /slack/events application/json \
  '{"type":"event_callback","event_id":"EvBench","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"收不到短信","ts":"1.1"}}'
