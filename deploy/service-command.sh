#!/bin/sh
# A service command for `mlops deploy --service-command`: reload the server when
# only the model changed (SIGHUP, no request dropped), restart it when the server
# itself changed. Install it on the VM as /usr/local/bin/mlops-service-command.
set -eu
if [ "${MLOPS_SERVER_CHANGED:-1}" = 1 ]; then
  exec sudo systemctl restart mlops-serve
fi
exec sudo systemctl reload mlops-serve
