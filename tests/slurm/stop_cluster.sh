#!/usr/bin/env bash
# Stop the cluster started by start_cluster.sh STATE_DIR.
STATE=$(realpath -m "${1:?state folder}")
for pid in "$STATE/slurmd.pid" "$STATE/slurmctld.pid"; do
  [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
done
exit 0
