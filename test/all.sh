#!/usr/bin/env bash
# `make test`: the build and the local cluster's start side by side, then the e2e tests against the
# cluster, while the unit tests and the static checks (type-check, lint, API reference) run beside all of
# it at the lowest CPU priority (nice 19): they use what the brokers' start and the e2e tests leave idle
# (waiting out faults, on the brokers) and take almost nothing from them. Their output is printed at the
# end; the run fails if either part does.
#
# The fault tests (vitest project e2e-faults: the files that stop brokers or the registry) spend most of
# their minutes waiting out the outages they make, and may not share a cluster with the other files. When
# test/e2e/config/e2e.toml names the local cluster and a network namespace can be made (unshare --net,
# as root), they run on a second local cluster of their own inside that namespace — the same ports on its
# own 127.0.0.1, its state in .kafka/faults (KAFKA_STATE_DIR, kafka/cluster.sh) — at the same time as the
# e2e project runs on the first; their output follows the e2e project's. Otherwise both projects run one
# after the other on the one cluster, as `make test-e2e` runs them.
#
# The main cluster is started only when e2e.toml names the local one and it is not running; a cluster
# started here starts on fresh storage (the e2e files never delete the topics they create, and brokers
# carrying the topics of earlier runs spend CPU on them that the tests need) and is stopped again when
# the run ends, pass or fail (EKAFKA_KEEP_CLUSTER=1 keeps it; a running cluster is used as it is). The
# fault tests' cluster is this run's own: it starts on fresh storage and is always stopped at the end,
# also on failure or Ctrl-C (its logs stay in .kafka/faults/logs until the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

config=test/e2e/config/e2e.toml
[ -f "$config" ] || cp test/e2e/config/example.toml "$config"

names_local_cluster() {
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { parse } from "smol-toml";
    const local = new Set(["9091", "9092", "9093"].flatMap((p) => [`127.0.0.1:${p}`, `localhost:${p}`]));
    const brokers = parse(readFileSync(process.argv[1], "utf8")).kafka?.brokers ?? [];
    process.exit(brokers.length > 0 && brokers.every((b) => local.has(b)) ? 0 : 1);
  ' "$config"
}

# The brokers of a test run: the serial collector and the client compiler only. On two cores, G1's
# background threads and the C2 compiler took CPU the tests need (brokers' CPU over a whole run: 431 s
# with the default G1 + C2, 294 s with these), and the brokers the fault tests restart come up sooner.
# Given to both clusters this run starts, and so to the restarts their tests make (kafka/cluster.sh
# start-broker inherits it).
test_jvm_opts=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}

# --- The fault tests' cluster, in a network namespace of its own --------------------------------------

faults_state=${KAFKA_HOME_DIR:-$PWD/.kafka}/faults
faults_ns_holder="" # the process that keeps the namespace open until the end of the run
faults_ns=""        # the namespace's identity (net:[inode]), to find every process in it
faults_pid=""       # the background job that starts the faults cluster and runs the fault tests

# Makes the namespace, kept open by a process of its own; fails where none can be made (not root, a
# container that forbids it, no unshare).
make_faults_namespace() {
  command -v unshare >/dev/null && command -v nsenter >/dev/null && command -v ip >/dev/null || return 1
  unshare --net sh -c 'ip link set lo up && exec sleep infinity' </dev/null >/dev/null 2>&1 &
  faults_ns_holder=$!
  # Not a job of this shell: it is killed at the end, and bash would report that ("Killed").
  disown "$faults_ns_holder"
  # The holder turns into `sleep` only after the namespace's loopback is up: that is the sign it is ready.
  for _ in $(seq 1 50); do
    if [ "$(ps -o comm= -p "$faults_ns_holder" 2>/dev/null)" = sleep ]; then
      faults_ns=$(readlink "/proc/$faults_ns_holder/ns/net")
      [ "$faults_ns" != "$(readlink /proc/self/ns/net)" ] && return 0
      break
    fi
    kill -0 "$faults_ns_holder" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$faults_ns_holder" 2>/dev/null || true
  faults_ns_holder="" faults_ns=""
  return 1
}

# Runs a command in the namespace, on the faults cluster (kafka/cluster.sh, and the tests' calls of it,
# act on the cluster whose state is in KAFKA_STATE_DIR) with the test run's JVM flags.
in_faults_namespace() {
  nsenter --net="/proc/$faults_ns_holder/ns/net" \
    env KAFKA_STATE_DIR="$faults_state" KAFKA_JVM_PERFORMANCE_OPTS="$test_jvm_opts" "$@"
}

