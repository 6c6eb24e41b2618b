"""Sentences that contradicted the tools (issue 28, item 6) stay fixed: reproducibility is
claimed per CPU kind, the network-needing shell line of get_started says so, and the offline
forms of the fine-tune recipe are in the guides."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _read(name):
    return (ROOT / name).read_text(encoding='utf-8')


def test_reproducibility_is_claimed_per_cpu_kind():
    for page in ('README.md', 'docs/quickstart.md'):
        text = ' '.join(_read(page).split())
        assert 'the same everywhere' not in text and 'figures everywhere' not in text, page
        assert 'same CPU kind' in text and 'last digits' in text, page


def test_get_started_says_which_shell_line_needs_the_network():
    text = ' '.join(_read('docs/get_started.md').split())
    line = 'python demo/image_demo.py demo/demo.JPEG convnext-tiny_32xb128_in1k --device cpu'
    before = text[:text.index(line)]
    assert 'needs the network the first time' in before[-400:]
    assert '--checkpoint /path/to/file.pth' in before[-400:]


def test_the_offline_fine_tune_forms_are_documented():
    for page in ('docs/finetune.md', 'docs/get_started.md'):
        text = _read(page)
        assert 'model.backbone.init_cfg.checkpoint=/path/to' in text, page
        assert 'model.backbone.init_cfg=None' in text, page
