#!/usr/bin/env bash
# `make demo`: the 2022-like disaster and its Restore 2, end to end.
#
#   up (Temporal + Web UI, sandbox, worker) on a fresh state; seed FLEET sites;
#   base backups; live traffic to the other tenants; the bad script deleting
#   SITES sites (and 30 apps, correctly); the preflight refusing the original
#   mixed ID list; Restore 2 of the deleted sites; sandbox verify; report.
#   Exits 0 only if every deleted site is verified.
#
#   SITES (883)  FLEET (2000)  RESTORE_OFFSET (20s)  CONCURRENCY (200)
#   KEEP_UP=1 leaves the stack running afterwards (default: stopped)
#   BACKUPS (local): pgbackrest backs the sandbox up with pgBackRest (S3 over TLS)
#   LAZARUS_STATE (.state/demo)  TEMPORAL_PORT (7233)  UI_PORT (8233)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$root/bin:$PATH"
SITES=${SITES:-883}
FLEET=${FLEET:-2000}
RESTORE_OFFSET=${RESTORE_OFFSET:-20s}
CONCURRENCY=${CONCURRENCY:-200}
export BACKUPS=${BACKUPS:-local}
export LAZARUS_STATE=${LAZARUS_STATE:-$root/.state/demo}
export TEMPORAL_PORT=${TEMPORAL_PORT:-7233} UI_PORT=${UI_PORT:-8233}
export TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
export LAZARUS_UI_ADDRESS=${LAZARUS_UI_ADDRESS:-http://localhost:$UI_PORT}
export LAZARUS_PLATFORM=$LAZARUS_STATE/sandbox/platform.yaml
out=$root/out
mkdir -p "$out"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }

say "fresh state in $LAZARUS_STATE (backups: $BACKUPS)"
LAZARUS_STATE=$LAZARUS_STATE scripts/down.sh >/dev/null 2>&1 || true
rm -rf "$LAZARUS_STATE"
go build -o bin/lazarus ./starter
go build -o bin/lazarus-worker ./worker/cmd/lazarus-worker
go build -o bin/lazarus-chaos ./chaos/cmd/lazarus-chaos
go build -o bin/lazarus-contacts-check ./sandbox/cmd/lazarus-contacts-check
t0=$(secs)
scripts/up.sh
trap '[ "${KEEP_UP:-0}" = 1 ] || scripts/down.sh' EXIT

say "seed $FLEET sites"
lazarus sandbox seed --sites "$FLEET"

say "base backups"
lazarus sandbox backup

# The policy restores every site to 5 minutes before its deletion. The
# backups were taken seconds ago, so the demo uses a shorter offset and
# waits that long after the backups, so that every restore point lies
# after them.
say "waiting $RESTORE_OFFSET: this demo restores to $RESTORE_OFFSET before each deletion (the policy's 5m would mean waiting 5 minutes after the backups)"
sleep "$(awk -v d="$RESTORE_OFFSET" 'BEGIN { n = d + 0; if (d ~ /m$/) n *= 60; print n + 2 }')"

say "live traffic to the other tenants"
nohup lazarus sandbox traffic --rate 20 --duration 1h >"$LAZARUS_STATE/logs/traffic.log" 2>&1 &
echo $! >"$LAZARUS_STATE/pids/traffic"

say "the disaster: the bad script, like 2022 ($SITES site IDs where app IDs were meant)"
ids=$LAZARUS_STATE/disaster-ids.txt
lazarus sandbox disaster --like-2022 --sites "$SITES" --write-ids "$ids"
echo "the script's list: $(wc -l <"$ids") IDs in $ids"

say "the guard: the preflight must refuse the script's original mixed list (apps among sites)"
set +e
lazarus restore start --runbook restore2 --ids-file "$ids" --restore-offset "$RESTORE_OFFSET" --dry-run 2>&1 | tail -n 12
guard=${PIPESTATUS[0]}
set -e
if [ "$guard" != 1 ]; then
  echo "demo: FAILED: the preflight did not refuse the mixed list (exit $guard)" >&2
  exit 1
