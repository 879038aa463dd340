#!/usr/bin/env bash
# A production-style Temporal cluster for step-hrl on this machine: the four server services
# (history, matching, frontend, worker) as separate processes on loopback ports, PostgreSQL with
# SQL advanced visibility (custom search attributes without Elasticsearch), the namespace and
# step-hrl's search attributes registered with `temporal operator`. See docs/deploy.md.
#
#   scripts/cluster.sh up       install what is missing, start everything, print the frontend address
#   scripts/cluster.sh down     stop the services (reverse order, SIGTERM), then PostgreSQL; data kept
#   scripts/cluster.sh status   each process and the frontend's health (exit 1 when not all are up)
#   scripts/cluster.sh restart <postgres|history|matching|frontend|worker>
#                               stop one process and start it again (outage drills; data kept)
#   scripts/cluster.sh reset    down, then delete the cluster's data (the next up starts empty)
#
# Every step is skipped when already done (stamps, pid files), so `up` on a running cluster takes
# seconds. The server and its SQL tool are built once per pinned version with `go install` into
# $STEP_HRL_TOOLS_DIR/cluster/<version>/ (default .tools); PostgreSQL comes from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Pinned server: 1.29.1 or later for Worker Versioning; 1.32 matches the dev server of the pinned CLI.
server_version=v1.32.2
tools="${STEP_HRL_TOOLS_DIR:-$root/.tools}"
bin_dir="$tools/cluster/$server_version"
data_root="${STEP_HRL_DATA_DIR:-$root/.step-hrl}"
dir="${STEP_HRL_CLUSTER_DIR:-$data_root/cluster}"
namespace="${STEP_HRL_CLUSTER_NAMESPACE:-default}"
retention="${STEP_HRL_CLUSTER_RETENTION:-720h}"
shards="${STEP_HRL_CLUSTER_SHARDS:-4}"
log_level="${STEP_HRL_CLUSTER_LOG_LEVEL:-warn}"
cli="${STEP_HRL_TEMPORAL_CLI:-$tools/temporal/temporal}"

# Ports: the frontend's gRPC port and PostgreSQL's; the other services sit at fixed offsets from
# the frontend (gRPC +1 history, +2 matching, +6 worker, +10 frontend HTTP; membership +100..+106).
# The defaults keep clear of the dev server (7233, UI 8233) and of the ephemeral ports tests use.
port="${STEP_HRL_CLUSTER_PORT:-17233}"
pg_port="${STEP_HRL_CLUSTER_PG_PORT:-15432}"
services=(history matching frontend worker) # start order; stop is the reverse

say() { printf '[cluster] %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}
check_port() { # name, value
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt 1024 ] || [ "$2" -gt 65400 ]; then
    die "$1=$2 is not a usable port; pass an integer from 1024 to 65400"
  fi
}
check_port STEP_HRL_CLUSTER_PORT "$port"
# The services' membership ports (frontend +100..+106) are stored in a SMALLINT column of the SQL
# schema: above 32767 the history service dies at start with "out of range for type smallint".
[ "$port" -le 32600 ] || die "STEP_HRL_CLUSTER_PORT=$port is too high: the membership ports (+100..+106) must stay under 32768; pick 1024-32600"
check_port STEP_HRL_CLUSTER_PG_PORT "$pg_port"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "STEP_HRL_CLUSTER_SHARDS=$shards is not a positive integer"
[[ "$namespace" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "STEP_HRL_CLUSTER_NAMESPACE=$namespace is not a namespace name"

grpc_port() { # service
  case "$1" in
  frontend) echo "$port" ;;
  history) echo $((port + 1)) ;;
  matching) echo $((port + 2)) ;;
  worker) echo $((port + 6)) ;;
  esac
}
membership_port() { echo $(($(grpc_port "$1") + 100)); }
frontend="127.0.0.1:$port"

pg_data="$dir/postgres"
pid_dir="$dir/run"
log_dir="$dir/logs"
config_dir="$dir/config"
marker="$dir/.step-hrl-cluster"

