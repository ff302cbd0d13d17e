#!/usr/bin/env bash
# Entrypoint of kappa-lab/spark-k8s. Spark on Kubernetes starts its pods with `driver …` or `executor` as the
# container's arguments and the rest in environment variables (SPARK_DRIVER_BIND_ADDRESS, SPARK_EXECUTOR_*,
# SPARK_JAVA_OPT_<n>); any other command runs as given (the submitting Job's spark-submit).
set -euo pipefail
SPARK_HOME=${SPARK_HOME:-$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')}
java_opts=()
while IFS='=' read -r name value; do
  [[ $name == SPARK_JAVA_OPT_* ]] && java_opts+=("$value")
done < <(env | sort -t_ -k4 -n)
case "${1:-}" in
  driver)
    shift
    exec "$SPARK_HOME/bin/spark-submit" --deploy-mode client \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS}" "$@"
    ;;
  executor)
    exec java -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" "${java_opts[@]}" \
      -cp "$SPARK_HOME/jars/*:${SPARK_CLASSPATH:-}" org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    exec "$@"
    ;;
esac
