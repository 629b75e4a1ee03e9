#!/usr/bin/env bash
# The local test cluster: three combined broker+controller Apache Kafka processes (KRaft) on 127.0.0.1,
# and a schema registry (Apicurio Registry) beside them.
#
#   kafka/cluster.sh up              start the brokers and the registry that are not running, wait until all serve
#   kafka/cluster.sh down            stop every broker and the registry, and wait until no such process is left
#   kafka/cluster.sh status          which brokers run, the controller quorum, and the registry
#   kafka/cluster.sh stop-registry   stop the registry only (its schemas are kept), for fault tests
#   kafka/cluster.sh start-registry  start the registry again and wait until it serves
#   kafka/cluster.sh stop-broker N   stop broker N (1..3), for fault tests
#   kafka/cluster.sh start-broker N  start broker N again and wait until it has rejoined
#   kafka/cluster.sh reset           down, then remove all data (the next up formats fresh storage)
#   kafka/cluster.sh dump-log FILE   print a log segment with Kafka's DumpLogSegments (batch codecs etc.)
#   kafka/cluster.sh tool CLASS ...  run a Kafka tool class with the broker's classpath
#
# Ports (all on 127.0.0.1), broker N in 1..3:
#   PLAINTEXT       909N   clients and inter-broker traffic
#   SASL_PLAINTEXT  919N   PLAIN and SCRAM-SHA-256/512 clients
#   CONTROLLER      929N   KRaft quorum
#   SSL             939N   TLS; client certificate required (mutual TLS)
#   SASL_SSL        949N   TLS (server certificate only) with PLAIN and SCRAM-SHA-256/512
#   PROXIED         959N   plaintext, advertised as 127.0.0.1:969N: clients reach it only through the
#                          fault proxy of the e2e tests (test/e2e/support/fault-proxy.ts) listening on 969N
#   registry        8081   Apicurio Registry over HTTP; its Confluent-compatible API is /apis/ccompat/v7.
#                          Schemas live in an H2 database file (.kafka/data/registry, or data/registry
#                          under KAFKA_STATE_DIR), so they survive a restart of the registry; new
#                          subjects get BACKWARD compatibility, as in Confluent Schema Registry.
#
# TLS material (made with openssl on the first `up`, kept in .kafka/tls): ca.pem (the CA that signed
# everything), broker-N.pem (key + certificate for 127.0.0.1 and localhost), client.pem / client.key
# (a client certificate signed by the CA), client-encrypted.key (the same key, encrypted with
# "client-key-secret"), and other-ca.pem (a CA that signed nothing here, for wrong-CA tests).
#
# The jars come from Maven Central (`make setup` copies them into .kafka/libs, and unpacks the registry
# into .kafka/registry); data and logs live under .kafka/ (git-ignored).
# Environment overrides: KAFKA_HOME_DIR (default <repo>/.kafka), KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS
# (the brokers' collector and compiler flags; default G1 with 20 ms pauses, as Kafka's own scripts), and
# KAFKA_STATE_DIR (default KAFKA_HOME_DIR): where one cluster's state lives — data/, run/ (pid files,
# broker configs), logs/ and cluster-id, the registry's data, pid file and log among them — while the jars,
# the registry's distribution and the TLS material stay shared in KAFKA_HOME_DIR. A second cluster on the
# same ports, in a network namespace of its own (`make test` runs the fault tests on one, test/all.sh),
# gets its own directory here: this script finds its processes by their pid files and config paths, so
# it then acts on that cluster only.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home=${KAFKA_HOME_DIR:-$repo/.kafka}
state=${KAFKA_STATE_DIR:-$home} # this cluster's data, run, logs and cluster id (see above)
libs=$home/libs
run=$state/run
cluster_id_file=$state/cluster-id
brokers=(1 2 3)
heap=${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
jvm_performance=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}
registry_port=8081
registry_dir=$home/registry # the unpacked distribution (pom.xml names its version)

