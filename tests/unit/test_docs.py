"""The docs are checked: README.md and docs/*.md.

- every relative link and image resolves (the file, and a #anchor to a heading as GitHub spells it);
- every `digits ...` command in a code block or in inline code names a subcommand and options that
  the parser in digits/cli.py has;
- every `python -m <project module>` and `python <file>.py` names something that exists, and
  benchmarks run one way: `python -m benchmarks.<name>`;
- a ```console block made only of `digits predict|collect|inspect` and `echo $?` runs, in a temporary
  folder with a copy of examples/ and README.md and a small untrained model as models/model.pt, and
  prints the lines the block shows (numbers, SHA-256 names and each answer's decision compared as
  placeholders, since the small model's predictions are not the trained model's: an answer the docs show
  must still read as one of the three, `7 (99.2%)`, `not sure: 4 (58.0%) or 9 (40.0%)`, `not a digit`).
"""

import argparse
import contextlib
import io
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from digits.cli import build_parser, main
from tests.serve_support import small_model

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_BLOCKS = {"bash", "sh", "shell", "console"}  # code blocks whose lines (console: after `$ `) are commands
PROJECT_PACKAGES = {"digits", "stages", "benchmarks", "scripts", "tests"}
RUNNABLE = {"predict", "collect", "inspect"}  # digits subcommands a console block may run here (offline, quick)
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")


@dataclass
class Block:
    lang: str
    lines: list[str]
    line: int  # 1-based line of the opening fence


@dataclass
class Page:
    path: Path
    prose: list[tuple[int, str]]  # (line number, text) outside code blocks
    blocks: list[Block]

    @property
    def name(self) -> str:
        return str(self.path.relative_to(ROOT))


def read_page(path: Path) -> Page:
    prose, blocks, block, indent, fence = [], [], None, 0, ""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        opening = FENCE.match(text)
        if block is None and opening:
            block = Block(opening["lang"].lower(), [], number)
            indent, fence = len(opening["indent"]), opening["fence"]
        elif block is not None and text.strip().startswith(fence) and not text.strip().strip(fence[0]):
            blocks.append(block)
            block = None
        elif block is not None:
            block.lines.append(text[indent:] if text[:indent].isspace() else text.lstrip())
        else:
            prose.append((number, text))
    assert block is None, f"{path}: code block from line {block.line} is never closed"
    return Page(path, prose, blocks)


PAGES = {path: read_page(path) for path in DOCS}


# --- links and anchors -------------------------------------------------------------------------------

INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML_LINK = re.compile(r"<(?:img|a|source)\b[^>]*?\b(?:src|href|srcset)=\"([^\"]+)\"", re.IGNORECASE)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def without_code(text: str) -> str:
    return INLINE_CODE.sub(lambda m: m[2], text)  # keep the words (anchors count them), drop the backticks


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: the rendered text lower-cased, punctuation dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", without_code(heading))  # a link's text only
    text = re.sub(r"<[^>]+>", "", text).replace("*", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Page) -> set[str]:
    """The page's heading anchors (a repeated heading gets -1, -2, ... as on GitHub) and HTML ids."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    for _, text in page.prose:
        if heading := HEADING.match(text):
            slug = github_anchor(heading[2])
            found.add(f"{slug}-{counts[slug]}" if slug in counts else slug)
            counts[slug] = counts.get(slug, 0) + 1
        found.update(re.findall(r"<[^>]*\b(?:id|name)=\"([^\"]+)\"", text))
    return found


def paragraphs(page: Page) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each run of prose lines, joined: a link or `code` may span lines."""
    lines: list[tuple[int, str]] = []
    for number, text in [*page.prose, (0, "")]:
        if text.strip() and (not lines or lines[-1][0] == number - 1):
            lines.append((number, text.strip()))
            continue
        if lines:
            yield lines[0][0], " ".join(line for _, line in lines)
        lines = [(number, text.strip())] if text.strip() else []


