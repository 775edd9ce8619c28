#!/usr/bin/env bash
# A single-node Ceph RADOS Gateway on 127.0.0.1 for tests and benchmarks (see shared/notes/s3-test-server.md).
#
#   scripts/rgw.sh start <scratch-dir> [--bluestore SIZE] [--memstore SIZE] [--watch-pid PID]
#   scripts/rgw.sh stop  <scratch-dir>
#
# start: one ceph-mon, one ceph-osd (memstore in RAM by default, bluestore on a sparse file with --bluestore 4G) and
# one radosgw, all on free 127.0.0.1 ports, everything under <scratch-dir>; creates a user with fixed test keys and
# writes <scratch-dir>/rgw.env (RGW_ENDPOINT, S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION), also
# printed to stdout. Every wait is bounded. On any failure the daemons already started are stopped again.
# --watch-pid PID: a small watchdog stops the daemons when PID exits (so a crashed test run leaks nothing).
# stop: kills the daemons by their PID files (TERM, then KILL after a bounded wait) and removes the data.
# Needs: ceph-mon ceph-osd radosgw (Debian 12 packages: radosgw ceph-mon ceph-osd), uuidgen (uuid-runtime), curl.
set -euo pipefail

ACCESS_KEY="HCPMODELFSTESTKEY000"
SECRET_KEY="hcpmodelfs-test-secret-0000000000000000"
START_TIMEOUT="${RGW_START_TIMEOUT:-90}"

die() { echo "rgw.sh: $*" >&2; exit 1; }

usage() { die "usage: rgw.sh start <scratch-dir> [--bluestore SIZE] [--memstore SIZE] [--watch-pid PID] | stop <scratch-dir>"; }

to_bytes() {
  local v="$1"
  case "$v" in
    *[Gg]) echo $(( ${v%?} * 1024 * 1024 * 1024 )) ;;
    *[Mm]) echo $(( ${v%?} * 1024 * 1024 )) ;;
    *) echo "$v" ;;
  esac
}