# Users of the SASL listener. The SCRAM users are written into the metadata log when storage is formatted.
sasl_plain_user=ekafka-plain
sasl_plain_password=plain-secret
sasl_scram256_user=ekafka-scram256
sasl_scram256_password=scram256-secret
sasl_scram512_user=ekafka-scram512
sasl_scram512_password=scram512-secret
tls_dir=$home/tls
tls_client_key_password=client-key-secret

die() { echo "kafka: $*" >&2; exit 1; }

require_jars() {
  compgen -G "$libs/kafka_2.13-*.jar" >/dev/null || die "broker jars missing in $libs: run 'make setup' first"
  compgen -G "$registry_dir/apicurio-registry-app-*-runner.jar" >/dev/null || die "registry missing in $registry_dir: run 'make setup' first"
  command -v java >/dev/null || die "java not found: install a Java 17 runtime (Debian: openjdk-17-jre-headless)"
  command -v openssl >/dev/null || die "openssl not found: install it (Debian: openssl), or run 'make setup'"
  command -v curl >/dev/null || die "curl not found (the registry's health check): install it (Debian: curl), or run 'make setup'"
}

ensure_tls() { # the CA, broker and client certificates, made once (a leftover partial set is made again)
  [ -s "$tls_dir/complete" ] && return 0
  # Clusters started at the same time share the material (make test starts two, see KAFKA_STATE_DIR): one
  # makes it while the other waits for the lock, rather than removing the set being made.
  mkdir -p "$home"
  local lock
  exec {lock}>"$home/tls.lock"
  flock "$lock"
  [ -s "$tls_dir/complete" ] || make_tls
  exec {lock}>&-
}