fi
echo "preflight refused the mixed list (exit 1), as it must: nothing was started"

say "Restore 2 of the deleted sites"
deleted=$LAZARUS_STATE/deleted-sites.txt
lazarus sandbox ids --kind site --deleted >"$deleted"
n=$(wc -l <"$deleted")
batch=demo-$(date -u +%Y%m%d-%H%M%S)
lazarus restore start --runbook restore2 --ids-file "$deleted" --restore-offset "$RESTORE_OFFSET" --concurrency "$CONCURRENCY" --dry-run |
  sed -n '/^Clones/,/^$/p;/^Critical path/,$p'
tr=$(secs)
# The window's occupancy, sampled every 2 s while the batch runs: how many
# sites run, how many wait, and which run of the batch holds them (a
# handover to the next run must not empty the window); and how many sites
# have finished and the ETA the batch reports (BatchProgress.ETA, in
# nanoseconds in the JSON), to measure the ETA's error.
occ=$out/demo-occupancy.tsv
printf 'seconds\trun\trunning\tqueued\tfinished\teta_seconds\n' >"$occ"
(
  while sleep 2; do
    j=$(lazarus batch status "$batch" -o json 2>/dev/null) || continue
    num() { printf '%s' "$j" | grep -o "\"$1\": *[0-9]*" | head -1 | grep -o '[0-9]*$' || echo 0; }
    # Finished: every site neither in the window nor queued.
    finished=$(( $(num sites_total) - $(num running) - $(num parked) - $(num waiting) - $(num queued) ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(elapsed "$tr")" "$(num runs)" "$(num running)" "$(num queued)" \
      "$finished" "$(awk -v ns="$(num eta)" 'BEGIN { printf "%.1f", ns / 1e9 }')" >>"$occ"
  done
) &
sampler=$!
# Every step's recovery wait (from a failed or lost attempt to the attempt
# that could run after it), measured as `make chaos` measures it: sampled
# while the batch runs, read from the histories when it closes.
waits=$out/demo-waits.json
lazarus-chaos observe --batch "$batch" --json "$waits" >"$out/demo-waits.txt" 2>&1 &
observer=$!
# The people to tell (issue 15): while the batch runs, every 2 s until it
# answers (at most 5 minutes), `batch contacts` lists the admins of every
# deleted site, read from the batch's clone (the restore point); each
# attempt's answer goes to demo-contacts.txt with the seconds since the
# restore was started (preflight included: an upper bound of the time since
# the batch's start); the list is checked against the truth after the restore.
contacts=$out/demo-contacts.csv
rm -f "$contacts" "$out/demo-contacts.txt"
(
  while sleep 2; do
    if lazarus batch contacts "$batch" --format csv >"$contacts.part" 2>"$contacts.err"; then
      mv "$contacts.part" "$contacts"
      printf '%ss: %s\nCONTACTS_SECONDS=%s\n' "$(elapsed "$tr")" "$(tail -n 1 "$contacts.err")" "$(elapsed "$tr")" >>"$out/demo-contacts.txt"
      break
    fi
    printf '%ss: %s\n' "$(elapsed "$tr")" "$(tail -n 1 "$contacts.err")" >>"$out/demo-contacts.txt"
    awk -v a="$tr" -v b="$(secs)" 'BEGIN { exit !(b - a > 300) }' && break
  done
  rm -f "$contacts.part" "$contacts.err"
) &
contacts_poller=$!
# What `batch watch` shows while the batch runs (issue 15): its JSON lines,
# one every 5 s, from the moment the batch answers; after the restore, the
# spread between the stage bars while sites ran (the per-stage bars count
# the steps done in running sites, so they differ).
watchlog=$out/demo-watch.jsonl
rm -f "$watchlog"
(
  until lazarus batch status "$batch" >/dev/null 2>&1; do sleep 1; done
  exec lazarus batch watch "$batch" -o json --interval 5s >"$watchlog" 2>/dev/null
) &
json_watcher=$!
set +e
lazarus restore start --runbook restore2 --ids-file "$deleted" --restore-offset "$RESTORE_OFFSET" \
  --batch-id "$batch" --concurrency "$CONCURRENCY" --wait --auto-approve demo-customer
restore_rc=$?
set -e
kill "$sampler" 2>/dev/null || true
restore_s=$(elapsed "$tr")
# It ends when the batch closes; a watch that gave up leaves the batch
# running: the observer then measures what ran so far.
[ "$restore_rc" = 0 ] || kill -TERM "$observer" 2>/dev/null || true
wait "$observer" || true
recovery=$(tail -n 1 "$out/demo-waits.txt")
wait "$contacts_poller" || true
kill "$json_watcher" 2>/dev/null || true
# The widest spread between two stages' bars (percent of their steps done,
# finished and running sites together) in a snapshot while sites ran, and
# how many such snapshots had bars that differed.
stages_line=$(awk '/"workflow":"running"/ && /"running":[1-9]/ {
    i = index($0, "\"stages\":["); if (i == 0) next; line = substr($0, i)
    lo = 101; hi = -1; rlo = -1; rhi = -1
    while (match(line, /"finished":[0-9]+,"running":[0-9]+,"total":[0-9]+/)) {
      split(substr(line, RSTART, RLENGTH), f, /[:,]/); line = substr(line, RSTART + RLENGTH)
      if (f[6] > 0) { p = 100 * (f[2] + f[4]) / f[6]; if (p < lo) lo = p; if (p > hi) hi = p }
      if (rlo < 0 || f[4] < rlo) rlo = f[4]; if (f[4] > rhi) rhi = f[4]
    }
    if (hi >= 0) { n++; if (hi - lo > 0.05) d++; if (hi - lo > w) w = hi - lo
      if (rhi - rlo > rw) { rw = rhi - rlo; rl = rlo; rh = rhi } }
  }
  END { printf "%d of %d snapshots while sites ran had stage bars that differ (widest spread %.1f points); at the widest, one stage had %d steps done in running sites and another %d", d, n, w, rl, rh }' "$watchlog" 2>/dev/null) || stages_line="no snapshot"
contacts_s=$(sed -n 's/^CONTACTS_SECONDS=//p' "$out/demo-contacts.txt" | tail -n 1)
# Through each handover (a sample whose run differs from the one before),
# and over the whole time sites were queued: the fewest sites running.
occupancy=$(awk -F'\t' 'NR > 2 && $4 > 0 { if (min == "" || $3 < min) min = $3; sum += $3; n++ }
  NR > 2 && $2 != prev && prev != "" { h = h sprintf(" run %s->%s: %s->%s running;", prev, $2, last, $3) }
  NR > 1 { prev = $2; last = $3 }
  END { if (n) printf "while sites were queued: %s samples, fewest running %s, mean %.0f;%s", n, min, sum / n, h
        else printf "no site waited in the queue (the window holds them all);%s", h }' "$occ")
sites_per_s=$(awk -v n="$n" -v s="$restore_s" 'BEGIN { if (s > 0) printf "%.2f", n / s }')
# The ETA's error when 10% of the sites had finished: the first sample at
# or past 10%, its ETA against the time the restore actually took from
# then on (|eta - actual| / actual).
read -r eta_error eta_at10 actual_at10 finished_at10 t_at10 < <(awk -F'\t' -v n="$n" -v end="$restore_s" '
  NR > 1 && n > 0 && $5 >= 0.1 * n { rem = end - $1; if (rem <= 0) exit
    e = $6 - rem; if (e < 0) e = -e
    printf "%.3f %.1f %.1f %d %.1f\n", e / rem, $6, rem, $5, $1; exit }' "$occ") || true
if [ -n "${eta_error:-}" ]; then
  eta_line="at 10% ($finished_at10 of $n sites finished, ${t_at10}s in) the ETA said ${eta_at10}s, the rest took ${actual_at10}s: error $eta_error"
else
  eta_error= eta_at10= actual_at10=
  eta_line="no sample had 10% of the sites finished before the restore ended"
fi
echo "RESTORE_SECONDS=$restore_s SITES=$n SITES_PER_SECOND=$sites_per_s"

kill "$(cat "$LAZARUS_STATE/pids/traffic")" 2>/dev/null || true
sleep 1

say "verify every deleted site against the truth (and every other tenant untouched)"
set +e
# The script's app IDs were meant to be deleted: they must stay deleted.
intended=$LAZARUS_STATE/intended-apps.txt
grep -vxFf "$deleted" "$ids" >"$intended" || true
lazarus sandbox verify --ids-file "$deleted" --intended-file "$intended" | tail -n 25
verify_rc=${PIPESTATUS[0]}
set -e

say "contacts: the admins listed during the batch against the truth"
set +e
if [ -s "$contacts" ]; then
  lazarus-contacts-check --contacts "$contacts" --ids-file "$deleted" | tee -a "$out/demo-contacts.txt"
  contacts_rc=${PIPESTATUS[0]}
else
  echo "no answer from lazarus batch contacts (attempts in $out/demo-contacts.txt)"; contacts_rc=1
fi
set -e
contacts_n=$(awk 'END { print (NR > 0 ? NR - 1 : 0) }' "$contacts" 2>/dev/null || echo 0)
contacts_when=${contacts_s:+${contacts_s}s after the restore started}
contacts_line="$contacts_n admins listed ${contacts_when:-never}, checked against the truth: exit $contacts_rc ($contacts)"

say "report"
lazarus report "$batch" --format md --out "$out/demo-report.md"
lazarus report "$batch" --format html --out "$out/demo-report.html"

# The worker's peak resident memory, read before the stack is stopped.
worker_rss=$(awk '/^VmHWM:/ { printf "%d", $2 * 1024 }' "/proc/$(cat "$LAZARUS_STATE/pids/worker" 2>/dev/null)/status" 2>/dev/null) || worker_rss=
rss_line=${worker_rss:+$(awk -v b="$worker_rss" 'BEGIN { printf "%.0f MiB", b / 1048576 }')}

say "summary"
cat <<MSG
  disaster        $(wc -l <"$ids") IDs deleted by the script ($n sites)
  guard           the mixed list was refused (exit 1)
  restore         batch $batch: $n sites in ${restore_s}s, ${sites_per_s:-?} sites/s (watch exit $restore_rc), restore offset $RESTORE_OFFSET (demo; policy 5m)
  ETA             $eta_line
  window          $CONCURRENCY sites; $occupancy (samples in $occ)
  recovery        $recovery (every wait and each action's times in $waits)
  worker          peak RSS ${rss_line:-unknown (no worker pid)}
  verify          exit $verify_rc
  contacts        $contacts_line
  stage bars      $stages_line ($watchlog)
  report          $out/demo-report.md, $out/demo-report.html
  Web UI          $LAZARUS_UI_ADDRESS/namespaces/default/workflows/lazarus-batch-$batch
  total           $(elapsed "$t0")s
MSG
cat >"$out/demo-summary.txt" <<MSG
BATCH=$batch
SITES=$n
RESTORE_SECONDS=$restore_s
RESTORE_SITES_PER_SECOND=$sites_per_s
ETA_ERROR_AT_10PCT=$eta_error
ETA_AT_10PCT_SECONDS=$eta_at10
ACTUAL_AT_10PCT_SECONDS=$actual_at10
WORKER_PEAK_RSS_BYTES=$worker_rss
RESTORE_RC=$restore_rc
VERIFY_RC=$verify_rc
CONTACTS_SECONDS=$contacts_s
CONTACTS_RC=$contacts_rc
RECOVERY="$recovery"
STAGE_BARS="$stages_line"
MSG
if [ "$contacts_rc" != 0 ] || ! awk -v s="${contacts_s:-999}" 'BEGIN { exit !(s <= 120) }'; then
  echo "demo: FAILED: lazarus batch contacts did not list every deleted site's admins, checked against the truth, within 120 s ($contacts_line)" >&2
  exit 1
fi
if [ "$restore_rc" != 0 ] || [ "$verify_rc" != 0 ]; then
  echo "demo: FAILED (restore exit $restore_rc, verify exit $verify_rc)" >&2
  exit 1
fi
echo "demo: every one of the $n sites restored and verified"
