"""Draw the most confident right and wrong predictions of a test run.

Usage: python tools/analysis_tools/analyze_results.py CONFIG RESULTS.pkl --out-dir DIR
       [--topk 20] [--rescale-factor F] [--cfg-options k=v ...]
RESULTS.pkl comes from ``tools/test.py CONFIG CHECKPOINT --out RESULTS.pkl``; the images are
read from the config's test dataset. Writes DIR/success/ and DIR/fail/, most confident first.
An image that cannot be decoded (or is missing) is skipped with a warning naming it, and the
next ranked prediction takes its place.
"""
import argparse
import os.path as osp
import sys
import warnings
from typing import Any, Callable, Optional, Tuple

import numpy as np
from mmengine.config import DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.datasets.transforms.decode_error import ImageDecodeError
from mmcls_convnext.datasets.verify import build_listing, loading_step
from mmcls_convnext.engine.entrypoints.common import run_cli
from mmcls_convnext.engine.registration import import_registering_modules
from mmcls_convnext.evaluation import read_results
from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.visualization.results_gallery import rank_predictions, save_gallery


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Save the topk most confident correct (DIR/success/) and wrong (DIR/fail/) '
        'test predictions as images with their prediction drawn. The results pickle is read '
        'with a restricted unpickler (tensors, numpy arrays and plain values only).')
    parser.add_argument('config', help='the test config the results were made with')
    parser.add_argument('result', help='predictions file of tools/test.py --out (.pkl or .json)')
    parser.add_argument('--out-dir', required=True, help='folder for success/ and fail/')
    parser.add_argument('--topk', type=int, default=20,
                        help='images per folder (default: 20)')
    parser.add_argument('--rescale-factor', '-r', type=float, default=None,
                        help='scale each image by this factor and draw it at that size '
                        '(default: small images are enlarged to a 224 px short edge)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. test_dataloader.dataset.data_root=X')
    return parser.parse_args(argv)


def image_loader(dataset: Any, load: Callable, source: str, skipped: Optional[list] = None
                 ) -> Callable[[dict], Optional[Tuple[np.ndarray, Optional[str]]]]:
    """record -> (RGB image, path): the test set's image at the record's ``sample_idx``
    (checked against the record's ``img_path``), else the record's ``img_path``; None (and a
    warning; the path appended to ``skipped``) for an image that cannot be read."""
    skipped = [] if skipped is None else skipped

    def load_image(record: dict) -> Tuple[np.ndarray, Optional[str]]:
        path = record.get('img_path')
        index = record.get('sample_idx')
        if index is not None:
            if not 0 <= int(index) < len(dataset):
                raise ValueError(f'{source}: sample_idx {index} is outside the config\'s test '
                                 f'set ({len(dataset)} images): the results are of another '
                                 'dataset; pass the config they were made with.')
            listed = dataset.get_data_info(int(index))['img_path']
            if path is not None and path != listed:
                raise ValueError(f'{source}: sample_idx {index} is {path} in the results but '
                                 f'{listed} in the config\'s test set: the results are of '
                                 'another dataset; pass the config they were made with.')
            path = listed
        if path is None:
            raise KeyError(f'{source}: a prediction has neither sample_idx nor img_path, so '
                           'its image cannot be found.')
        try:
            image = load(dict(img_path=path))['img']  # BGR (or grey: color_type='grayscale')
        except (ImageDecodeError, OSError) as err:
            warnings.warn(f'Skipped {path}: it cannot be read ({type(err).__name__}: {err}).',
                          stacklevel=1)
            skipped.append(path)
            return None
        return np.ascontiguousarray(image[..., ::-1] if image.ndim == 3 else image), path

    return load_image


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    if not cfg.get('test_dataloader') or not cfg.test_dataloader.get('dataset'):
        raise KeyError(f'{args.config} has no test_dataloader.dataset to read the images from.')
    records = read_results(args.result)
    ranked = rank_predictions(records)
    import_registering_modules()
    dataset_cfg = cfg.test_dataloader.dataset
    dataset = build_listing(dataset_cfg)
    load = TRANSFORMS.build(loading_step(dataset_cfg.get('pipeline')))
    skipped: list = []
    written = save_gallery(records, ranked, args.out_dir, args.topk,
                           image_loader(dataset, load, args.result, skipped),
                           classes=dataset.metainfo.get('classes'),
                           rescale_factor=args.rescale_factor)
    print(f'{len(records)} predictions, {len(ranked["success"])} correct and '
          f'{len(ranked["fail"])} wrong: the {len(written["success"])} most confident correct '
          f'ones in {osp.join(args.out_dir, "success")}, the {len(written["fail"])} most '
          f'confident wrong ones in {osp.join(args.out_dir, "fail")}.')
    if skipped:
        print(f'{len(skipped)} image(s) could not be read and were skipped: '
              f'{", ".join(skipped)}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
