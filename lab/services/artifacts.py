"""JVM artifacts from Maven Central: pinned bundles resolved once into the cache, offline afterwards."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lab import config
from lab.errors import ArtifactError, ToolMissing


@dataclass(frozen=True)
class Bundle:
    """A set of Maven coordinates copied (with their runtime dependencies) into one folder."""

    name: str
    coordinates: tuple[str, ...]  # group:artifact:version[:type[:classifier]]
    transitive: bool = True
    unpack: bool = False  # unpack archives instead of copying jars

    @property
    def folder(self) -> Path:
        return config.jars_dir() / self.name

    def fingerprint(self) -> str:
        return hashlib.sha256(
            "\n".join((*self.coordinates, str(self.transitive), str(self.unpack))).encode()
        ).hexdigest()[:16]


BUNDLES: dict[str, Bundle] = {
    "kafka": Bundle(
        "kafka",
        (
            f"org.apache.kafka:kafka_{config.SCALA_KAFKA}:{config.KAFKA_VERSION}",
            f"org.apache.kafka:kafka-tools:{config.KAFKA_VERSION}",
            f"org.apache.logging.log4j:log4j-core:{config.LOG4J_VERSION}",
            f"org.apache.logging.log4j:log4j-slf4j-impl:{config.LOG4J_VERSION}",
        ),
    ),
    "cassandra": Bundle("cassandra", (f"org.apache.cassandra:cassandra-all:{config.CASSANDRA_VERSION}",)),
    "spark": Bundle(
        "spark",
        (
            f"org.apache.spark:spark-sql-kafka-0-10_{config.SCALA_SPARK}:{config.SPARK_VERSION}",
            f"org.apache.spark:spark-avro_{config.SCALA_SPARK}:{config.SPARK_VERSION}",
            f"com.datastax.spark:spark-cassandra-connector_{config.SCALA_SPARK}:{config.SCC_VERSION}",
        ),
    ),
    "agents": Bundle(
        "agents", (f"io.prometheus.jmx:jmx_prometheus_javaagent:{config.JMX_EXPORTER_VERSION}",), transitive=False
    ),
    # the raw archive (on demand: `lab up archive`): an S3-compatible store, a Connect worker, the Iceberg sink plugin
    "s3proxy": Bundle(
        "s3proxy", (f"org.gaul:s3proxy:{config.S3PROXY_VERSION}:jar:jar-with-dependencies",), transitive=False
    ),
    "connect": Bundle(
        "connect",
        (
            f"org.apache.kafka:connect-runtime:{config.KAFKA_VERSION}",
            f"org.apache.kafka:connect-json:{config.KAFKA_VERSION}",
            f"org.apache.kafka:connect-transforms:{config.KAFKA_VERSION}",
            f"org.apache.logging.log4j:log4j-core:{config.LOG4J_VERSION}",
            f"org.apache.logging.log4j:log4j-slf4j-impl:{config.LOG4J_VERSION}",
        ),
    ),
    "iceberg": Bundle(
        "iceberg",
        (
            f"org.apache.iceberg:iceberg-kafka-connect:{config.ICEBERG_VERSION}",
            f"org.apache.iceberg:iceberg-parquet:{config.ICEBERG_VERSION}",
            f"org.apache.iceberg:iceberg-aws:{config.ICEBERG_VERSION}",
            *(
                f"software.amazon.awssdk:{a}:{config.AWS_SDK_VERSION}"
                for a in ("s3", "sts", "kms", "url-connection-client", "apache-client")
            ),
            f"org.apache.hadoop:hadoop-client-api:{config.HADOOP_VERSION}",
            f"org.apache.hadoop:hadoop-client-runtime:{config.HADOOP_VERSION}",
            f"org.xerial:sqlite-jdbc:{config.SQLITE_JDBC_VERSION}",
        ),
    ),
    "apicurio": Bundle(
        "apicurio",
        (f"io.apicurio:apicurio-registry-app:{config.APICURIO_VERSION}:tar.gz:all",),
        transitive=False,
        unpack=True,
    ),
}


def java_bin() -> str:
    """Path of a Java 17 `java`; ToolMissing says what to install when there is none."""
    home = config.java_home()
    java = str(home / "bin" / "java") if home else shutil.which("java")
    fix = (
        "Install a JDK 17 (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`; conda: "
        "`conda env create -f environment.yml`) and put it on PATH or set LAB_JAVA_HOME to it."
    )
    if not java or not Path(java).exists():
        raise ToolMissing(
            "java", f"no Java found ({'LAB_JAVA_HOME/JAVA_HOME=' + str(home) if home else 'not on PATH'})", fix
        )
    major = java_major(java)
    if major != config.JAVA_MAJOR:
        raise ToolMissing(
            "java",
            f"{java} is Java {major}; Kafka 4, Cassandra 5.0 and Spark 3.5 run here on Java {config.JAVA_MAJOR}",
            fix,
        )
    return java


def java_major(java: str) -> int:
    """The major version of a `java` executable."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except OSError as exc:
        raise ToolMissing("java", f"cannot run {java}: {exc}", "Install a JDK 17.") from exc
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        raise ToolMissing("java", f"cannot read the version of {java}: {out.strip()[:200]}", "Install a JDK 17.")
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 else major


