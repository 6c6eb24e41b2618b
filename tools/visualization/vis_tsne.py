"""t-SNE of a classifier's features, one colour per class: the picture papers show.

Usage (MMPretrain's form)::

    python tools/visualization/vis_tsne.py CONFIG --checkpoint CKPT [--test-cfg CFG]
        [--work-dir DIR] [--vis-stage backbone|neck|pre_logits] [--class-idx 0 1 2]
        [--max-num-class 20] [--max-num-samples 100] [--legend] [--show] [--device cpu]
        [--n-components 2] [--perplexity 30] [--early-exaggeration 12] [--learning-rate 200]
        [--n-iter 1000] [--n-iter-without-progress 300] [--init random] [--cfg-options k=v]

The images of the test dataloader (of ``--test-cfg`` when given) go through the test pipeline
and the model; the features of ``--vis-stage`` (default: the neck, i.e. the pooled backbone
output; ``backbone`` gives every ``out_indices`` stage, global-average-pooled; ``pre_logits``
the head's input) are embedded by scikit-learn's ``TSNE`` with the options above (MMPretrain's
names and defaults; ``--max-iter`` is scikit-learn's newer name of ``--n-iter``). Everything is
written to ``<work_dir>/tsne_<timestamp>/``: ``feat_<i>.npy`` (the features, one row per image),
``labels.npy`` and ``feat_<i>.png`` (``<i>`` = the backbone out index, or ``pre_logits``), and the
folder is printed. Differences on purpose: the legend with the class names is always drawn
(``--legend`` is accepted), and ``--random-state`` (default 0) makes the picture reproducible.
"""
import argparse
import inspect
import os
import os.path as osp
import sys
import time
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.engine.entrypoints.common import config_file_of, run_cli

STAGES = ('backbone', 'neck', 'pre_logits')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='t-SNE of the features of a classifier')
    parser.add_argument('config', help='config file or model-zoo name')
    parser.add_argument('--checkpoint', default=None, help='checkpoint file / URL')
    parser.add_argument('--work-dir', default=None,
                        help='the pictures and features go to <work_dir>/tsne_<timestamp>/ '
                        '(default: the config\'s work_dir, else work_dirs/<config stem>)')
    parser.add_argument('--test-cfg', default=None,
                        help='take the test_dataloader from this config file instead')
    parser.add_argument('--vis-stage', choices=STAGES, default=None,
                        help='features after the backbone (every out_indices stage), the neck '
                        '(default) or the head\'s pre_logits')
    parser.add_argument('--class-idx', nargs='+', type=int, default=None,
                        help='the classes to show (default: the first --max-num-class)')
    parser.add_argument('--max-num-class', type=int, default=20,
                        help='the first N classes to show (20)')
    parser.add_argument('--max-num-samples', type=int, default=100,
                        help='at most this many images per class (100)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--legend', action='store_true',
                        help='accepted for MMPretrain command lines: the legend is always drawn')
    parser.add_argument('--show', action='store_true', help='also open the picture in a window')
    parser.add_argument('--n-components', type=int, default=2, help='2 or 3 dimensions (2)')
    parser.add_argument('--perplexity', type=float, default=30.0,
                        help='t-SNE perplexity, below the number of images (30)')
    parser.add_argument('--early-exaggeration', type=float, default=12.0, help='(12)')
    parser.add_argument('--learning-rate', type=float, default=200.0, help='(200)')
    parser.add_argument('--n-iter', '--max-iter', dest='n_iter', type=int, default=1000,
                        help='optimisation iterations, at least 250 (1000)')
    parser.add_argument('--n-iter-without-progress', type=int, default=300, help='(300)')
    parser.add_argument('--init', default='random', choices=('random', 'pca'),
                        help='initial embedding (random)')
    parser.add_argument('--random-state', type=int, default=0,
                        help='seed of t-SNE\'s initialisation (0), for a reproducible picture')
    return parser.parse_args(argv)


