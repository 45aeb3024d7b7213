# shellcheck shell=bash
# pydron.sh - sourced by the Pydron tests of test/cloud: test/ssh's
# common.sh (T, fail, say, build, build_ref, same, check) and lib/cloud.sh
# (the fake EC2 endpoint), then a fake started for this test and the
# programs most tests run.
# shellcheck disable=SC1091
. "$PYDRON_SRC_ROOT/test/ssh/lib/common.sh"
. "$CLOUD_LIB"
cloud_up "$T/ec2"
FL="$PYDRON_SRC_ROOT/test/workers/Inputs/faults_long.c"
build "$T/prog" "$FL"
build_ref "$T/seq" "$FL"
EC2PY=("$CLOUD_PY" "$PYDRON_SRC_ROOT/test/cloud/Inputs/ec2_client.py")