processes_in_faults_namespace() {
  local dir
  for dir in /proc/[0-9]*; do
    [ "$(readlink "$dir/ns/net" 2>/dev/null)" = "$faults_ns" ] && echo "${dir#/proc/}"
  done
  return 0
}

# Stops the faults cluster, then kills whatever of this run is still in the namespace (the holder, and
# the fault tests when the run was cut short, which could start a stopped broker again meanwhile): a
# namespace ends with its last process, and nothing of it is left behind.
end_faults_namespace() {
  [ -n "$faults_ns_holder" ] || return 0
  if [ -n "$faults_pid" ]; then { kill -TERM "$faults_pid" && wait "$faults_pid"; } 2>/dev/null || true; fi
  in_faults_namespace kafka/cluster.sh down || echo "make test: stopping the fault tests' cluster failed; its processes are killed" >&2
  local left
  for _ in $(seq 1 20); do
    left=$(processes_in_faults_namespace)
    [ -n "$left" ] || break
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    sleep 0.2
  done
  [ -z "$left" ] || echo "make test: processes left in the fault tests' namespace: $left" >&2
  faults_ns_holder=""
}

# --- The e2e tests, with the rerun of files a crashed test process left unfinished --------------------

# run_e2e RERUN_NOTE VITEST_ARGS [PREFIX...]: the e2e tests (make test-e2e-run E2E_ARGS=VITEST_ARGS), run
# under the command PREFIX (in_faults_namespace) or none; output on stdout. When a test process died
# (vitest: "Worker exited unexpectedly") with every finished test passing, the files it left unfinished
# run once more, alone, under the same prefix (so on the same cluster), and decide; their arguments go
# to RERUN_NOTE for the summary at the end. A native crash is the cause seen so far: the raw test
# producers' setPollInterval racing their disconnect (test/e2e/support/raw.ts), since fixed.
run_e2e() {
  local note=$1 args=$2 rc=0 rerun rerun_args
  shift 2
  # The e2e reporter (test/e2e/support/durations-reporter.ts) writes the vitest arguments for those
  # files there, or nothing when anything else failed.
  rerun=$(mktemp "$run_dir/rerun.XXXXXX")
  "$@" env EKAFKA_E2E_RERUN="$rerun" make --no-print-directory test-e2e-run E2E_ARGS="$args" 2>&1 || rc=$?
  rerun_args=$(cat "$rerun" 2>/dev/null || true)
  if [ "$rc" != 0 ] && [ -n "$rerun_args" ]; then
    echo
    echo "make test: a test process exited unexpectedly; running the files it left unfinished again: $rerun_args"
    echo "$rerun_args" >"$note"
    rc=0
    "$@" make --no-print-directory test-e2e-run E2E_ARGS="$rerun_args" 2>&1 || rc=$?
  fi
  return "$rc"
}

# The faults side, in the background: the faults cluster's start on fresh storage, then the fault tests
# on it. They need no build (they run the sources and compile their own child processes), so they start
# as soon as their cluster serves.
run_faults_side() {
  in_faults_namespace kafka/cluster.sh reset >/dev/null
  if ! in_faults_namespace kafka/cluster.sh up; then
    echo "make test: the fault tests' cluster did not start (logs: $faults_state/logs)"
    return 1
  fi
  ulimit -c unlimited 2>/dev/null || true # see the core files below
  run_e2e "$faults_rerun_note" "--project e2e-faults" in_faults_namespace
}

# This run's logs and notes, removed at the end.
run_dir=$(mktemp -d)
checks_log=$run_dir/checks.log
e2e_log=$run_dir/e2e.log
faults_log=$run_dir/faults.log
main_rerun_note=$run_dir/e2e.rerun
faults_rerun_note=$run_dir/faults.rerun
crash_marker=$run_dir/crash-marker

started_here=""
end_run() {
  end_faults_namespace
  if [ -n "$started_here" ] && [ "${EKAFKA_KEEP_CLUSTER:-}" != 1 ]; then kafka/cluster.sh down; fi
  rm -rf "$run_dir"
}
trap end_run EXIT
# Ctrl-C or a TERM ends the run through the EXIT trap, so the clusters are stopped then too.
trap 'exit 130' INT
trap 'exit 143' TERM