def load_tsne_config(args: argparse.Namespace) -> Config:
    config = config_file_of(args.config)
    cfg = load_config(config, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def select_samples(labels: Sequence[int], class_idx: Sequence[int],
                   max_per_class: int) -> List[int]:
    """Indices (dataset order) of the images of ``class_idx``, at most ``max_per_class`` each."""
    wanted, counts, chosen = set(class_idx), defaultdict(int), []
    for index, label in enumerate(labels):
        if label in wanted and counts[label] < max_per_class:
            chosen.append(index)
            counts[label] += 1
    return chosen


def extract_features(model, dataset, indices: Sequence[int], stage: Optional[str],
                     batch_size: int) -> Dict[str, np.ndarray]:
    """``{'feat_<i>': (N, C)}`` of the images ``indices`` (4-D maps global-average-pooled)."""
    names = None
    batches: Dict[str, List[np.ndarray]] = defaultdict(list)
    for start in range(0, len(indices), batch_size):
        packed = [dataset[i] for i in indices[start:start + batch_size]]
        data = model.data_preprocessor(dict(inputs=[p['inputs'] for p in packed],
                                            data_samples=[p['data_samples'] for p in packed]),
                                       False)
        with torch.no_grad():
            feats = model.extract_feat(data['inputs'], stage=stage or 'neck')
        if isinstance(feats, torch.Tensor):
            feats = (feats, )
        if names is None:
            if stage == 'pre_logits':
                names = ['feat_pre_logits'] if len(feats) == 1 else [
                    f'feat_pre_logits_{i}' for i in range(len(feats))]
            else:
                out = list(getattr(model.backbone, 'out_indices', range(len(feats))))
                names = [f'feat_{i}' for i in out[-len(feats):]]
        for name, feat in zip(names, feats):
            if feat.ndim == 4:
                feat = F.adaptive_avg_pool2d(feat, 1)
            batches[name].append(feat.flatten(1).float().cpu().numpy())
    return {name: np.concatenate(parts) for name, parts in batches.items()}


def embed(features: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    """scikit-learn's TSNE with MMPretrain's option names."""
    try:
        from sklearn.manifold import TSNE
    except ImportError as err:
        raise ImportError('vis_tsne.py needs scikit-learn: pip install "scikit-learn>=1.5"'
                          ) from err
    if not 0 < args.perplexity < len(features):
        raise ValueError(f'--perplexity {args.perplexity:g} must be below the number of images '
                         f'({len(features)}); pass e.g. --perplexity {max(1, len(features) // 3)} '
                         'or raise --max-num-samples.')
    options = dict(n_components=args.n_components, perplexity=args.perplexity,
                   early_exaggeration=args.early_exaggeration, learning_rate=args.learning_rate,
                   n_iter_without_progress=args.n_iter_without_progress, init=args.init,
                   random_state=args.random_state)
    iterations = 'max_iter' if 'max_iter' in inspect.signature(TSNE).parameters else 'n_iter'
    options[iterations] = args.n_iter
    return TSNE(**options).fit_transform(features.astype(np.float64))


def class_colours(count: int) -> np.ndarray:
    """``count`` distinct RGBA colours: tab10 / tab20, else evenly spaced hues."""
    import matplotlib
    if count <= 10:
        return matplotlib.colormaps['tab10'](np.arange(count))
    if count <= 20:
        return matplotlib.colormaps['tab20'](np.arange(count))
    return matplotlib.colormaps['hsv'](np.linspace(0, 1, count, endpoint=False))


def plot_embedding(points: np.ndarray, labels: np.ndarray, class_idx: Sequence[int],
                   names: Sequence[str], title: str, out_file: str, show: bool) -> List[str]:
    """Scatter ``points`` (N, 2 or 3) scaled to [0, 1], one colour and legend entry per class;
    returns the legend's texts."""
    import matplotlib
    if not show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    span = points.max(0) - points.min(0)
    points = (points - points.min(0)) / np.where(span > 0, span, 1)
    colours = class_colours(len(class_idx))
    three_d = points.shape[1] == 3
    fig = plt.figure(figsize=(10, 8))
    ax = fig.add_subplot(projection='3d' if three_d else None)
    for colour, index, name in zip(colours, class_idx, names):
        mask = labels == index
        if mask.any():
            ax.scatter(*points[mask].T, s=15, color=colour, label=f'{index} {name}')
    ax.set_title(title)
    ncol = 1 if len(class_idx) <= 25 else 2
    legend = ax.legend(loc='upper left', bbox_to_anchor=(1.02, 1), fontsize=9, ncol=ncol,
                       markerscale=1.5, frameon=False, title='class')
    fig.tight_layout()
    fig.savefig(out_file, dpi=100, bbox_inches='tight')
    if show:
        plt.show()
    plt.close(fig)
    return [text.get_text() for text in legend.get_texts()]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.n_components not in (2, 3):
        raise ValueError(f'--n-components must be 2 or 3 to draw the picture; got '
                         f'{args.n_components}.')
    cfg = load_tsne_config(args)
    if args.test_cfg is not None:
        loader_cfg = load_config(args.test_cfg, {}).get('test_dataloader')
        source = args.test_cfg
    else:
        loader_cfg, source = cfg.get('test_dataloader'), args.config
    if not loader_cfg or not loader_cfg.get('dataset'):
        raise ValueError(f'{source} has no test_dataloader.dataset: pass --test-cfg CONFIG, a '
                         'config whose test_dataloader lists the images to embed.')

    from mmcls_convnext.apis import get_model
    from mmcls_convnext.registry import DATASETS
    from mmcls_convnext.utils import register_all_modules
    register_all_modules()
    if args.checkpoint is None:
        print('warning: no --checkpoint: the features are those of randomly initialised weights.',
              file=sys.stderr)
    model = get_model(cfg, pretrained=args.checkpoint or False, device=args.device)
    dataset = DATASETS.build(dict(loader_cfg.dataset))
    classes = dataset.metainfo.get('classes')
    labels_all = [int(dataset.get_data_info(i)['gt_label']) for i in range(len(dataset))]
    num_classes = len(classes) if classes else max(labels_all) + 1
    class_idx = args.class_idx or list(range(num_classes))[:args.max_num_class]
    bad = [i for i in class_idx if not 0 <= i < num_classes]
    if bad:
        raise ValueError(f'--class-idx {bad} outside the {num_classes} classes of the dataset.')
    names = [classes[i] if classes else str(i) for i in class_idx]
    indices = select_samples(labels_all, class_idx, args.max_num_samples)
    if not indices:
        raise ValueError(f'The test dataset ({len(dataset)} images) has no image of classes '
                         f'{class_idx}.')
    print(f'Apply t-SNE to visualize {len(indices)} samples of {len(class_idx)} classes '
          f'({args.vis_stage or "neck"} features).')
    features = extract_features(model, dataset, indices, args.vis_stage,
                                int(loader_cfg.get('batch_size', 32)))
    labels = np.array([labels_all[i] for i in indices])

    out_dir = osp.join(cfg.work_dir, f'tsne_{time.strftime("%Y%m%d_%H%M%S")}')
    os.makedirs(out_dir, exist_ok=True)
    np.save(osp.join(out_dir, 'labels.npy'), labels)
    for key, values in features.items():
        np.save(osp.join(out_dir, f'{key}.npy'), values)
        points = embed(values, args)
        picture = osp.join(out_dir, f'{key}.png')
        title = (f't-SNE of {key} ({values.shape[1]}-d, {args.vis_stage or "neck"}), '
                 f'{len(values)} images')
        plot_embedding(points, labels, class_idx, names, title, picture, args.show)
        print(f'{key}: {values.shape[1]}-d features of {len(values)} images -> {picture}')
    print(f'Save features and results to {out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
