#!/bin/bash
# Lambda starts the runtime through this script (AWS_LAMBDA_EXEC_WRAPPER), passing the runtime's
# own command line: the Node.js binary first. Flags that NODE_OPTIONS refuses (V8's) go right
# after it. NODE_FLAGS is split on spaces on purpose: it holds several flags.
node="$1"
shift
# shellcheck disable=SC2086
exec "$node" $NODE_FLAGS "$@"