# At nice 19 a unit test can wait seconds for the CPU: vitest's 5 s / 10 s defaults would fail it for that.
# (vitest.config.ts reads these two: vitest's own --testTimeout and --hookTimeout do not reach a project.)
EKAFKA_UNIT_TEST_TIMEOUT_MS=60000 EKAFKA_UNIT_HOOK_TIMEOUT_MS=120000 \
  nice -n 19 make --no-print-directory -j2 --output-sync=target test-unit typecheck lint docs >"$checks_log" 2>&1 &
checks_pid=$!

# The e2e tests run the examples and the package from dist/: built while the brokers start.
make --no-print-directory build &
build_pid=$!

# A test process that crashes in native code (vitest then says only "Worker exited unexpectedly") leaves
# a core file in the repository's root, where the workers run (when the system's core_pattern is a plain
# file name, as here): its backtrace is printed at the end, and the file removed.
: >"$crash_marker"

main_args="--project e2e --project e2e-faults"
local_cluster=""
if names_local_cluster; then local_cluster=1; fi
if [ -n "$local_cluster" ] && make_faults_namespace; then
  main_args="--project e2e"
  run_faults_side >"$faults_log" 2>&1 &
  faults_pid=$!
elif [ -n "$local_cluster" ]; then
  echo "make test: no network namespace could be made (unshare --net needs root): the fault tests run after the others, on the one cluster"
else
  echo "make test: $config names another cluster: the fault tests skip there, both e2e projects run on it one after the other"
fi

if [ -n "$local_cluster" ] && ! kafka/cluster.sh running 2>/dev/null; then
  started_here=1
  # Exported, so the fault tests' restarts on this cluster (without the namespace) use the same flags.
  export KAFKA_JVM_PERFORMANCE_OPTS=$test_jvm_opts
  kafka/cluster.sh reset >/dev/null
  kafka/cluster.sh up
fi
wait "$build_pid"

ulimit -c unlimited 2>/dev/null || true
e2e_rc=0
run_e2e "$main_rerun_note" "$main_args" | tee "$e2e_log" || e2e_rc=$?

faults_rc=0
if [ -n "$faults_pid" ]; then
  wait "$faults_pid" || faults_rc=$?
  faults_pid=""
  echo
  echo "make test: the fault tests (project e2e-faults), on their own cluster in a network namespace, beside the above:"
  cat "$faults_log"
  end_faults_namespace
fi

checks_rc=0
wait "$checks_pid" || checks_rc=$?
echo
echo "make test: unit tests, type-check, lint and API reference (run beside the cluster's start and the e2e tests):"
cat "$checks_log"
[ "$checks_rc" = 0 ] || echo "make test: the unit tests or the static checks failed (output above)" >&2
for core in $(find . -maxdepth 1 -name 'core*' -type f -newer "$crash_marker" 2>/dev/null); do
  echo "make test: a process crashed ($core); its backtrace:" >&2
  if command -v gdb >/dev/null; then gdb -q -batch -ex "bt 30" "$(command -v node)" "$core" 2>&1 | grep -E '^#' | head -30 >&2; fi
  rm -f "$core"
done

# report_e2e NAME LOG RC RERUN_NOTE: the crash rerun, if any, and the list of failures of one e2e run.
report_e2e() {
  local name=$1 log=$2 rc=$3 rerun_args
  rerun_args=$(cat "$4" 2>/dev/null || true)
  [ -z "$rerun_args" ] || echo "make test: a test process exited unexpectedly during the $name; its unfinished files were run again ($rerun_args): $([ "$rc" = 0 ] && echo passed || echo failed)" >&2
  if [ "$rc" != 0 ]; then
    # The e2e reporter's list of failures again, last, where a log cut to its tail still shows it.
    sed -n '/^Failed:$/,$p' "$log" | grep -E '^(Failed:|  FAILED )' >&2 || true
    echo "make test: the $name failed" >&2
  fi
}
report_e2e "e2e tests" "$e2e_log" "$e2e_rc" "$main_rerun_note"
report_e2e "fault tests" "$faults_log" "$faults_rc" "$faults_rerun_note"
[ "$checks_rc" = 0 ] && [ "$e2e_rc" = 0 ] && [ "$faults_rc" = 0 ]