def mvn_bin() -> str:
    """Path of `mvn`; ToolMissing when absent."""
    mvn = shutil.which("mvn")
    if not mvn:
        raise ToolMissing(
            "mvn",
            "Maven is not on PATH",
            "Install Maven 3.8+ (`apt-get install maven`, or `conda env create -f environment.yml`).",
        )
    return mvn


def _pom(bundle: Bundle) -> str:
    deps = []
    for coord in bundle.coordinates:
        g, a, v, *rest = coord.split(":")
        typ = f"<type>{rest[0]}</type>" if rest else ""
        cls = f"<classifier>{rest[1]}</classifier>" if len(rest) > 1 else ""
        excl = (
            "<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>"
            if not bundle.transitive
            else ""
        )
        deps.append(
            f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>{typ}{cls}{excl}</dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        f"<groupId>kappa-lab</groupId><artifactId>{bundle.name}-deps</artifactId><version>1</version><packaging>pom</packaging>"
        f"<dependencies>{''.join(deps)}</dependencies></project>\n"
    )


def resolve(name: str, quiet: bool = True) -> Path:
    """Resolve one bundle into its cache folder (idempotent; no Maven call once cached). Returns the folder."""
    bundle = BUNDLES[name]
    marker = bundle.folder / ".resolved"
    if marker.exists() and marker.read_text().strip() == bundle.fingerprint():
        return bundle.folder
    mvn = mvn_bin()
    java_bin()
    work = config.lab_home() / "maven" / name
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_pom(bundle))
    if bundle.folder.exists():
        shutil.rmtree(bundle.folder)
    goal = "unpack-dependencies" if bundle.unpack else "copy-dependencies"
    cmd = [
        mvn,
        "-B",
        "-f",
        str(work / "pom.xml"),
        f"{config.MAVEN_DEPENDENCY_PLUGIN}:{goal}",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={bundle.folder}",
    ]
    if quiet:
        cmd.insert(2, "-q")
    env = None
    if config.java_home():
        import os

        env = {**os.environ, "JAVA_HOME": str(config.java_home())}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise ArtifactError(
            f"Maven could not resolve the {name} bundle ({', '.join(bundle.coordinates)}).\n"
            f"Check the network to Maven Central, then run `lab setup` again.\n{tail}"
        )
    marker.write_text(bundle.fingerprint())
    return bundle.folder


def resolve_all(names: list[str] | None = None, progress=print) -> dict[str, Path]:
    """Resolve every bundle (or the named ones); returns name → folder."""
    out = {}
    for name in names or list(BUNDLES):
        cached = (BUNDLES[name].folder / ".resolved").exists()
        if progress:
            progress(f"{'cached   ' if cached else 'resolving'} {name}: {', '.join(BUNDLES[name].coordinates)}")
        out[name] = resolve(name)
    return out


def classpath(name: str) -> str:
    """A java -cp value for a resolved jar bundle."""
    return str(resolve(name) / "*")


def jar(name: str, prefix: str) -> Path:
    """The one jar in a bundle whose file name starts with `prefix`."""
    hits = sorted(resolve(name).glob(f"{prefix}*.jar"))
    if not hits:
        raise ArtifactError(f"no {prefix}*.jar in the {name} bundle; run `lab setup` again")
    return hits[0]


def spark_jars() -> list[Path]:
    """The connector jars Spark needs (Kafka source, Avro, Cassandra), without duplicates of pyspark's own jars."""
    import pyspark

    own = {p.name for p in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
    return sorted(p for p in resolve("spark").glob("*.jar") if p.name not in own)
