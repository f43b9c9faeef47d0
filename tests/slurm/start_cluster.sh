#!/usr/bin/env bash
# A single-node Slurm cluster on this machine (root needed), for tests and for trying `executor.type: slurm`.
# Usage: tests/slurm/start_cluster.sh STATE_DIR   -> prints the partition name ("debug") when the node is idle.
# Needs: apt-get install slurm-wlm munge. Stop it with: tests/slurm/stop_cluster.sh STATE_DIR
set -euo pipefail
STATE=$(realpath -m "${1:?state folder}")
mkdir -p "$STATE"/{spool,ctld,log}
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 2048 ))
cat > "$STATE/slurm.conf" <<CONF
ClusterName=factory
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF="$STATE/slurm.conf"
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
  [ -s /etc/munge/munge.key ] || (command -v mungekey >/dev/null && mungekey --create) || true
  (runuser -u munge -- munged 2>/dev/null || munged --force)
fi
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  if sinfo -h -o "%T" 2>/dev/null | grep -q idle; then echo debug; exit 0; fi
  sleep 1
done
echo "slurm node did not become idle; see $STATE/log" >&2
exit 1