def links(page: Page) -> Iterator[tuple[int, str]]:
    for number, text in paragraphs(page):
        bare = INLINE_CODE.sub("", text)  # a link inside `code` is not a link
        for pattern in (LINK, HTML_LINK):
            for match in pattern.finditer(bare):
                yield number, match[1]
    for number, text in page.prose:
        reference = REFERENCE.match(INLINE_CODE.sub("", text))
        if reference:
            yield number, reference[1]


def link_problem(page: Page, target: str) -> str | None:
    """Why `target` does not resolve from `page`, or None. External URLs are not fetched (offline)."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return None  # http:, https:, mailto: ...
    path_part, _, anchor = target.partition("#")
    resolved = (page.path.parent / path_part).resolve() if path_part else page.path
    if not resolved.is_relative_to(ROOT):
        return f"{target}: outside the repository"
    if not resolved.exists():
        return f"{target}: no such file"
    if anchor and resolved.suffix == ".md":
        known = anchors(PAGES.get(resolved) or read_page(resolved))
        if anchor not in known:
            return f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}"
    return None


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_images_resolve(path: Path) -> None:
    page = PAGES[path]
    problems = [f"{page.name}:{n}: {why}" for n, target in links(page) if (why := link_problem(page, target))]
    assert not problems, "\n".join(problems)


def test_every_docs_page_is_linked_from_the_readme_or_another_page() -> None:
    linked = {
        (page.path.parent / target.partition("#")[0]).resolve()
        for page in PAGES.values()
        for _, target in links(page)
        if target.partition("#")[0]
    }
    orphans = [page.name for page in PAGES.values() if page.path != ROOT / "README.md" and page.path not in linked]
    assert not orphans, f"pages no other page links to: {orphans}"


def test_github_anchors() -> None:
    assert github_anchor("Handwriting from elsewhere: the `ood` stage") == "handwriting-from-elsewhere-the-ood-stage"
    assert github_anchor("Team storage: `benchmarks.remote`") == "team-storage-benchmarksremote"
    assert github_anchor("Set up a remote (once per team)") == "set-up-a-remote-once-per-team"
    assert github_anchor("Predict, serve and collect") == "predict-serve-and-collect"


# --- commands ----------------------------------------------------------------------------------------


@dataclass
class Command:
    where: str  # page:line
    argv: list[str]


def command_lines(block: Block) -> Iterator[tuple[int, str]]:
    """(offset in the block, command line) with continuations joined, heredoc bodies skipped."""
    lines = block.lines
    i = 0
    while i < len(lines):
        start, text = i, lines[i]
        i += 1
        if block.lang == "console":
            if not text.startswith("$ "):
                continue  # output
            text = text[2:]
        while text.rstrip().endswith("\\") and i < len(lines):
            text = text.rstrip()[:-1] + " " + lines[i].strip()
            i += 1
        heredoc = re.search(r"<<-?\s*'?\"?(\w+)", text)
        if heredoc:
            while i < len(lines) and lines[i].strip() != heredoc[1]:
                i += 1
            i += 1
        yield start, text


PLACEHOLDER = "__placeholder__"  # what <name> in `python -m benchmarks.<name>` becomes: not a redirection


def simple_commands(text: str) -> Iterator[list[str]]:
    """Split a shell line into its simple commands (at &&, ||, ;, |, &, parentheses), comments dropped."""
    text = re.sub(r"<[A-Za-z][\w.-]*>", PLACEHOLDER, text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    argv: list[str] = []
    for token in lexer:
        if token and set(token) <= set("&|;()<>"):
            if argv:
                yield argv
            argv = []
        else:
            argv.append(token)
    if argv:
        yield argv


def strip_prefix(argv: list[str]) -> list[str]:
    """Drop what comes before the program: VAR=value assignments and shell keywords (do, then, time)."""
    while argv and (re.match(r"^\w+=", argv[0]) or argv[0] in {"do", "then", "else", "time", "!", "exec"}):
        argv = argv[1:]
    return argv


def commands() -> Iterator[Command]:
    for page in PAGES.values():
        for block in page.blocks:
            if block.lang not in SHELL_BLOCKS:
                continue
            for offset, text in command_lines(block):
                for argv in simple_commands(text):
                    yield Command(f"{page.name}:{block.line + 1 + offset}", strip_prefix(argv))
        for number, text in paragraphs(page):  # inline code: `digits collect SRC... --label D [--into DIR]`
            for match in INLINE_CODE.finditer(text):
                code = match[2].strip()
                if re.match(r"^(digits|python3?) ", code):
                    for argv in simple_commands(code):  # [--into DIR]: an optional part, checked as the rest
                        optional = [token.strip("[]") for token in strip_prefix(argv)]
                        yield Command(f"{page.name}:{number}", [token for token in optional if token])


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_problem(argv: list[str], parser: argparse.ArgumentParser) -> str | None:
    """Why `digits ...` is not a command digits/cli.py knows, or None."""
    if len(argv) < 2:
        return None
    commands = subcommands(parser)
    if argv[1].startswith("-"):
        sub, options = parser, argv[1:]
    elif argv[1] in commands:
        sub, options = commands[argv[1]], argv[2:]
    else:
        return f"no subcommand {argv[1]!r} (digits has {', '.join(commands)})"
    for token in options:
        if token == "--":
            break
        if re.match(r"^--?[A-Za-z]", token):
            name = token.split("=", 1)[0]
            if name not in sub._option_string_actions:
                return f"{' '.join(argv[:2])}: no option {name}"
    return None


def python_problem(argv: list[str]) -> str | None:
    """Why a `python ...` command names a project module or file that does not exist, or None."""
    for i, token in enumerate(argv[:-1]):
        if token != "-m":
            continue
        module = argv[i + 1]
        if module.split(".")[0] not in PROJECT_PACKAGES or PLACEHOLDER in module:  # stages.<name>
            continue
        base = ROOT.joinpath(*module.split("."))
        if not (base.with_suffix(".py").is_file() or base.is_dir()):
            return f"no module {module} in the project"
    if argv[0] in {"python", "python3"} and len(argv) > 1 and argv[1].endswith(".py"):
        script = argv[1]
        if script.startswith("benchmarks/"):
            return f"{script}: run benchmarks as `python -m benchmarks.{Path(script).stem}` from the repo root"
        if script.split("/")[0] in PROJECT_PACKAGES and not (ROOT / script).is_file():
            return f"{script}: no such file"
    return None


def test_digits_commands_in_the_docs_exist() -> None:
    parser = build_parser()
    seen, problems = 0, []
    for command in commands():
        if command.argv and command.argv[0] == "digits":
            seen += 1
            if why := cli_problem(command.argv, parser):
                problems.append(f"{command.where}: {' '.join(command.argv)}: {why}")
    assert seen > 10, f"only {seen} digits commands found: is the parsing broken?"
    assert not problems, "\n".join(problems)


def test_python_modules_and_scripts_in_the_docs_exist() -> None:
    seen, problems = 0, []
    for command in commands():
        if "-m" in command.argv or (command.argv and command.argv[0] in {"python", "python3"}):
            seen += 1
            if why := python_problem(command.argv):
                problems.append(f"{command.where}: {' '.join(command.argv)}: {why}")
    assert seen > 5, f"only {seen} python commands found: is the parsing broken?"
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_should() -> None:
    parser = build_parser()
    assert cli_problem(["digits", "predict", "--top-k", "3", "x.png"], parser) is None
    assert "no option --topk" in cli_problem(["digits", "predict", "--topk", "3"], parser)
    assert "no subcommand 'train'" in cli_problem(["digits", "train"], parser)
    assert cli_problem(["digits", "serve", "--port=0"], parser) is None
    assert python_problem(["python", "-m", "benchmarks.remote"]) is None
    assert "no module benchmarks.nosuch" in python_problem(["python", "-m", "benchmarks.nosuch"])
    assert "python -m benchmarks.bench" in python_problem(["python", "benchmarks/bench.py"])
    assert [*simple_commands("python -m benchmarks.<name>")] == [["python", "-m", f"benchmarks.{PLACEHOLDER}"]]
    assert list(simple_commands("a=1 digits predict x && echo $? # comment")) == [
        ["a=1", "digits", "predict", "x"],
        ["echo", "$?"],
    ]
    answers = ["a.png: 7 (99.2%)", "a.png: not sure: 4 (58.0%) or 9 (40.0%)  1 (0.9%)", "a.png: not a digit"]
    assert {placeholders(answer) for answer in answers} == {"a.png: <answer>"}
    assert placeholders("a.png: not sure: 4 (58.0%)") == "a.png: not sure: <n> (<n>%)"  # not an answer: compared
    assert placeholders('{"decision": "unsure", "digit": 4}') == '{"decision": <decision>, "digit": <n>}'
    page = Page(ROOT / "README.md", [], [])
    assert link_problem(page, "docs/nosuch.md") == "docs/nosuch.md: no such file"
    assert "no heading #nosuch" in link_problem(page, "docs/ood.md#nosuch")
    assert link_problem(page, "https://example.com/x") is None


# --- console blocks that run -------------------------------------------------------------------------


@dataclass
class Step:
    argv: list[str]
    expected: list[str]


def console_steps(block: Block) -> list[Step] | None:
    """The block's commands and the output each shows, or None when it has a command not run here."""
    steps: list[Step] = []
    for line in block.lines:
        if line.startswith("$ "):
            argv = [*simple_commands(line[2:])]
            if len(argv) != 1:
                return None
            argv = argv[0]
            runnable = argv == ["echo", "$?"] or (len(argv) > 1 and argv[0] == "digits" and argv[1] in RUNNABLE)
            if not runnable:
                return None
            steps.append(Step(argv, []))
        elif steps:
            steps[-1].expected.append(line)
        else:
            return None  # output before any command
    return steps or None


