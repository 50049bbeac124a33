#!/usr/bin/env bash
# One worker of a sweep spread over machines: clone the project, run one experiment, push it.
#
#   scripts/sweep-worker.sh GIT_URL [dvc exp run options: -n NAME -S key=value ...]
#
# The experiment's Git ref goes to GIT_URL and its outputs to the project's default DVC remote; the
# collecting machine then runs `dvc exp pull origin`, `dvc exp show`, `dvc exp apply NAME`, `dvc pull`.
# Needs on the worker: git with push access to GIT_URL, the project's Python environment
# (`pip install -e .` of any checkout), and the DVC remote's credentials in the environment
# (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for S3). Outputs of unchanged stages (the data) are
# pulled from the remote, not recomputed.
# Environment: SWEEP_REV   commit, branch or tag to run from (default: GIT_URL's default branch)
#              SWEEP_DIR   where to clone (kept afterwards); default: a temporary folder, removed on success
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 GIT_URL [-n NAME] [-S key=value ...]" >&2
  exit 2
fi
url=$1
shift
workdir=${SWEEP_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sweep-worker.XXXXXX")}
git clone --quiet "$url" "$workdir"
cd "$workdir"
if [ -n "${SWEEP_REV:-}" ]; then git checkout --quiet "$SWEEP_REV"; fi

DVC_EXP_AUTO_PUSH=true DVC_EXP_GIT_REMOTE=origin dvc exp run --pull "$@"
# Auto-push only warns when the upload fails; push again (a no-op when it worked) so a failure fails the job.
name=$(dvc exp list --name-only)
dvc exp push origin "$name"
echo "sweep-worker: experiment $name pushed to $url"
if [ -z "${SWEEP_DIR:-}" ]; then rm -rf "$workdir"; fi
