"""The offline HTML template of `dvc plots show` and `dvc plots diff`, and the script that writes it.

DVC's default report page loads vega, vega-lite and vega-embed from a CDN, so without internet its
charts stay blank. `.dvc/config` points `plots.html_template` at TEMPLATE instead: the same page with
the three libraries' `build/*.min.js` files (the ones the CDN serves) inlined from their npm packages.
Regenerate it after changing LIBRARIES with `python -m digits.evaluation.plots_template` (needs npm and the npm
registry; for a new version, it stops and prints the file's sha256 to pin after checking the source);
tests/unit/test_plots_template.py checks that the committed file is what this writes.
"""

import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2] / ".dvc" / "plots" / "offline.html"
# name: (version, sha256 of build/<name>.min.js in its npm package), in load order. DVC's vega renderer
# writes Vega-Lite v5 specs, and its default page loads vega 5, vega-lite 5 and vega-embed 6: same majors here.
LIBRARIES = {
    "vega": ("5.33.1", "463f3db6a40b20e9747b4ed38f37ed0add508838f9141b1cf8366784b07b30c8"),
    "vega-lite": ("5.23.0", "58c27358e26f2d319cf62f45bc17a4c8362f08645001df2ec8d341eee4097c7f"),
    "vega-embed": ("6.29.0", "12d02acfbe3ec59ef9a37dd4822a2e04e2961b5bbb671bbe661d2221715b99da"),
}
# dvc_render replaces these wherever they appear. No `{scripts}`: there DVC would put its CDN <script> tags.
PLACEHOLDERS = ("{refresh_tag}", "{plot_divs}", "{scripts}")
PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {refresh_tag}
    <title>DVC Plot</title>
@SCRIPTS@
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""
SCRIPT = "<script>/*! {name} {version}: {file} of the npm package {name}@{version} ({license}) */\n{js}\n</script>"
SCRIPT_RE = re.compile(
    r"<script>/\*! (?P<name>[\w-]+) (?P<version>\S+): \S+ of the npm package \S+ \((?P<license>[^)]*)\) \*/\n"
    r"(?P<js>.*?)\n</script>",
    re.DOTALL,
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fetch(name: str) -> tuple[str, str]:
    """The pinned file of library `name` and its license, from the npm package (npm checks its integrity)."""
    (version, digest), file = LIBRARIES[name], f"build/{name}.min.js"
    with tempfile.TemporaryDirectory() as tmp:
        npm = ["npm", "pack", f"{name}@{version}", "--pack-destination", tmp, "--json", "--ignore-scripts", "--silent"]
        packed = subprocess.run(npm, capture_output=True, text=True, check=True, cwd=tmp)  # noqa: S603 (no shell)
        with tarfile.open(Path(tmp) / json.loads(packed.stdout)[0]["filename"]) as tar:
            manifest = json.load(tar.extractfile("package/package.json"))
            js = tar.extractfile(f"package/{file}").read().decode()
    if manifest["version"] != version or sha256(js) != digest:
        raise ValueError(f"{name}@{version} {file}: got version {manifest['version']}, sha256 {sha256(js)}")
    return manifest["license"], js


def render(scripts: dict[str, tuple[str, str]]) -> str:
    """The template page, given each library's (license, js) in LIBRARIES order."""
    blocks = []
    for name, (license_, js) in scripts.items():
        version, file = LIBRARIES[name][0], f"build/{name}.min.js"
        if re.search(r"</script", js, re.IGNORECASE) or any(p in js for p in PLACEHOLDERS):
            raise ValueError(f"{name}: cannot be inlined as is (holds '</script' or a DVC placeholder)")
        blocks.append(SCRIPT.format(name=name, version=version, file=file, license=license_, js=js))
    return PAGE.replace("@SCRIPTS@", "\n".join(blocks))


def inlined(page: str) -> dict[str, tuple[str, str, str]]:
    """name: (version, license, js) of each library inlined in a template page."""
    return {m["name"]: (m["version"], m["license"], m["js"]) for m in SCRIPT_RE.finditer(page)}


def main() -> None:
    page = render({name: fetch(name) for name in LIBRARIES})
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_text(page, encoding="utf-8")
    print(f"wrote {TEMPLATE} ({len(page.encode()):,} bytes)")


if __name__ == "__main__":
    main()