# TLS on the frontend (STEP_HRL_CLUSTER_TLS=1): a CA and a certificate for 127.0.0.1 generated
# into $dir/tls. The choice of the last `up` holds until it is given again.
tls_dir="$dir/tls"
if [ -n "${STEP_HRL_CLUSTER_TLS:-}" ]; then
  case "$STEP_HRL_CLUSTER_TLS" in
  1 | true) tls=1 ;;
  0 | false) tls=0 ;;
  *) die "STEP_HRL_CLUSTER_TLS=$STEP_HRL_CLUSTER_TLS is not 1 or 0" ;;
  esac
elif [ -f "$dir/tls-on" ]; then
  tls=1
else
  tls=0
fi
tls_flags=()
if [ "$tls" = 1 ]; then tls_flags=(--tls --tls-ca-path "$tls_dir/ca.pem"); fi

# --- what this machine needs ---------------------------------------------------------------

pg_bin=""
find_postgres() { # sets pg_bin to the newest PostgreSQL server's bin folder (>= 12), or leaves it empty
  local candidate best="" best_major=0 major
  for candidate in ${STEP_HRL_PG_BINDIR:+"$STEP_HRL_PG_BINDIR"} /usr/lib/postgresql/*/bin "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"; do
    if [ ! -x "$candidate/initdb" ] || [ ! -x "$candidate/pg_ctl" ] || [ ! -x "$candidate/postgres" ]; then continue; fi
    major=$("$candidate/postgres" --version | sed -n 's/.* \([0-9][0-9]*\)\..*/\1/p')
    if [ -n "$major" ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate
      best_major=$major
    fi
  done
  if [ -n "$best" ] && [ "$best_major" -ge 12 ]; then pg_bin=$best; fi
}

install_postgres() {
  find_postgres
  [ -n "$pg_bin" ] && return
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing PostgreSQL from Debian's packages (apt-get install postgresql)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    # Debian's package starts a cluster of its own on 5432; this script runs its own and leaves that one alone.
    find_postgres
  fi
  [ -n "$pg_bin" ] ||
    die "no PostgreSQL 12+ server (initdb, pg_ctl, postgres): run 'sudo apt-get install postgresql' (Debian/Ubuntu), or set STEP_HRL_PG_BINDIR to its bin folder"
}

go_version_ok() { # the go command exists and is at least 1.21 (older ones cannot fetch a newer toolchain)
  local major minor
  read -r major minor < <(go env GOVERSION 2>/dev/null | sed -n 's/^go\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$minor" ] && { [ "$major" -gt 1 ] || [ "$minor" -ge 21 ]; }
}

install_server() {
  if [ "$(cat "$bin_dir/.built" 2>/dev/null)" = "$server_version" ] && [ -x "$bin_dir/server" ] && [ -x "$bin_dir/sql" ]; then
    return
  fi
  command -v go >/dev/null 2>&1 ||
    die "missing 'go': install the Go toolchain (1.21 or newer; it fetches the newer toolchain the server needs), then run this again"
  go_version_ok || die "go $(go env GOVERSION) is too old: install Go 1.21 or newer"
  say "building Temporal server $server_version and its SQL tool with go install (first time: minutes)"
  local started tmp
  started=$(date +%s)
  mkdir -p "$bin_dir"
  tmp=$(mktemp -d "$bin_dir/.build.XXXXXX")
  # GOTOOLCHAIN=auto: the server's go.mod may ask for a newer Go than the local one, which the
  # go command then fetches as a module.
  GOTOOLCHAIN="${STEP_HRL_GOTOOLCHAIN:-auto}" GOFLAGS="${GOFLAGS:-} -buildvcs=false" GOBIN="$tmp" \
    go install "go.temporal.io/server/cmd/server@$server_version" "go.temporal.io/server/cmd/tools/sql@$server_version" ||
    {
      rm -rf "$tmp"
      die "go install of go.temporal.io/server@$server_version failed (see above); check that the Go module proxy is reachable"
    }
  # The schema files ship in the module; keep a copy next to the binaries so a cleaned module cache does not matter.
  local module
  module=$(GOTOOLCHAIN="${STEP_HRL_GOTOOLCHAIN:-auto}" go env GOMODCACHE)/go.temporal.io/server@$server_version
  [ -d "$module/schema/postgresql/v12" ] || die "schema files missing from $module; run 'go clean -modcache' and try again"
  rm -rf "$bin_dir/schema"
  mkdir -p "$bin_dir/schema"
  cp -R "$module/schema/postgresql/v12/." "$bin_dir/schema/"
  chmod -R u+w "$bin_dir/schema"
  mv "$tmp/server" "$bin_dir/server" # each move is atomic: a half-built binary never sits at the real path
  mv "$tmp/sql" "$bin_dir/sql"
  rmdir "$tmp"
  echo "$server_version" >"$bin_dir/.built"
  say "built in $(($(date +%s) - started)) s"
}

check_cli() {
  [ -x "$cli" ] || die "missing the Temporal CLI at $cli: run 'bash scripts/setup.sh' (or set STEP_HRL_TEMPORAL_CLI)"
  [ -f dist/episode/search-attributes.js ] || die "step-hrl is not built (dist/ missing): run 'npm run build' or 'bash scripts/setup.sh'"
  command -v node >/dev/null 2>&1 || die "missing 'node': install Node.js 20 or newer"
}

# --- PostgreSQL ------------------------------------------------------------------------------

# PostgreSQL refuses to run as root: then its files belong to, and its commands run as, the
# 'postgres' user Debian's package creates.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    getent passwd postgres >/dev/null || die "running as root needs a 'postgres' user to own the database (Debian's postgresql package creates it)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_running() { [ -f "$pg_data/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; }

pg_password() { cat "$dir/postgres-password"; }

init_postgres() {
  [ -f "$pg_data/PG_VERSION" ] && return
  say "creating a PostgreSQL cluster in $pg_data"
  mkdir -p "$dir"
  if [ ! -s "$dir/postgres-password" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$dir/postgres-password")
  fi
  mkdir -p "$pg_data" "$log_dir"
  local pwfile="$pg_data.pw"
  (umask 077 && pg_password >"$pwfile")
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pg_data" "$pwfile"; fi
  chmod 700 "$pg_data"
  # The superuser is 'temporal' with a generated password (the file above, mode 600): loopback TCP only, no Unix socket.
  as_pg "$pg_bin/initdb" -D "$pg_data" -U temporal --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=peer \
    -E UTF8 --locale=C >"$log_dir/initdb.log" 2>&1 || {
    rm -f "$pwfile"
    die "initdb failed: see $log_dir/initdb.log"
  }
  rm -f "$pwfile"
}

start_postgres() {
  pg_running && return
  say "starting PostgreSQL on 127.0.0.1:$pg_port"
  mkdir -p "$log_dir"
  touch "$log_dir/postgres.log"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$log_dir/postgres.log"; fi
  # 9>&-: the server must not inherit (and hold) the lock.
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$log_dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories= -c max_connections=200" start >/dev/null 9>&- ||
    die "PostgreSQL did not start: see $log_dir/postgres.log (is port $pg_port taken? set STEP_HRL_CLUSTER_PG_PORT)"
}

stop_postgres() {
  [ -n "$pg_bin" ] && [ -f "$pg_data/PG_VERSION" ] || return 0
  pg_running || return 0
  say "stopping PostgreSQL"
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 60 stop >/dev/null
}

sql_tool() { # database, args...
  local db=$1
  shift
  SQL_PASSWORD=$(pg_password) "$bin_dir/sql" --ep 127.0.0.1 -p "$pg_port" -u temporal --pl postgres12 --db "$db" "$@"
}

setup_schema() {
  local db kind
  for db in temporal temporal_visibility; do
    kind=$([ "$db" = temporal ] && echo temporal || echo visibility)
    if [ ! -f "$dir/.schema-$db-created" ]; then
      say "creating database $db"
      sql_tool "$db" create >>"$log_dir/schema.log" 2>&1 || grep -q 'already exists' "$log_dir/schema.log" ||
        die "could not create database $db: see $log_dir/schema.log"
      sql_tool "$db" setup-schema -v 0.0 >>"$log_dir/schema.log" 2>&1 || die "setup-schema of $db failed: see $log_dir/schema.log"
      touch "$dir/.schema-$db-created"
    fi
    # Applies only the versions newer than the database's, so it also upgrades after a server bump.
    if [ "$(cat "$dir/.schema-$db-version" 2>/dev/null)" != "$server_version" ]; then
      say "updating the $db schema to $server_version"
      sql_tool "$db" update-schema -d "$bin_dir/schema/$kind/versioned" >>"$log_dir/schema.log" 2>&1 ||
        die "update-schema of $db failed: see $log_dir/schema.log"
      echo "$server_version" >"$dir/.schema-$db-version"
    fi
  done
}

# --- Temporal services -------------------------------------------------------------------------

make_certs() {
  [ -s "$tls_dir/ca.pem" ] && [ -s "$tls_dir/frontend.pem" ] && return
  command -v openssl >/dev/null 2>&1 || die "missing 'openssl' (STEP_HRL_CLUSTER_TLS=1 makes certificates with it): install openssl"
  say "making a CA and a certificate for 127.0.0.1 in $tls_dir"
  mkdir -p "$tls_dir"
  (
    umask 077
    cd "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=step-hrl cluster CA" \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout frontend.key -out frontend.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >frontend.ext
    openssl x509 -req -in frontend.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile frontend.ext -out frontend.pem 2>/dev/null
    rm -f frontend.csr frontend.ext ca.srl
  ) || die "openssl could not make the certificates in $tls_dir"
  chmod 644 "$tls_dir/ca.pem" # the CA certificate is public: clients need it
}

write_config() {
  mkdir -p "$config_dir/dynamicconfig"
  # The shard count is fixed when the cluster is created: the first up records it.
  [ -s "$dir/shards" ] || echo "$shards" >"$dir/shards"
  local service password
  password=$(pg_password)
  (
    umask 077
    {
      cat <<EOF
# Written by scripts/cluster.sh on every up; edit the script (or its variables), not this file.
log:
  stdout: true
  level: $log_level
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: $(cat "$dir/shards")
  datastores:
EOF
      for store in default:temporal:20 visibility:temporal_visibility:10; do
        IFS=: read -r name db conns <<<"$store"
        cat <<EOF
    postgres-$name:
      sql:
        pluginName: postgres12
        databaseName: $db
        connectAddr: 127.0.0.1:$pg_port
        connectProtocol: tcp
        user: temporal
        password: "$password"
        maxConns: $conns
        maxIdleConns: $conns
        maxConnLifetime: 1h
EOF
      done
      cat <<EOF
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
EOF
      if [ "$tls" = 1 ]; then
        # The frontend serves TLS; the services that call it (the system worker) trust the CA.
        cat <<EOF
  tls:
    frontend:
      server:
        certFile: $tls_dir/frontend.pem
        keyFile: $tls_dir/frontend.key
      client:
        serverName: 127.0.0.1
        rootCaFiles:
          - $tls_dir/ca.pem
    systemWorker:
      client:
        serverName: 127.0.0.1
        rootCaFiles:
          - $tls_dir/ca.pem
EOF
      fi
      echo "services:"
      for service in "${services[@]}"; do
        cat <<EOF
  $service:
    rpc:
      grpcPort: $(grpc_port "$service")
      membershipPort: $(membership_port "$service")
      bindOnIP: 127.0.0.1
EOF
        if [ "$service" = frontend ]; then echo "      httpPort: $((port + 10))"; fi
      done
      cat <<EOF
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: $frontend
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: $config_dir/dynamicconfig/cluster.yaml
  pollInterval: 10s
EOF
    } >"$config_dir/development.yaml.tmp"
  )
  if ! cmp -s "$config_dir/development.yaml.tmp" "$config_dir/development.yaml"; then
    local running=""
    for service in "${services[@]}"; do pid_of "$service" >/dev/null && running+=" $service"; done
    [ -z "$running" ] || say "the config changed (ports, TLS, log level) while$running run: 'scripts/cluster.sh down' then 'up' applies it"
  fi
  mv "$config_dir/development.yaml.tmp" "$config_dir/development.yaml"
  cat >"$config_dir/dynamicconfig/cluster.yaml" <<'EOF'
# Written by scripts/cluster.sh. Worker Versioning (Worker Deployments) and updates are on by
# default in server 1.32; stated here so the cluster does not depend on a default changing.
system.enableDeploymentVersions:
  - value: true
system.enableDeployments:
  - value: true
frontend.workerVersioningWorkflowAPIs:
  - value: true
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
limit.maxIDLength:
  - value: 255
EOF
}

pid_of() { # service: the pid when its process is alive and is that service of this cluster's server
  local pid cmdline
  pid=$(cat "$pid_dir/$1.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  [[ "$cmdline" == *"--root $dir "*"--service $1 "* ]] || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # service, seconds
  local deadline=$((SECONDS + $2))
  while ! port_open "$(grpc_port "$1")"; do
    pid_of "$1" >/dev/null || die "the $1 service exited: see $log_dir/$1.log"
    [ $SECONDS -lt "$deadline" ] || die "the $1 service does not listen on $(grpc_port "$1") after $2 s: see $log_dir/$1.log"
    sleep 0.5
  done
}

start_service() { # service
  pid_of "$1" >/dev/null && return
  local p
  p=$(grpc_port "$1")
  port_open "$p" && die "port $p (the $1 service) is taken by another process: stop it, or set STEP_HRL_CLUSTER_PORT"
  say "starting $1 on 127.0.0.1:$p"
  mkdir -p "$pid_dir" "$log_dir"
  # setsid: the service outlives this shell and a Ctrl-C in the terminal that ran `up`; 9>&-: it
  # must not inherit (and hold) the lock.
  setsid "$bin_dir/server" --root "$dir" --config config --env development --allow-no-auth start --service "$1" \
    >>"$log_dir/$1.log" 2>&1 </dev/null 9>&- &
  echo $! >"$pid_dir/$1.pid"
  wait_port "$1" 120
}

stop_service() { # service
  local pid waited=0
  pid=$(pid_of "$1") || {
    rm -f "$pid_dir/$1.pid"
    return 0
  }
  say "stopping $1 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ $waited -ge 60 ]; then # 30 s
      say "$1 did not stop after SIGTERM within 30 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  rm -f "$pid_dir/$1.pid"
}

# The Temporal CLI against this cluster's frontend (with its CA when the frontend serves TLS).
temporal_cli() { "$cli" "$@" --address "$frontend" "${tls_flags[@]}"; }

frontend_healthy() { temporal_cli operator cluster health >/dev/null 2>&1; }

wait_frontend() {
  local deadline=$((SECONDS + 120))
  until frontend_healthy && temporal_cli operator namespace list >/dev/null 2>&1; do
    [ $SECONDS -lt "$deadline" ] || die "the frontend at $frontend does not answer after 120 s: see $log_dir/frontend.log"
    sleep 1
  done
}

# --- namespace and search attributes -------------------------------------------------------------

ensure_namespace() {
  temporal_cli operator namespace describe --namespace "$namespace" >/dev/null 2>&1 && return
  say "creating namespace $namespace (retention $retention)"
  temporal_cli operator namespace create --namespace "$namespace" --retention "$retention" >/dev/null
  local deadline=$((SECONDS + 60))
  until temporal_cli operator namespace describe --namespace "$namespace" >/dev/null 2>&1; do
    [ $SECONDS -lt "$deadline" ] || die "namespace $namespace not visible 60 s after creating it"
    sleep 1
  done
}

ensure_search_attributes() {
  # The list is step-hrl's own (src/episode/search-attributes.ts, registrationCommands()): one
  # `temporal operator search-attribute create --name X --type T` per attribute.
  local known commands line name type added=0 deadline
  commands=$(node -e 'for (const c of require("./dist/episode/search-attributes").registrationCommands()) console.log(c)')
  # A namespace just created is described at once but known to the frontend's namespace cache
  # (which this call reads) only after its refresh, some seconds later: wait for it.
  deadline=$((SECONDS + 60))
  until known=$(temporal_cli operator search-attribute list --namespace "$namespace" -o json 2>&1); do
    [ $SECONDS -lt "$deadline" ] || die "cannot list the search attributes of namespace $namespace: $known"
    sleep 1
  done
  while read -r line; do
    name=$(sed -n 's/.*--name \([^ ]*\).*/\1/p' <<<"$line")
    type=$(sed -n 's/.*--type \([^ ]*\).*/\1/p' <<<"$line")
    if [ -z "$name" ] || [ -z "$type" ]; then die "unexpected registration command from step-hrl: $line"; fi
    grep -q "\"$name\"" <<<"$known" && continue
    temporal_cli operator search-attribute create --name "$name" --type "$type" --namespace "$namespace" >/dev/null
    added=$((added + 1))
  done <<<"$commands"
  [ $added -eq 0 ] && return
  say "registered $added search attributes"
  # The frontend validates queries against a cache refreshed every few seconds: wait until it knows them.
  deadline=$((SECONDS + 60))
  until temporal_cli workflow count --query "StepHrlKind = 'probe'" --namespace "$namespace" >/dev/null 2>&1; do
    [ $SECONDS -lt "$deadline" ] || die "the frontend does not accept queries on StepHrlKind 60 s after registering it"
    sleep 1
  done
}

# --- commands ------------------------------------------------------------------------------------

lock() { # one up/down/reset at a time per cluster folder
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock -w 300 9 || die "another scripts/cluster.sh holds $dir/.lock for 5 minutes"
}

up() {
  check_cli
  install_postgres
  install_server
  lock
  touch "$marker"
  init_postgres
  start_postgres
  setup_schema
  if [ "$tls" = 1 ]; then
    make_certs
    touch "$dir/tls-on"
  else
    rm -f "$dir/tls-on"
  fi
  write_config
  local service
  for service in "${services[@]}"; do start_service "$service"; done
  wait_frontend
  ensure_namespace
  ensure_search_attributes
  say "ready: frontend $frontend, namespace $namespace (data and logs in $dir)"
  if [ "$tls" = 1 ]; then
    say "point step-hrl at it with TEMPORAL_ADDRESS=$frontend TEMPORAL_TLS_SERVER_CA_CERT_PATH=$tls_dir/ca.pem"
  else
    say "point step-hrl at it with --address $frontend, or TEMPORAL_ADDRESS=$frontend"
  fi
  echo "$frontend"
}

down() {
  find_postgres
  if [ ! -f "$marker" ]; then
    say "nothing to stop: no cluster in $dir"
    return 0
  fi
  lock
  local i
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do stop_service "${services[$i]}"; done
  stop_postgres
  say "stopped (data kept in $dir)"
}

status() {
  find_postgres
  local service pid ok=0
  printf '%-10s %-8s %-8s %s\n' process state pid address
  if [ -n "$pg_bin" ] && [ -f "$pg_data/PG_VERSION" ] && pg_running; then
    printf '%-10s %-8s %-8s %s\n' postgres up "$(head -1 "$pg_data/postmaster.pid")" "127.0.0.1:$pg_port"
  else
    printf '%-10s %-8s %-8s %s\n' postgres down - "127.0.0.1:$pg_port"
    ok=1
  fi
  for service in "${services[@]}"; do
    if pid=$(pid_of "$service"); then
      printf '%-10s %-8s %-8s %s\n' "$service" up "$pid" "127.0.0.1:$(grpc_port "$service")"
    else
      printf '%-10s %-8s %-8s %s\n' "$service" down - "127.0.0.1:$(grpc_port "$service")"
      ok=1
    fi
  done
  if [ -x "$cli" ] && frontend_healthy; then
    echo "frontend $frontend: SERVING (namespace $namespace; data and logs in $dir)"
  else
    echo "frontend $frontend: not answering (data and logs in $dir)"
    ok=1
  fi
  return $ok
}

restart() { # one service or postgres: stop it, start it again (the rest keep running)
  local what="${1:-}"
  case "$what" in
  postgres | history | matching | frontend | worker) ;;
  *) die "restart what? pass one of: postgres history matching frontend worker" ;;
  esac
  [ -f "$marker" ] || die "no cluster in $dir: run \`scripts/cluster.sh up\` first"
  find_postgres
  lock
  if [ "$what" = postgres ]; then
    stop_postgres
    start_postgres
  else
    stop_service "$what"
    start_service "$what"
    [ "$what" = frontend ] && wait_frontend
  fi
  say "restarted $what"
}

reset() {
  [ -d "$dir" ] || return 0
  [ -f "$marker" ] || die "$dir holds no cluster made by this script (no $(basename "$marker")); not deleting it"
  down
  say "deleting $dir"
  rm -rf "$dir"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
restart) restart "${2:-}" ;;
reset) reset ;;
*)
  echo "usage: scripts/cluster.sh up|down|status|restart <service|postgres>|reset   (docs/deploy.md)" >&2
  exit 2
  ;;
esac
