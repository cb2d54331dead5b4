#!/bin/sh
# Like the upstream image, whose build turns protected mode off: the network, not Redis, keeps
# strangers out.
set -eu
if [ "$1" = redis-server ]; then
    shift
    set -- redis-server --protected-mode no "$@"
fi
exec "$@"
