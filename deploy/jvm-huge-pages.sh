#!/bin/sh
# Prints the JVM option that puts the Java heap on transparent huge pages, or nothing: -XX:+UseTransparentHugePages
# when the kernel hands them out on request (THP mode "madvise"), and nothing when it gives them to every mapping
# anyway ("always"), never gives them ("never": the JVM would warn on every start), or when the options passed as
# arguments already decide it (-XX:+/-UseTransparentHugePages, -XX:+UseLargePages...).
#
# Why: a fresh heap page costs a fault, and a calibration pass allocates every block's activations anew. On this
# project's 2-core VMs a one-thread Wanda prune of stories15M spent 3.1 s of its 12.6 s in the kernel for 438,000
# faults on 4 KiB pages; on 2 MiB pages 52,000 faults, 1.6 s, and the prune's stages took 8.5 instead of 11.8 s
# (bench/results/performance-notes.md).
#
# Used by ./lab, ./lab up's services (deploy/local/lab-services.sh), bench/gpu-check.sh and the container image's
# entry point. THP_ENABLED_FILE names another mode file (tests).
case " $* " in
  *UseTransparentHugePages*|*UseLargePages*) exit 0 ;;
esac
if grep -qs '\[madvise\]' "${THP_ENABLED_FILE:-/sys/kernel/mm/transparent_hugepage/enabled}"; then
  echo "-XX:+UseTransparentHugePages"
fi
exit 0
