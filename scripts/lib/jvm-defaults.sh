# The JVM flags scripts/edge and scripts/connector run with unless told otherwise (scripts/lib/launcher.sh says why),
# sourced there and by scripts/bench.sh, whose bare relays run with the same.
JVM_DEFAULTS="-XX:+UseParallelGC -Xms64m -Xmx512m -Xmn32m -Dio.netty.allocator.lowMemory=false"