make_tls() {
  rm -rf "$tls_dir"; mkdir -p "$tls_dir"
  local d=$tls_dir days=3650 log=$home/tls.log
  {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days $days -subj "/CN=ekafka local test CA"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/other-ca.key" -out "$d/other-ca.pem" -days $days -subj "/CN=ekafka unrelated CA"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/broker.ext"
    for b in "${brokers[@]}"; do
      openssl req -newkey rsa:2048 -nodes -keyout "$d/broker-$b.key" -out "$d/broker-$b.csr" -subj "/CN=ekafka-broker-$b"
      openssl x509 -req -in "$d/broker-$b.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days $days \
        -extfile "$d/broker.ext" -out "$d/broker-$b.crt"
      # Kafka's PEM key store: an unencrypted PKCS#8 key followed by the certificate chain.
      cat "$d/broker-$b.key" "$d/broker-$b.crt" "$d/ca.pem" >"$d/broker-$b.pem"
    done
    printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
    openssl req -newkey rsa:2048 -nodes -keyout "$d/client.key" -out "$d/client.csr" -subj "/CN=ekafka-client"
    openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days $days \
      -extfile "$d/client.ext" -out "$d/client.pem"
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$d/client.key" -out "$d/client-encrypted.key" -passout "pass:$tls_client_key_password"
  } >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "making the TLS certificates failed (log: $log)"; }
  rm -f "$d"/*.csr "$d"/*.ext
  date -Is >"$d/complete"
}

java_run() { # java_run MAIN_CLASS ARGS... with the broker classpath and a quiet log configuration
  java -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -cp "$libs/*" \
    -Dlog4j2.configurationFile="$repo/kafka/tools-log4j2.properties" "$@"
}

# Whether process $1 runs. One that has exited is gone at once, although it stays a zombie until init
# reaps it (seen taking up to 2 s here, while kill -0 still succeeds): a zombie holds no port or file.
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

pid_file() { echo "$run/broker-$1.pid"; }
data_dir() { echo "$state/data/broker-$1"; }
log_file() { echo "$state/logs/broker-$1.log"; }
config_file() { echo "$run/broker-$1.properties"; }

broker_pid() { # prints the pid of broker $1 when its process is alive
  local f; f=$(pid_file "$1")
  [ -f "$f" ] || return 1
  local pid; pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null && ps -o args= -p "$pid" 2>/dev/null | grep -q 'kafka.Kafka' && echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_config() {
  local id=$1 voters=""
  for b in "${brokers[@]}"; do voters+="${voters:+,}$b@127.0.0.1:929$b"; done
  mkdir -p "$run" "$(data_dir "$id")" "$state/logs"
  cat >"$(config_file "$id")" <<EOF
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:909$id,SASL_PLAINTEXT://127.0.0.1:919$id,CONTROLLER://127.0.0.1:929$id,SSL://127.0.0.1:939$id,SASL_SSL://127.0.0.1:949$id,PROXIED://127.0.0.1:959$id
advertised.listeners=PLAINTEXT://127.0.0.1:909$id,SASL_PLAINTEXT://127.0.0.1:919$id,SSL://127.0.0.1:939$id,SASL_SSL://127.0.0.1:949$id,PROXIED://127.0.0.1:969$id
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,PROXIED:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$(data_dir "$id")

sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${sasl_plain_user}="${sasl_plain_password}";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${sasl_plain_user}="${sasl_plain_password}";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;

# TLS: PEM files made by ensure_tls. The SSL listener requires a client certificate signed by the CA.
ssl.keystore.type=PEM
ssl.keystore.location=$tls_dir/broker-$id.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls_dir/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.ssl.client.auth=none

# Test-friendly defaults: every new topic has 3 partitions on all 3 brokers, and a write with acks=all
# needs 2 of them, so one broker can be stopped without losing acknowledged data.
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=true
delete.topic.enable=true
unclean.leader.election.enable=false

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.segment.bytes=67108864
log.retention.hours=24
log.retention.check.interval.ms=60000
socket.request.max.bytes=104857600
message.max.bytes=1048588

# Broker heartbeats to the controller every 500 ms (default 2 s): a restarted broker is unfenced, and a
# stopping one released from its controlled shutdown, at the controller's answer to a heartbeat.
# broker.session.timeout.ms stays the default 9 s: a broker started again less than 9 s after its last
# heartbeat waits that long to register (the controller refuses a new incarnation while the old one's
# session lasts), whatever the interval.
broker.heartbeat.interval.ms=500
EOF
}

format_storage() {
  local id=$1
  [ -f "$(data_dir "$id")/meta.properties" ] && return 0
  java_run kafka.tools.StorageTool format --ignore-formatted \
    --config "$(config_file "$id")" --cluster-id "$(cat "$cluster_id_file")" \
    --add-scram "SCRAM-SHA-256=[name=${sasl_scram256_user},password=${sasl_scram256_password}]" \
    --add-scram "SCRAM-SHA-512=[name=${sasl_scram512_user},password=${sasl_scram512_password}]" \
    >>"$(log_file "$id")" 2>&1 || { tail -n 30 "$(log_file "$id")" >&2; die "formatting the storage of broker $id failed"; }
}

ensure_cluster_id() {
  [ -s "$cluster_id_file" ] && return 0
  mkdir -p "$state"
  java_run kafka.tools.StorageTool random-uuid >"$cluster_id_file"
}

start_process() { # starts broker $1 in the background unless it runs already
  local id=$1
  broker_pid "$id" >/dev/null && return 0
  for port in "909$id" "919$id" "929$id" "939$id" "949$id" "959$id"; do
    port_open "$port" && die "port $port is in use by a process that is not this checkout's broker $id (another cluster?): stop it first"
  done
  write_config "$id"
  format_storage "$id"
  echo "=== start $(date -Is)" >>"$(log_file "$id")"
  # shellcheck disable=SC2086
  setsid nohup java $heap $jvm_performance -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$repo/kafka/broker-log4j2.properties" \
    -Dkafka.logs.dir="$state/logs" -Dbroker.id="$id" \
    -cp "$libs/*" kafka.Kafka "$(config_file "$id")" >>"$(log_file "$id")" 2>&1 </dev/null &
  echo $! >"$(pid_file "$id")"
}

wait_port() { # wait_port BROKER_ID PORT SECONDS
  local id=$1 port=$2 deadline=$((SECONDS + $3))
  local pid; pid=$(cat "$(pid_file "$id")" 2>/dev/null || true)
  until port_open "$port"; do
    # kill -0 rather than broker_pid: right after the launch the process may not show kafka.Kafka yet.
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$(log_file "$id")" >&2
      die "broker $id exited while starting (log: $(log_file "$id"))"
    fi
    [ $SECONDS -lt $deadline ] || { tail -n 40 "$(log_file "$id")" >&2; die "broker $id did not open port $port within $3 s"; }
    sleep 0.1
  done
}

wait_ready() { # every running broker registered, and a topic with RF 3 accepts an acks=all write
  node "$repo/kafka/wait-ready.mjs" "127.0.0.1:9091,127.0.0.1:9092,127.0.0.1:9093" "${1:-90}" || {
    for b in "${brokers[@]}"; do
      echo "--- last lines of broker $b's log ($(log_file "$b")):" >&2
      tail -n 20 "$(log_file "$b")" >&2
    done
    die "the cluster did not become ready"
  }
}

# The registry: one Java process, identified by its jar; its pid file, log and data sit beside the brokers'.
registry_pid_file=$run/registry.pid
registry_log=$state/logs/registry.log
registry_data=$state/data/registry

registry_pid() { # prints the registry's pid when its process is alive
  [ -f "$registry_pid_file" ] || return 1
  local pid; pid=$(cat "$registry_pid_file")
  kill -0 "$pid" 2>/dev/null && ps -o args= -p "$pid" 2>/dev/null | grep -q 'apicurio-registry-app' && echo "$pid"
}

registry_ready() { # the registry's health check says every part (storage included) is up
  curl -sf -m 2 "http://127.0.0.1:$registry_port/health/ready" >/dev/null 2>&1
}

start_registry() { # starts the registry in the background unless it runs already
  registry_pid >/dev/null && return 0
  port_open "$registry_port" && die "port $registry_port is in use by a process that is not this checkout's registry: stop it first"
  mkdir -p "$run" "$registry_data" "$state/logs"
  echo "=== start $(date -Is)" >>"$registry_log"
  # In-memory H2 is the registry's default; a file keeps the schemas (and so their ids) across restarts.
  # A small connection pool: the default opens 20 connections at start.
  REGISTRY_DATASOURCE_URL="jdbc:h2:file:$registry_data/registry" \
  REGISTRY_RULES_GLOBAL_COMPATIBILITY=BACKWARD \
    setsid nohup java -Xms64m -Xmx384m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port=$registry_port \
    -Dquarkus.datasource.jdbc.initial-size=2 -Dquarkus.datasource.jdbc.min-size=2 \
    -jar "$(compgen -G "$registry_dir/apicurio-registry-app-*-runner.jar" | head -n 1)" >>"$registry_log" 2>&1 </dev/null &
  echo $! >"$registry_pid_file"
}

wait_registry() { # wait_registry SECONDS
  local deadline=$((SECONDS + $1)) pid
  pid=$(cat "$registry_pid_file" 2>/dev/null || true)
  until registry_ready; do
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$registry_log" >&2
      die "the registry exited while starting (log: $registry_log)"
    fi
    [ $SECONDS -lt $deadline ] || { tail -n 40 "$registry_log" >&2; die "the registry was not ready within $1 s (log: $registry_log)"; }
    sleep 0.5
  done
}

set_registry_compatibility() { # BACKWARD by default, also as the Confluent-compatible API reports it
  # The start-up default (REGISTRY_RULES_GLOBAL_COMPATIBILITY) is enforced but not shown by GET /config,
  # which some clients read before registering; setting it through that API shows it (it is kept).
  curl -sf -m 5 -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d '{"compatibility":"BACKWARD"}' "http://127.0.0.1:$registry_port/apis/ccompat/v7/config" >/dev/null ||
    die "setting the registry's default compatibility failed (log: $registry_log)"
}

stop_registry() { # sends TERM and waits until the process is gone (KILL after 30 s)
  local pid
  pid=$(registry_pid) || { rm -f "$registry_pid_file"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$registry_pid_file"
}

cmd_up() {
  require_jars
  ensure_cluster_id
  ensure_tls
  local started=$SECONDS
  for b in "${brokers[@]}"; do start_process "$b"; done
  start_registry
  for b in "${brokers[@]}"; do wait_port "$b" "909$b" 90; done
  wait_ready 90
  echo "kafka: 3 brokers up on 127.0.0.1:9091-9093 (SASL 9191-9193, SSL 9391-9393, SASL_SSL 9491-9493) in $((SECONDS - started)) s"
  wait_registry 90
  set_registry_compatibility
  echo "kafka: schema registry up on http://127.0.0.1:$registry_port (Confluent-compatible API: /apis/ccompat/v7) in $((SECONDS - started)) s"
}

stop_process() { # stop_process BROKER_ID SIGNAL: sends the signal and waits until the process is gone
  local id=$1 sig=${2:-TERM} pid
  pid=$(broker_pid "$id") || { rm -f "$(pid_file "$id")"; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$(pid_file "$id")"
}

cmd_down() {
  for b in "${brokers[@]}"; do stop_process "$b" TERM & done
  stop_registry &
  wait
  # A broker whose pid file was lost (a removed .kafka/run, say) is still found by its config path.
  local stray
  stray=$(pgrep -f "kafka.Kafka $run/broker-" || true)
  if [ -n "$stray" ]; then kill -KILL $stray 2>/dev/null || true; sleep 0.5; fi
  pgrep -f "kafka.Kafka $run/broker-" >/dev/null && die "broker processes are still running: $(pgrep -f "kafka.Kafka $run/broker-" | tr '\n' ' ')"
  echo "kafka: all brokers and the registry stopped"
}

cmd_status() {
  local up=0
  for b in "${brokers[@]}"; do
    if pid=$(broker_pid "$b"); then
      if port_open "909$b"; then echo "broker $b: up (pid $pid, 127.0.0.1:909$b, SASL 127.0.0.1:919$b)"; up=$((up + 1))
      else echo "broker $b: starting (pid $pid)"; fi
    else echo "broker $b: down"; fi
  done
  if [ $up -gt 0 ]; then
    java_run org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-controller "127.0.0.1:9291,127.0.0.1:9292,127.0.0.1:9293" \
      describe --status 2>/dev/null || echo "controller quorum: not answering"
  fi
  local registry=0
  if pid=$(registry_pid); then
    if registry_ready; then echo "registry: up (pid $pid, http://127.0.0.1:$registry_port/apis/ccompat/v7)"; registry=1
    else echo "registry: starting (pid $pid)"; fi
  else echo "registry: down"; fi
  [ $up -eq ${#brokers[@]} ] && [ $registry -eq 1 ]
}

check_id() { [[ "${1:-}" =~ ^[123]$ ]] || die "broker id must be 1, 2 or 3, got '${1:-}'"; }

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  running) for b in "${brokers[@]}"; do broker_pid "$b" >/dev/null && port_open "909$b" || exit 1; done; registry_ready || exit 1 ;;
  stop-broker) check_id "${2:-}"; stop_process "$2" "${3:-TERM}"; echo "kafka: broker $2 stopped" ;;
  start-broker) check_id "${2:-}"; require_jars; ensure_tls; start_process "$2"; wait_port "$2" "909$2" 90; wait_ready 90 ;;
  stop-registry) stop_registry; echo "kafka: registry stopped" ;;
  start-registry) require_jars; start_registry; wait_registry 90; set_registry_compatibility; echo "kafka: registry up on http://127.0.0.1:$registry_port" ;;
  reset) cmd_down; rm -rf "$state/data" "$state/run" "$state/logs" "$cluster_id_file"; echo "kafka: data removed" ;;
  dump-log) shift; java_run kafka.tools.DumpLogSegments --deep-iteration --files "$@" ;;
  tool) shift; java_run "$@" ;;
  *) sed -n '2,/^set -euo pipefail$/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
