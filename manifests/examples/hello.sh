#!/bin/busybox sh
echo "hello from $(hostname) in $(pwd), $(ls /usr/local/bin | wc -l) applets"
