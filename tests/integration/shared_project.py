"""A project shared the way a team shares it: a bare Git origin plus a DVC remote on a real S3 server.

The remote's URL and endpoint are committed in .dvc/config, as a team would; credentials never are:
each clone gets them in .dvc/config.local (`dvc remote modify --local`) or as AWS_* variables.
"""

import hashlib
import itertools
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.integration.pipeline_repo import PipelineRepo, environment
from tests.seaweed import S3Server, isolated_aws_env

REMOTE = "storage"  # the DVC remote's name in .dvc/config
# what the DVC remote holds (dvc.yaml's cached outs)
OUTPUTS = ("data/raw", "data/processed", "data/ood_inputs.pt", "models/mnist.pt", "models/model.pt")
_prefixes = itertools.count()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def add_remote(repo: PipelineRepo, server: S3Server, prefix: str) -> None:
    """The README's commands for a self-hosted S3 store: URL and endpoint in git, keys local."""
    repo.run("dvc", "remote", "add", "--default", REMOTE, f"s3://{server.bucket}/{prefix}", check=True)
    repo.run("dvc", "remote", "modify", REMOTE, "endpointurl", server.endpoint, check=True)
    set_local_credentials(repo, server.access_key, server.secret_key)


def set_local_credentials(repo: PipelineRepo, access_key: str, secret_key: str) -> None:
    repo.run("dvc", "remote", "modify", "--local", REMOTE, "access_key_id", access_key, check=True)
    repo.run("dvc", "remote", "modify", "--local", REMOTE, "secret_access_key", secret_key, check=True)


@dataclass
class SharedProject:
    origin: Path  # bare Git repository everyone clones and pushes to
    server: S3Server
    prefix: str  # the DVC remote's folder in the bucket
    owner: PipelineRepo  # the clone that ran the pipeline and pushed its outputs

    @classmethod
    def publish(cls, repo: PipelineRepo, server: S3Server, folder: Path, push: bool = True) -> "SharedProject":
        """Point `repo` (a reproduced pipeline) at a new remote folder, commit that, give it a bare
        origin, then `git push` and (unless `push` is false) `dvc push` as its owner would."""
        prefix = f"project-{next(_prefixes)}-{folder.name}"
        repo.env.update(isolated_aws_env(folder))
        add_remote(repo, server, prefix)
        repo.commit("share: DVC remote on S3")
        origin = folder / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
        repo.run("git", "remote", "add", "origin", str(origin), check=True)
        repo.run("git", "push", "-q", "-u", "origin", "main", check=True)
        if push:
            repo.run("dvc", "push", check=True)
        return cls(origin, server, prefix, repo)

    def clone(self, path: Path, credentials: str = "local") -> PipelineRepo:
        """A fresh clone with its key pair in .dvc/config.local ("local") or in AWS_* variables ("env")."""
        subprocess.run(["git", "clone", "-q", str(self.origin), str(path)], check=True, env=environment())
        if credentials == "env":
            return PipelineRepo(path, self.server.env())
        repo = PipelineRepo(path, isolated_aws_env(path.parent))
        set_local_credentials(repo, self.server.access_key, self.server.secret_key)
        return repo

    def remote_keys(self) -> dict[str, int]:
        return self.server.keys(f"{self.prefix}/")


def lock_md5s(repo: PipelineRepo) -> dict[str, str]:
    """What dvc.lock says each cached output of the pipeline hashes to (directories: their .dir manifest)."""
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}


def verify_outputs(repo: PipelineRepo) -> None:
    """Every cached output in the workspace has the bytes dvc.lock names, file by file inside directories
    (their `.dir` manifests in the cache list each file's md5)."""
    md5s = lock_md5s(repo)
    for path, expected in ((out, md5s[out]) for out in OUTPUTS):
        if expected.endswith(".dir"):
            manifest = repo.path / ".dvc/cache/files/md5" / expected[:2] / expected[2:]
            files = {entry["relpath"]: entry["md5"] for entry in json.loads(manifest.read_text())}
            found = {str(p.relative_to(repo.path / path)) for p in (repo.path / path).rglob("*") if p.is_file()}
            assert found == set(files), f"{path}: {sorted(found ^ set(files))}"
            for name, digest in files.items():
                assert md5(repo.path / path / name) == digest, f"{path}/{name}"
        else:
            assert md5(repo.path / path) == expected, path