def runnable_blocks() -> list[tuple[str, list[Step]]]:
    found = []
    for page in PAGES.values():
        for block in page.blocks:
            if block.lang == "console" and (steps := console_steps(block)):
                found.append((f"{page.name}:{block.line}", steps))
    return found


RUNNABLE_BLOCKS = runnable_blocks()


SCORED = r"<n> \(<n>%\)"  # a digit and its probability, numbers already placeholders
ANSWER_TEXT = re.compile(
    rf"^(?P<path>[^:]+): (?:(?:{SCORED}|not sure: {SCORED} or {SCORED})(?:  {SCORED})*|not a digit)$"
)
ANSWER_JSON = re.compile(r'"decision": "(?:digit|unsure|not_a_digit)"')


def placeholders(line: str) -> str:
    """Compare modulo what depends on the model: SHA-256 names, numbers and the decision of an answer of
    `digits predict` (a well-formed text answer of any decision is `<answer>`)."""
    line = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", line.rstrip())
    line = re.sub(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?", "<n>", line)
    return ANSWER_JSON.sub('"decision": <decision>', ANSWER_TEXT.sub(r"\g<path>: <answer>", line))


def run_digits(argv: list[str]) -> tuple[int, list[str]]:
    """`digits ...` in this process, stdout and stderr in one stream in the order written (as a terminal
    shows them), and the exit status."""
    out = io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(argv[1:])
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 1
    return status, out.getvalue().splitlines()


def test_some_console_blocks_run() -> None:
    assert len(RUNNABLE_BLOCKS) >= 2, RUNNABLE_BLOCKS


@pytest.mark.parametrize(("where", "steps"), RUNNABLE_BLOCKS, ids=[where for where, _ in RUNNABLE_BLOCKS])
def test_console_block_output(
    where: str, steps: list[Step], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_model_file: Path
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    (tmp_path / "models").mkdir()
    shutil.copy(small_model_file, tmp_path / "models" / "model.pt")
    monkeypatch.chdir(tmp_path)
    status = 0
    for step in steps:
        if step.argv == ["echo", "$?"]:
            printed = [str(status)]
        else:
            status, printed = run_digits(step.argv)
        shown = f"$ {shlex.join(step.argv)}"
        assert [placeholders(line) for line in printed] == [placeholders(line) for line in step.expected], (
            f"{where}: {shown} printed:\n" + "\n".join(printed) + "\nthe docs show:\n" + "\n".join(step.expected)
        )


@pytest.fixture(scope="module")
def small_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("model") / "model.pt")
