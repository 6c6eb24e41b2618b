"""docs/model_zoo.md is generated from the metafile and must stay in sync."""
from mmcls_convnext.zoo import MODEL_INDEX
from mmcls_convnext.zoo.docgen import DOC_PATH, REGENERATE, render_model_zoo


def test_committed_doc_matches_metafile():
    with open(DOC_PATH, encoding='utf-8') as f:
        committed = f.read()
    assert committed == render_model_zoo(), (
        f'{DOC_PATH} is out of date with mmcls_convnext/zoo/metafile.py; regenerate it with '
        f'`{REGENERATE}` and commit the result.')


def test_doc_lists_every_model_once():
    text = render_model_zoo()
    for name in MODEL_INDEX:
        assert text.count(f'| `{name}` |') == 1, name