free_port() {
  local p i
  for i in $(seq 1 200); do
    # Below the kernel's ephemeral range (32768+ by default): radosgw connects out to the mon and OSD before it binds
    # its frontend, and such a connection once took the very port chosen for it ("Address already in use").
    p=$(( 10000 + RANDOM % 22000 ))
    # Free = nothing accepts on it (bash's /dev/tcp; no iproute2 needed) and we have not handed it out already.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! grep -qx "$p" "$DIR/ports" 2>/dev/null; then
      echo "$p" >>"$DIR/ports"
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# wait_for <seconds> <description> <command...>: polls the command until it succeeds or the deadline passes.
wait_for() {
  local secs="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
      echo "rgw.sh: timed out after ${secs}s waiting for $what" >&2
      return 1
    fi
    check_alive || return 1
    sleep 0.2
  done
}

check_alive() {
  local f
  for f in "$DIR"/run/*.pid; do
    [[ -e "$f" ]] || continue
    if ! kill -0 "$(cat "$f")" 2>/dev/null; then
      echo "rgw.sh: daemon $(basename "$f" .pid) died; tail of its log:" >&2
      tail -n 30 "$DIR/log/$(basename "$f" .pid).log" >&2 2>/dev/null || true
      return 1
    fi
  done
}

stop_daemons() {
  local dir="$1" f pid name deadline
  [[ -d "$dir/run" ]] || return 0
  # The watchdog first, so it does not race with us.
  if [[ -f "$dir/run/watchdog.pid" ]]; then
    kill "$(cat "$dir/run/watchdog.pid")" 2>/dev/null || true
    rm -f "$dir/run/watchdog.pid"
  fi
  for name in rgw osd mon; do
    f="$dir/run/$name.pid"
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + 10 ))
    while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

start_daemon() {
  # start_daemon <name> <command...>: runs in the background in its own session, records the PID.
  local name="$1"; shift
  setsid "$@" >>"$DIR/log/$name.out" 2>&1 </dev/null &
  echo $! >"$DIR/run/$name.pid"
}

cmd_start() {
  local bluestore="" memstore="512M" watch_pid=""
  while (( $# > 0 )); do
    case "$1" in
      --bluestore) bluestore="$2"; shift 2 ;;
      --memstore) memstore="$2"; shift 2 ;;
      --watch-pid) watch_pid="$2"; shift 2 ;;
      *) usage ;;
    esac
  done
  local missing=""
  for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph uuidgen curl setsid timeout; do
    command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
  done
  [[ -z "$missing" ]] || die "missing programs:$missing (apt-get install --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl)"

  if [[ -f "$DIR/run/mon.pid" ]]; then stop_daemons "$DIR"; fi
  rm -rf "$DIR/ceph"
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd)"
  rm -f "$DIR/ports" "$DIR/rgw.env"
  mkdir -p "$DIR/run" "$DIR/log" "$DIR/ceph/mon/a" "$DIR/ceph/osd/0" "$DIR/ceph/rgw"
  trap 'echo "rgw.sh: start failed, stopping daemons" >&2; stop_daemons "$DIR"' ERR

  local fsid osd_uuid mon_v2 mon_v1 rgw_port
  fsid="$(uuidgen)"; osd_uuid="$(uuidgen)"
  mon_v2="$(free_port)"; mon_v1="$(free_port)"; rgw_port="$(free_port)"
  local conf="$DIR/ceph.conf"
  local store_conf
  if [[ -n "$bluestore" ]]; then
    store_conf="osd objectstore = bluestore
bluestore block path = $DIR/ceph/osd/0/block.img
bluestore block create = true
bluestore block size = $(to_bytes "$bluestore")
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 268435456
osd memory target = 939524096"
  else
    store_conf="osd objectstore = memstore
memstore device bytes = $(to_bytes "$memstore")"
  fi
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
ms mon client mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
mon osd full ratio = 0.99
mon osd backfillfull ratio = 0.99
mon osd nearfull ratio = 0.99
osd data = $DIR/ceph/osd/\$id
mon data = $DIR/ceph/mon/\$id
$store_conf

[client.rgw.test]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $DIR/ceph/rgw
rgw thread pool size = 64
EOF

  monmaptool --create --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" --fsid "$fsid" "$DIR/monmap" >>"$DIR/log/setup.log" 2>&1
  ceph-mon -c "$conf" --mkfs -i a --monmap "$DIR/monmap" >>"$DIR/log/setup.log" 2>&1
  start_daemon mon ceph-mon -c "$conf" -f -i a
  wait_for "$START_TIMEOUT" "ceph-mon" timeout 5 ceph -c "$conf" mon stat

  local osd_id
  osd_id="$(timeout 20 ceph -c "$conf" osd new "$osd_uuid" 2>>"$DIR/log/setup.log")"
  [[ "$osd_id" == "0" ]] || die "unexpected osd id '$osd_id'"
  ceph-osd -c "$conf" --mkfs -i 0 --osd-uuid "$osd_uuid" >>"$DIR/log/setup.log" 2>&1
  start_daemon osd ceph-osd -c "$conf" -f -i 0
  osd_up() { timeout 5 ceph -c "$conf" osd dump 2>/dev/null | grep -q '^osd.0 up'; }
  wait_for "$START_TIMEOUT" "ceph-osd up" osd_up

  start_daemon rgw radosgw -c "$conf" -f -n client.rgw.test
  wait_for "$START_TIMEOUT" "radosgw on port $rgw_port" curl -sf -o /dev/null "http://127.0.0.1:$rgw_port/"

  timeout 30 radosgw-admin -c "$conf" -n client.rgw.test user create --uid=hcpmodelfs-test \
    --display-name="HcpModelFs test" --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" \
    >>"$DIR/log/setup.log" 2>&1

  if [[ -n "$watch_pid" ]]; then
    # Watchdog: stops the daemons when the watched process ends (bounded by that process's life).
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; rm -f "$3/run/watchdog.pid"; "$2" stop "$3"' watchdog \
      "$watch_pid" "$(realpath "$0")" "$DIR" >/dev/null 2>&1 </dev/null &
    echo $! >"$DIR/run/watchdog.pid"
  fi
  trap - ERR

  cat >"$DIR/rgw.env" <<EOF
RGW_ENDPOINT=http://127.0.0.1:$rgw_port
S3_ENDPOINT=http://127.0.0.1:$rgw_port
S3_ACCESS_KEY_ID=$ACCESS_KEY
S3_SECRET_ACCESS_KEY=$SECRET_KEY
S3_REGION=us-east-1
RGW_CONF=$conf
EOF
  cat "$DIR/rgw.env"
}

cmd_stop() {
  stop_daemons "$DIR"
  rm -rf "$DIR/ceph" "$DIR/ports"
}

(( $# >= 2 )) || usage
ACTION="$1"; DIR="$2"; shift 2
case "$ACTION" in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  *) usage ;;
esac
