"""DVC stage `download`: fetch the four MNIST files into data/raw/ as verified IDX payloads."""

from digits.core.atomic import atomic_dir
from digits.core.errors import run_main
from digits.core.params import MNIST_FILES, DownloadParams, load_params
from digits.core.paths import project_paths
from digits.data.download import download_file, sources_with_env


def main() -> None:
    paths = project_paths(__file__)
    params: DownloadParams = load_params(paths.params, "download")
    sources = sources_with_env(params.mirrors)
    # All four files land in a staging folder that replaces data/raw only once every one is verified.
    with atomic_dir(paths.raw_dir) as staging:
        for name in MNIST_FILES:
            used = download_file(
                name,
                sources,
                params.sha256[name],
                staging / name,
                root=paths.root,
                timeout=params.timeout,
                retries=params.retries,
            )
            print(f"download: {name} verified (from {used})")


if __name__ == "__main__":
    run_main(main, "download")
