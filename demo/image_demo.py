"""Classify one image with a ConvNeXt model and print (and optionally draw) the top prediction.

Usage:
    python demo/image_demo.py IMG MODEL [--checkpoint CKPT] [--device cpu] [--show-dir DIR]

MODEL is a model-zoo name (weights downloaded and verified unless --checkpoint is given) or a
config file (then --checkpoint is the weights, or the model keeps its initial weights).
"""
import argparse
import json
import os.path as osp
import sys

from mmcls_convnext.apis import ImageClassificationInferencer, list_models


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='image file, URL or folder')
    parser.add_argument('model', help='model-zoo name or config file')
    parser.add_argument('--checkpoint', default=None,
                        help='checkpoint path or URL (default: the zoo weights of MODEL)')
    parser.add_argument('--device', default=None,
                        help='device, e.g. cpu or cuda:0 (default: cuda if available)')
    parser.add_argument('--show-dir', default=None,
                        help='write the image with the prediction drawn on it into this folder')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    is_config = osp.isfile(args.model)
    if args.checkpoint is not None:
        pretrained = args.checkpoint
    else:
        pretrained = args.model in list_models()  # a config alone keeps initial weights
    try:
        inferencer = ImageClassificationInferencer(args.model, pretrained=pretrained,
                                                   device=args.device)
        results = inferencer(args.img, show_dir=args.show_dir)
    except (KeyError, ValueError, FileNotFoundError) as e:  # bad name / file / weights / image
        sys.exit(f'error: {e.args[0] if isinstance(e, KeyError) else e}')
    for result in results:
        shown = {k: v for k, v in result.items() if k != 'pred_scores'}
        print(json.dumps(shown))
    if is_config and args.checkpoint is None:
        print('Note: no --checkpoint given, the model has untrained weights.')
    print(f'device: {inferencer.device}')
    if args.show_dir:
        print(f'visualisations written to {args.show_dir}')


if __name__ == '__main__':
    main()
