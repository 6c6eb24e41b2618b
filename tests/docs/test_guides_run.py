"""Every guide in docs/ runs from top to bottom, as written, in a scratch copy of the checkout.

For each ``docs/*.md`` with at least one shell command to run, all its ```shell / ```bash and
```python blocks run in document order in one bash session (python blocks through
``python - <<EOF``), from the root of a fresh copy of the repository, offline: published weights
the commands download come from a loopback mirror (``MMCLS_CONVNEXT_MIRROR``) holding test-made
stand-ins under the published file names (``tests/standin_weights.py``).

Nothing in a block is edited, except the values of variables the guide asks its reader to set
(:data:`USER_INPUTS`); data a guide expects the reader to have is created where the guide says
it is (:data:`USER_DATA`). What does not run:

- blocks marked ``<!-- docs-test: skip REASON -->`` or ``<!-- docs-test: no-run REASON -->``
  (the latter still get their flags checked by ``test_doc_snippets.py``);
- the python blocks of guides without a shell command to run (``test_doc_snippets.py`` runs
  them, offline);
- synopsis lines: a command with an unset placeholder argument (an all-caps word such as
  ``CONFIG`` or ``CHECKPOINT`` that no earlier line assigns) or a ``[--flag]`` group.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_doc_snippets import ROOT, code_blocks, logical_lines  # noqa: E402

NO_RUN = re.compile(r'<!--\s*docs-test:\s*no-run\b(.*?)-->')
PLACEHOLDER = re.compile(r'^[A-Z][A-Z0-9_]*[A-Z0-9]$')
ASSIGNMENT = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)=')
#: guide -> {variable: value}: only values the guide tells its reader to choose
USER_INPUTS = {'docs/finetune.md': {'EPOCHS': '2'}}  # "the recipe's length; at least 2"


def _finetune_images(checkout: Path) -> None:
    """docs/finetune.md: ``data/my_images/{train,val}/<class>/`` with NUM_CLASSES=2 classes."""
    rng = np.random.default_rng(0)
    for split, count in (('train', 2), ('val', 1)):
        for cls, colour in (('cat', (200, 40, 40)), ('dog', (40, 40, 200))):
            folder = checkout / 'data' / 'my_images' / split / cls
            folder.mkdir(parents=True)
            for i in range(count):
                noise = rng.integers(-30, 30, size=(40, 48, 3))
                img = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
                Image.fromarray(img).save(folder / f'{cls}_{i}.png')


#: guide -> function creating the data the guide says its reader has
USER_DATA = {'docs/finetune.md': _finetune_images}


def no_run_reason(path: str, line: int) -> str:
    lines = (ROOT / path).read_text(encoding='utf-8').splitlines()
    match = NO_RUN.search(lines[line - 2]) if line >= 2 else None
    return match.group(1).strip() if match else None


def is_synopsis(command: str, assigned: set) -> bool:
    words = command.split()
    while words and ASSIGNMENT.match(words[0]):
        words = words[1:]
    return '[--' in command or any(PLACEHOLDER.match(w) and w not in assigned for w in words)


def guide_script(path: str) -> tuple:
    """(bash script, number of shell commands it runs) for one guide, in document order."""
    parts, commands, assigned = ['set -euo pipefail'], 0, set()
    inputs = USER_INPUTS.get(path, {})
    for doc, line, lang, text, skip in code_blocks():
        if doc != path or skip is not None or no_run_reason(doc, line) is not None:
            continue
        if lang == 'python':
            parts.append(f"python - <<'PYTHON_BLOCK_{line}'\n{text}\nPYTHON_BLOCK_{line}")
        elif lang in ('shell', 'bash', 'sh'):
            for command in logical_lines(text):
                name = ASSIGNMENT.match(command)
                if name and ' ' not in command.split('#')[0].strip():
                    assigned.add(name.group(1))
                    if name.group(1) in inputs:
                        command = f'{name.group(1)}={inputs[name.group(1)]}'
                    parts.append(command)
                elif not is_synopsis(command, assigned):
                    parts.append(command)
                    commands += 1
    return '\n'.join(parts) + '\n', commands


GUIDES = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / 'docs').glob('*.md'))]
RUNNABLE = [g for g in GUIDES if guide_script(g)[1] > 0]


def _copy_checkout(dest: Path) -> Path:
    ignore = shutil.ignore_patterns('.git', '.venv', 'work_dirs', 'data', '__pycache__',
                                    'outputs', '*.pth', '*.onnx')
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def test_the_fine_tune_guide_is_run():
    assert 'docs/finetune.md' in RUNNABLE, 'the fine-tune guide must run end to end'


@pytest.mark.parametrize('guide', RUNNABLE)
def test_guide_runs_as_written(guide, standin_mirror, tmp_path):
    if guide == 'docs/finetune.md':
        pytest.importorskip('onnxruntime')  # its export step verifies with onnxruntime
    mirror, _, requests = standin_mirror
    checkout = _copy_checkout(tmp_path / 'checkout')
    if guide in USER_DATA:
        USER_DATA[guide](checkout)
    script, _ = guide_script(guide)
    env = dict(os.environ, MMCLS_CONVNEXT_MIRROR=mirror, MPLBACKEND='Agg', OMP_NUM_THREADS='1',
               MMCLS_CONVNEXT_HOME=str(tmp_path / 'cache'), PYTHONPATH=str(checkout),
               PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    env.pop('MMCLS_CONVNEXT_OFFLINE', None)
    proc = subprocess.run(['bash', '-c', script], cwd=str(checkout), env=env,
                          capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{guide} failed:\n{script}\n--- output ---\n{output[-6000:]}'
    CHECKS.get(guide, lambda *a: None)(checkout, output, requests)


def _check_finetune(checkout: Path, output: str, requests: list) -> None:
    work = checkout / 'work_dirs' / 'my_finetune'
    assert (work / 'epoch_2.pth').is_file() and (work / 'preds.pkl').is_file()
    assert 'accuracy/top1' in output
    # the backbone came from the (mirrored) published URL, verified
    assert any('convnext-tiny_in21k-pre_3rdparty_in1k_20221219-7501e534.pth' in r
               for r in requests), requests
    # the test run wrote into its own folder: the run's config dump is the training one
    run_config = (work / 'convnext-tiny_1xb32_finetune-custom.py').read_text()
    assert 'max_epochs=2' in run_config.replace(' ', '')
    assert list((work / 'test').glob('*/*.log'))
    pictures = [p for p in (work / 'predictions').rglob('*') if p.is_file()]
    # the 48 x 40 px input, enlarged x6 (short edge 40 -> 240 >= 224) under the label band
    assert pictures and Image.open(pictures[0]).size[0] == 48 * 6
    assert Image.open(pictures[0]).size[1] > 40 * 6
    assert (work / 'model.onnx').stat().st_size > 10_000_000  # ConvNeXt-T: ~110 MB
    # (the test step passed no --cfg-options: with the recipe as shipped, 5 classes, the
    # 2-class checkpoint would not load; it ran on the run's saved config)
    # the offline from-scratch run: another arch (a run-config change), no download at all,
    # tested with its own saved config
    scratch = checkout / 'work_dirs' / 'my_scratch'
    assert (scratch / 'epoch_2.pth').is_file()
    scratch_config = (scratch / 'convnext-tiny_1xb32_finetune-custom.py').read_text()
    assert "arch='atto'" in scratch_config and 'init_cfg=None' in scratch_config
    assert list((scratch / 'test').glob('*/*.log'))
    assert sum('convnext-tiny_in21k-pre' in r for r in requests) == 1, requests
    # num_workers=4 of the recipe on a machine with fewer cores: capped, said once per run
    if len(os.sched_getaffinity(0)) < 4:
        assert 'num_workers capped to the' in output
        assert 'worker processes in total' not in output


CHECKS = {'docs/finetune.md': _check_finetune}
