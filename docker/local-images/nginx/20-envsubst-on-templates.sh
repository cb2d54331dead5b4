#!/bin/sh
# /etc/nginx/templates/*.template into /etc/nginx/conf.d/, with the variables that are set and
# whose names match NGINX_ENVSUBST_FILTER (all when it is unset), as the upstream image does.
set -eu
defined=$(env | cut -d= -f1 | grep -E "${NGINX_ENVSUBST_FILTER:-.*}" | sed 's/^/${/; s/$/}/' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
    [ -e "$template" ] || continue
    output="/etc/nginx/conf.d/$(basename "$template" .template)"
    envsubst "$defined" < "$template" > "$output"
    echo "$0: rendered $template into $output"
done
