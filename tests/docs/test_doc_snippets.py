"""Docs that cannot rot: every code block in README.md and docs/*.md is checked.

- ```python blocks run (each in a fresh subprocess, from the repository root, offline).
- ```shell / ```bash blocks: every `python <script>` line must name an existing script and only
  flags that the script's ``--help`` lists; `make <target>` must be a Makefile target;
  `bash <script>` must exist.
- A block can opt out with an HTML comment on the line right before it, which must give a reason:
  ``<!-- docs-test: skip needs download.openmmlab.com -->``. A reasonless skip fails.
  ``<!-- docs-test: no-run REASON -->`` keeps the shell flag checks but runs nothing.
- Guides with shell commands to run are executed top to bottom by ``test_guides_run.py``
  (python blocks included, with a local weights mirror); their python blocks are not run here.
"""
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))
FENCE = re.compile(r'^```(\w+)?\s*$')
SKIP = re.compile(r'<!--\s*docs-test:\s*skip\b(.*?)-->')
NO_RUN = re.compile(r'<!--\s*docs-test:\s*no-run\b(.*?)-->')


def code_blocks():
    for path in DOC_FILES:
        lines = path.read_text(encoding='utf-8').splitlines()
        i = 0
        while i < len(lines):
            match = FENCE.match(lines[i].strip())
            if match and match.group(1):
                lang, start = match.group(1).lower(), i
                j = i + 1
                while j < len(lines) and lines[j].strip() != '```':
                    j += 1
                previous = lines[start - 1] if start else ''
                skip = SKIP.search(previous)
                yield (path.relative_to(ROOT).as_posix(), start + 1, lang,
                       '\n'.join(lines[start + 1:j]), skip.group(1).strip() if skip else None)
                i = j + 1
            else:
                i += 1


BLOCKS = [b for b in code_blocks() if b[2] in ('python', 'shell', 'bash', 'sh')]


def block_id(block):
    return f'{block[0]}:{block[1]}'


@cache
def script_help(script: str, subcommand: str = '') -> str:
    args = [sys.executable, script] + ([subcommand] if subcommand else []) + ['--help']
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f'{" ".join(args[1:])} failed:\n{proc.stderr[-2000:]}'
    return proc.stdout


def subcommands(help_text: str) -> set:
    """Sub-command names argparse lists as ``{a,b}`` in a script's usage line."""
    usage = help_text.split('\n\n')[0]
    return {name for group in re.findall(r'\{([\w,-]+)\}', usage) for name in group.split(',')}


def make_targets():
    text = (ROOT / 'Makefile').read_text()
    return set(re.findall(r'^([A-Za-z0-9_.-]+):', text, flags=re.M))


def logical_lines(text):
    """Join backslash continuations; drop comments and prompts."""
    joined = re.sub(r'\\\n\s*', ' ', text)
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith('$ '):
            line = line[2:]
        if not line or line.startswith('#'):
            continue
        yield line.split(' #')[0]


def check_shell(block_text, where):
    for line in logical_lines(block_text):
        for command in re.split(r'\s*(?:&&|\|\||;|\|)\s*', line):
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            while words and re.match(r'^[A-Z_][A-Z0-9_]*=', words[0]):  # VAR=value prefixes
                words = words[1:]
            if not words:
                continue
            if words[0] in ('python', 'python3', '.venv/bin/python') and len(words) > 1:
                if words[1] == '-m' or words[1] == '-c':
                    continue
                script = words[1]
                assert (ROOT / script).is_file(), f'{where}: {script} does not exist'
                help_text = script_help(script)
                positional = [w for w in words[2:] if not w.startswith('-')]
                if positional and positional[0] in subcommands(help_text):
                    help_text = script_help(script, positional[0])
                for flag in (w.split('=')[0] for w in words[2:] if w.startswith('--')):
                    assert flag in help_text, f'{where}: {script} has no flag {flag}'
            elif words[0] == 'make' and len(words) > 1:
                for target in (w for w in words[1:] if not w.startswith('-') and '=' not in w):
                    assert target in make_targets(), f'{where}: Makefile has no target {target}'
            elif words[0] in ('bash', 'sh') and len(words) > 1 and not words[1].startswith('-'):
                assert (ROOT / words[1]).is_file(), f'{where}: {words[1]} does not exist'


@pytest.mark.parametrize('block', BLOCKS, ids=block_id)
def test_doc_block(block, tmp_path):
    path, line, lang, text, skip = block
    where = f'{path}:{line}'
    if skip is not None:
        assert skip, f'{where}: a docs-test skip marker must give a reason'
        pytest.skip(skip)
    if lang == 'python':
        no_run = NO_RUN.search(_line_before(path, line))
        if no_run is not None:
            assert no_run.group(1).strip(), f'{where}: a docs-test no-run marker needs a reason'
            pytest.skip(no_run.group(1).strip())
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from test_guides_run import RUNNABLE
        if path in RUNNABLE:
            pytest.skip(f'{path} runs top to bottom in tests/docs/test_guides_run.py')
        env = dict(os.environ, MMCLS_CONVNEXT_OFFLINE='1', MPLBACKEND='Agg',
                   PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')
        proc = subprocess.run([sys.executable, '-c', text], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (f'{where}: python block failed:\n{text}\n--- stderr ---\n'
                                      f'{proc.stderr[-3000:]}')
    else:
        check_shell(text, where)


def _line_before(path: str, line: int) -> str:
    lines = (ROOT / path).read_text(encoding='utf-8').splitlines()
    return lines[line - 2] if line >= 2 else ''


def test_skip_markers_need_reasons():
    bad = [block_id(b) for b in code_blocks() if b[4] == '']
    bad += [block_id(b) for b in code_blocks()
            if (m := NO_RUN.search(_line_before(b[0], b[1]))) and not m.group(1).strip()]
    assert not bad, f'docs-test skip / no-run markers without a reason: {bad}'
