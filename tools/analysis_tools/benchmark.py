"""Benchmark mmcls_convnext against timm and torchvision on identical weights.

Everything runs in ONE process; the contestants of each measurement are run round-robin
(ours, timm, torchvision, ours fast path, the matmul anchor, ours, timm, ...) and the median
over rounds is reported, so a busy shared machine slows all of them alike and the ratios stay
meaningful. See docs/benchmark.md for what every number means.

    python tools/analysis_tools/benchmark.py                      # ConvNeXt-T, 2 CPU threads
    python tools/analysis_tools/benchmark.py --device cuda --json out.json
    python tools/analysis_tools/benchmark.py --quick              # seconds; used by the tests
    python tools/analysis_tools/benchmark.py --sections peers --peer-venv /tmp/mmpretrain-venv \
        --install-peers                                           # vs MMPretrain 1.2
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

os.environ.setdefault('KINETO_LOG_LEVEL', '5')  # the CPU memory profiler is chatty otherwise
import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.deploy import MODES as FAST_MODES
from mmcls_convnext.deploy import optimize_for_inference, to_torchvision_state_dict
from mmcls_convnext.models.backbones.convnext import ARCH_SETTINGS

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))  # the measurements: ./benchmarking/
from benchmarking.report import print_table, ratios_vs_timm  # noqa: E402
from benchmarking.timing import (  # noqa: E402,F401 (tests use them here)
    Progress,
    count_macs,
    cpu_flags,
    interleave,
    matmul_case,
    peak_step_memory_mb,
    pick_device,
    stats,
    sync,
)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TV_ARCHS = ('tiny', 'small', 'base', 'large')
SECTIONS = ('inference', 'training', 'data', 'loop')
#: sections run only when named in --sections (they need things outside this environment)
EXTRA_SECTIONS = ('peers',)
#: peers: untimed first iterations of the ConvNeXt-T training / test runs (loader workers
#: starting, first allocations)
PEER_TINY_WARMUP = 3
PEER_TEST_WARMUP = 2
PROGRESS = Progress()


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--arch', default='tiny', choices=sorted(ARCH_SETTINGS))
    p.add_argument('--device', default='auto', choices=('auto', 'cpu', 'cuda'))
    p.add_argument('--threads', type=int, default=None,
                   help='torch CPU threads (CPU only; default 2, --quick 1)')
    p.add_argument('--rounds', type=int, default=5, help='round-robin rounds per measurement')
    p.add_argument('--img-size', type=int, default=224)
    p.add_argument('--batch', type=int, default=16, help='throughput batch size')
    p.add_argument('--train-batch', type=int, default=8)
    p.add_argument('--train-img-size', type=int, default=None,
                   help='image size of the training step (default: --img-size)')
    p.add_argument('--fast-modes', default='prepack,fold,onnxruntime',
                   help=f'comma-separated fast-path modes to time, of {FAST_MODES}; "" for none')
    p.add_argument('--data-files', type=int, default=64,
                   help='JPEGs per photo set the data section runs through the pipelines per '
                        'round (--quick: 8)')
    p.add_argument('--data-sizes', default='500x375',
                   help='photo sets of the data section, comma-separated WxH (e.g. '
                        '500x375,1000x750)')
    p.add_argument('--loop-tiny-batch', type=int, default=8,
                   help='batch of the ConvNeXt-T 224 px loop measurement')
    p.add_argument('--loop-workers', type=int, default=None,
                   help='num_workers of the ConvNeXt-T loop run (default: the config, 5)')
    p.add_argument('--fashion-mnist-src', default='/usr/share/datasets/fashion-mnist',
                   help='idx files for the quickstart loop (synthetic PNGs when missing)')
    p.add_argument('--sections', default=','.join(SECTIONS),
                   help=f'comma-separated, of {SECTIONS + EXTRA_SECTIONS} (peers: only when named)')
    p.add_argument('--peer-venv', default=None,
                   help='peers: a venv (separate from this project\'s) holding MMPretrain 1.2')
    p.add_argument('--install-peers', action='store_true',
                   help='peers: create --peer-venv with python -m venv and pip install the '
                        'pinned MMPretrain 1.2 stack when MMPretrain is not there')
    p.add_argument('--peer-iters', type=int, default=60,
                   help='peers: quickstart training iterations per run (batch 128; the first 20 '
                        'untimed)')
    p.add_argument('--peer-logs', default=None,
                   help='peers: write the last log of each side of each comparison into this '
                        'folder (<comparison>.<ours|mmpretrain>.log)')
    p.add_argument('--peer-quickstart-epoch', action='store_true',
                   help='peers: also train the quickstart for one full epoch with validation '
                        'on each side, once, and compare the top-1 (a few minutes more; needs '
                        'the real Fashion-MNIST in --fashion-mnist-src)')
    p.add_argument('--peer-tiny-iters', type=int, default=10,
                   help='peers: ConvNeXt-T 224 px training iterations per run (the first '
                        f'{PEER_TINY_WARMUP} untimed)')
    p.add_argument('--peer-tiny-batch', type=int, default=8,
                   help='peers: batch of the ConvNeXt-T training and test runs')
    p.add_argument('--peer-val-images', type=int, default=64,
                   help='peers: JPEGs of the ConvNeXt-T test runs (a multiple of '
                        '--peer-tiny-batch; the first '
                        f'{PEER_TEST_WARMUP} batches untimed)')
    p.add_argument('--json', default=None, help='write the results here')
    p.add_argument('--quick', action='store_true',
                   help='atto, 64 px, 2 rounds, prepack only, 1 thread: a smoke run in a minute')
    args = p.parse_args(argv)
    if args.quick:
        args.arch, args.img_size, args.batch, args.train_batch = 'atto', 64, 4, 4
        args.rounds = min(args.rounds, 2)
        args.fast_modes = 'prepack'
        args.threads = args.threads or 1  # 2 threads on 2 busy cores stall on tiny ops
    args.threads = args.threads or 2
    args.fast_modes = [m for m in args.fast_modes.split(',') if m]
    bad = [m for m in args.fast_modes if m not in FAST_MODES]
    if bad:
        p.error(f'--fast-modes: unknown {bad}; choose from {FAST_MODES}')
    if args.rounds < 1:
        p.error('--rounds must be >= 1')
    if 'peers' in args.sections.split(',') and not args.peer_venv:
        p.error('--sections peers needs --peer-venv PATH (a venv separate from this project\'s; '
                'add --install-peers to create it)')
    if args.peer_iters < 30:
        p.error(f'--peer-iters must be >= 30 (20 warm-up iterations, then logged windows of '
                f'10); got {args.peer_iters}')
    if args.peer_tiny_iters < PEER_TINY_WARMUP + 2:
        p.error(f'--peer-tiny-iters must be >= {PEER_TINY_WARMUP + 2} ({PEER_TINY_WARMUP} '
                f'warm-up iterations, then at least 2 timed); got {args.peer_tiny_iters}')
    if args.peer_tiny_batch < 1:
        p.error(f'--peer-tiny-batch must be >= 1; got {args.peer_tiny_batch}')
    val_batches = args.peer_val_images // args.peer_tiny_batch
    if args.peer_val_images % args.peer_tiny_batch or val_batches < PEER_TEST_WARMUP + 2:
        p.error(f'--peer-val-images must be a multiple of --peer-tiny-batch '
                f'({args.peer_tiny_batch}) and hold at least {PEER_TEST_WARMUP + 2} batches '
                f'({PEER_TEST_WARMUP} warm-up, then at least 2 timed); got '
                f'{args.peer_val_images}')
    raw = args.data_sizes
    try:
        args.data_sizes = [tuple(int(v) for v in size.split('x')) for size in raw.split(',')]
    except ValueError:
        args.data_sizes = []
    if not args.data_sizes or any(len(s) != 2 or min(s) < 16 for s in args.data_sizes):
        p.error(f'--data-sizes: expected WxH pairs of at least 16 pixels like 500x375,1000x750; '
                f'got {raw!r}')
    return args


# --------------------------------------------------------------------------- models
def build_models(arch: str, device: torch.device, num_classes: int = 1000) -> Dict[str, nn.Module]:
    """ours / timm / torchvision (when it has ``arch``) holding the same random weights."""
    try:
        import timm
    except ImportError as exc:
        raise SystemExit('The benchmark compares against timm, which is not installed: '
                         'pip install -r requirements/tests.txt (timm==1.0.31).') from exc

    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.utils import register_all_modules
    from mmcls_convnext.weights.convert import convert_state_dict
    register_all_modules(init_default_scope=False)

    torch.manual_seed(0)
    ref = timm.create_model(f'convnext_{arch}', num_classes=num_classes)
    width = ARCH_SETTINGS[arch]['channels'][-1]
    ours = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ConvNeXt', arch=arch),
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=width)))
    ours.load_state_dict(convert_state_dict(ref.state_dict(), src='timm'), strict=True)
    models = dict(ours=ours, timm=ref)
    if arch in TV_ARCHS:
        import torchvision
        tv = getattr(torchvision.models, f'convnext_{arch}')(num_classes=num_classes)
        models['torchvision'] = tv
        tv.load_state_dict(to_torchvision_state_dict(ours.state_dict()), strict=True)
    return {name: m.to(device).eval() for name, m in models.items()}


# --------------------------------------------------------------------------- anchor


# --------------------------------------------------------------------------- inference
def bench_inference(args, models: Dict[str, nn.Module], device: torch.device) -> dict:
    size, batch = args.img_size, args.batch
    gflop_img = 2 * count_macs(models['ours'], size, device) / 1e9
    out: dict = dict(fast_path={})
    contestants = dict(models)
    probe = torch.randn(batch, 3, size, size, device=device)
    with torch.no_grad():
        ref = models['ours'](probe)
        out['max_abs_diff_vs_ours'] = {n: float((m(probe) - ref).abs().max())
                                       for n, m in models.items() if n != 'ours'}
        for mode in args.fast_modes:
            PROGRESS(f'inference: building the fast path, mode={mode}')
            start = time.perf_counter()
            fast = optimize_for_inference(models['ours'], mode=mode, example_inputs=probe)
            sync(device)
            compile_s = time.perf_counter() - start
            if mode == 'compile':  # the batch-1 shape compiles on its first call too
                start = time.perf_counter()
                fast(probe[:1])
                sync(device)
                compile_s += time.perf_counter() - start
            out['fast_path'][mode] = dict(one_off_s=round(compile_s, 2),
                                          max_abs_diff=float((fast(probe) - ref).abs().max()))
            contestants[f'ours_fast_{mode}'] = fast
    n_mm = 256 if args.quick else 2048
    mm_run, mm_gflop = matmul_case(device, n_mm, 1 if args.quick else 4)
    x1 = torch.randn(1, 3, size, size, device=device)
    xb = torch.randn(batch, 3, size, size, device=device)
    xb_cl = xb.contiguous(memory_format=torch.channels_last)
    inner = 2 if args.quick else 4
    measures = {
        'fp32_b1_latency': (x1, inner, 'ms', None),
        f'fp32_b{batch}_contiguous': (xb, 1, 'img/s', None),
        f'fp32_b{batch}_channels_last': (xb_cl, 1, 'img/s', None),
        f'bf16_autocast_b{batch}': (xb, 1, 'img/s', torch.bfloat16),
    }
    if device.type == 'cuda':
        measures[f'fp16_autocast_b{batch}'] = (xb, 1, 'img/s', torch.float16)
    cases: Dict[str, Callable[[], None]] = {'anchor_mm': mm_run}
    for key, (x, reps, _, dtype) in measures.items():
        for name, model in contestants.items():
            if dtype is not None and name.startswith('ours_fast'):
                continue  # the fast path is an fp32 path

            def run(model=model, x=x, reps=reps, dtype=dtype) -> None:
                with torch.no_grad(), torch.autocast(device.type, dtype=dtype or torch.float32,
                                                     enabled=dtype is not None):
                    for _ in range(reps):
                        model(x)
            cases[f'{key}/{name}'] = run
    PROGRESS(f'inference: {len(cases)} cases x {args.rounds} rounds')
    times = interleave(cases, args.rounds, device, progress=PROGRESS, label='inference')
    out['anchor_mm_gflops'] = stats(times.pop('anchor_mm'), mm_gflop, 'GFLOP/s')
    peak = out['anchor_mm_gflops']['median']
    for key, (x, reps, unit, _) in measures.items():
        rows = {}
        for case, samples in times.items():
            if case.startswith(key + '/'):
                work = reps if unit == 'ms' else x.shape[0] * reps
                rows[case.split('/', 1)[1]] = stats(samples, work, unit)
        out[key] = rows
    through = out[f'fp32_b{batch}_contiguous']
    out['gflop_per_image'] = round(gflop_img, 3)
    out['fraction_of_matmul_peak'] = {
        n: round(r['median'] * gflop_img / peak, 3) for n, r in through.items()}
    return out


# --------------------------------------------------------------------------- training
def bench_training(args, models: Dict[str, nn.Module], device: torch.device) -> dict:
    size, batch = args.train_img_size or args.img_size, args.train_batch
    contestants = {n: copy.deepcopy(m) for n, m in models.items()}
    with_cp = copy.deepcopy(models['ours'])
    for module in with_cp.modules():
        if hasattr(module, 'with_cp'):
            module.with_cp = True
    contestants['ours_with_cp'] = with_cp
    x = torch.randn(batch, 3, size, size, device=device, requires_grad=False)
    y = torch.randint(0, 1000, (batch,), device=device)
    steps = {}
    for name, model in contestants.items():
        model.train()
        optim = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step(model=model, optim=optim) -> None:
            optim.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optim.step()
        steps[name] = step
    PROGRESS(f'training: {len(steps)} steps x {args.rounds} rounds, batch {batch}')
    times = interleave(steps, args.rounds, device, progress=PROGRESS, label='training')
    PROGRESS('training: peak memory of one step each')
    out = dict(batch=batch, img_size=size,
               step_img_s={n: stats(s, batch, 'img/s') for n, s in times.items()},
               peak_memory_mb={n: peak_step_memory_mb(fn, device) for n, fn in steps.items()})
    mem, speed = out['peak_memory_mb'], out['step_img_s']
    out['with_cp_memory_saving'] = round(1 - mem['ours_with_cp'] / mem['ours'], 3)
    out['with_cp_time_overhead'] = round(
        speed['ours']['median'] / speed['ours_with_cp']['median'] - 1, 3)
    return out


# --------------------------------------------------------------------------- data pipeline
IMAGENET_DATA_CFG = osp.join(REPO, 'configs', '_base_', 'datasets', 'imagenet_convnext_224.py')
DEMO_PHOTO = osp.join(REPO, 'demo', 'demo.JPEG')
QUICKSTART_CFG = osp.join(REPO, 'configs', 'convnext',
                          'convnext-quickstart_1xb128_fashion-mnist.py')
TINY_CFG = osp.join(REPO, 'configs', 'convnext', 'convnext-tiny_32xb128_in1k.py')


def bench_data_section(args, tmp: str) -> dict:
    """Our ImageNet train pipeline vs timm's, per core, on JPEG photo sets (500x375 default)."""
    from benchmarking.data import bench_data
    out = bench_data(IMAGENET_DATA_CFG, DEMO_PHOTO, osp.join(tmp, 'photos'),
                     count=8 if args.quick else args.data_files, rounds=args.rounds,
                     sizes=args.data_sizes, progress=PROGRESS)
    out['config'] = osp.relpath(IMAGENET_DATA_CFG, REPO)
    # the toolbox's other transforms, datasets and multi-label parts, each vs its reference
    from benchmarking.toolbox import bench_toolbox
    PROGRESS('data/toolbox: transforms, datasets and multi-label parts vs their references')
    out['toolbox'] = bench_toolbox(osp.join(tmp, 'toolbox'), 1 if args.quick else args.rounds,
                                   progress=PROGRESS)
    return out


# --------------------------------------------------------------------------- training loop
def quickstart_data(root: str, images: int, src: str) -> 'tuple[str, str]':
    """The quickstart's data (its ``FashionMNIST`` dataset reads idx files): ``(data_root,
    where it came from)``.

    Real Fashion-MNIST when its four idx files are in ``src`` (the loop reads the first
    ``images`` training images); else random grey 28 px images written as idx files in
    ``root`` (the loop's cost does not depend on the pixels).
    """
    import gzip

    import numpy as np
    names = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
             't10k-labels-idx1-ubyte')
    if all(osp.isfile(osp.join(src, n)) or osp.isfile(osp.join(src, n + '.gz')) for n in names):
        return src, f'Fashion-MNIST from {src}'
    rng = np.random.default_rng(0)
    os.makedirs(root, exist_ok=True)
    arrays = (rng.integers(0, 256, (images, 28, 28)), np.arange(images) % 10,
              rng.integers(0, 256, (10, 28, 28)), np.arange(10))
    for name, array in zip(names, arrays):
        head = bytes([0, 0, 8, array.ndim]) + b''.join(int(d).to_bytes(4, 'big')
                                                       for d in array.shape)
        with gzip.open(osp.join(root, name + '.gz'), 'wb') as f:
            f.write(head + array.astype(np.uint8).tobytes())
    return root, f'synthetic 28 px idx files (no Fashion-MNIST idx files in {src})'


def imagenet_jpegs(root: str, images: int) -> None:
    """``root/train/*.JPEG`` (500x375 photos) and ``root/meta/train.txt`` for ImageNet."""
    from benchmarking.data import write_photo_set
    os.makedirs(osp.join(root, 'train'), exist_ok=True)
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    files = write_photo_set(osp.join(root, 'train'), (500, 375), images, DEMO_PHOTO)
    with open(osp.join(root, 'meta', 'train.txt'), 'w') as f:
        f.writelines(f'{osp.basename(path)} {i % 1000}\n' for i, path in enumerate(files))


def bench_loop_section(args, device: torch.device, tmp: str) -> dict:
    """tools/train.py vs the bare model step: the quickstart, and ConvNeXt-T at 224 on JPEGs."""
    from benchmarking.loop import compare_loop
    rounds = 1 if args.quick else max(2, min(args.rounds, 3))
    out = {}
    batch, warm, timed = (32, 2, 6) if args.quick else (128, 5, 60)
    images = (warm + timed) * batch
    root, source = quickstart_data(osp.join(tmp, 'fashion_mnist'), images,
                                   args.fashion_mnist_src)
    PROGRESS(f'loop/quickstart: {images} images ({source}), batch {batch}, {rounds} rounds')
    out['quickstart'] = compare_loop(
        'quickstart', QUICKSTART_CFG,
        [f'train_dataloader.dataset.data_root={root}', f'train_dataloader.batch_size={batch}',
         f'train_dataloader.dataset.indices={images}'],
        tmp, rounds, warm, device, progress=PROGRESS)
    out['quickstart'].update(data=source, config=osp.relpath(QUICKSTART_CFG, REPO))
    batch, warm, timed = (4, 2, 3) if args.quick else (args.loop_tiny_batch, 2, 6)
    images = (warm + timed) * batch
    root = osp.join(tmp, 'imagenet')
    imagenet_jpegs(root, images)
    opts = [f'train_dataloader.dataset.data_root={root}', f'train_dataloader.batch_size={batch}']
    if args.loop_workers is not None:
        opts.append(f'train_dataloader.num_workers={args.loop_workers}')
    if args.quick:  # atto at 64 px: seconds instead of minutes
        opts += ['model.backbone.arch=atto', 'model.head.in_channels=320',
                 'train_dataloader.dataset.pipeline.1.scale=64']
    name = 'convnext_atto_64_jpeg' if args.quick else 'convnext_tiny_224_jpeg'
    PROGRESS(f'loop/{name}: {images} JPEGs 500x375, batch {batch}, {rounds} rounds')
    out[name] = compare_loop(name, TINY_CFG, opts, tmp, rounds, warm, device, progress=PROGRESS)
    out[name]['config'] = osp.relpath(TINY_CFG, REPO)
    return out

# --------------------------------------------------------------------------- peers
def bench_peers_section(args, device: torch.device, tmp: str) -> dict:
    """Ours vs MMPretrain 1.2 (its own venv): tools/train.py on the quickstart, tools/train.py
    with ConvNeXt-T at 224 px on JPEGs, tools/test.py with ConvNeXt-T on JPEGs (one
    checkpoint for both; equal top-1 checked)."""
    from benchmarking import peers
    if device.type != 'cpu':
        raise SystemExit('--sections peers runs on the CPU only for now; use --device cpu.')
    try:
        version = peers.ensure_peer(args.peer_venv, args.install_peers)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), PYTHONPATH=REPO)
    rounds = max(1, min(args.rounds, 3))
    out: dict = dict(mmpretrain_version=version, peer_venv=args.peer_venv, threads=args.threads,
                     rounds=rounds, warnings=[])
    PROGRESS(f'peers: MMPretrain {version} in {args.peer_venv}; {rounds} rounds of each '
             'comparison')

    # 1. tools/train.py on the quickstart config
    batch, interval, warm = 128, 10, 20
    images = batch * args.peer_iters
    root, source = quickstart_data(osp.join(tmp, 'fashion_mnist'), images,
                                   args.fashion_mnist_src)
    peer_cfg = osp.join(tmp, 'mmpretrain_quickstart.py')
    with open(peer_cfg, 'w') as f:
        f.write(peers.mmpretrain_quickstart_config(
            peers.extracted_idx_dir(root, osp.join(tmp, 'fashion_mnist_raw')), batch,
            args.peer_iters, interval))
    commands = dict(
        ours=peers.our_train_command(REPO, QUICKSTART_CFG, osp.join(tmp, 'ours'), root, batch,
                                     args.peer_iters, interval),
        mmpretrain=peers.peer_train_command(args.peer_venv, peer_cfg, osp.join(tmp, 'peer')))
    PROGRESS(f'peers/train_quickstart: {args.peer_iters} iterations, batch {batch} ({source})')
    row = _compare(args, peers, 'train_quickstart', commands, rounds, batch, warm, env)
    row.update(data=source, config=osp.relpath(QUICKSTART_CFG, REPO), batch=batch,
               iters=args.peer_iters, timed_iters=f'{warm + 1}-{args.peer_iters}')
    out['train_quickstart'] = row
    _peer_ratio_line('train_quickstart', row)
    if args.peer_quickstart_epoch:
        out['quickstart_epoch'] = _quickstart_epoch(args, peers, root, source, tmp, env)
        if 'warning' in out['quickstart_epoch']:
            out['warnings'].append(out['quickstart_epoch']['warning'])

    # 2. tools/train.py, ConvNeXt-T at 224 px over a class-folder tree of JPEGs
    batch, iters, classes = args.peer_tiny_batch, args.peer_tiny_iters, peers.TREE_CLASSES
    tree = osp.join(tmp, 'jpeg_tree')
    peers.write_jpeg_tree(tree, dict(train=batch * iters, val=args.peer_val_images), DEMO_PHOTO,
                          classes)
    peer_cfg = osp.join(tmp, 'mmpretrain_convnext_tiny.py')
    with open(peer_cfg, 'w') as f:
        f.write(peers.mmpretrain_tiny_config(tree, len(classes), batch, iters))
    ours_dir, peer_dir = osp.join(tmp, 'ours_tiny'), osp.join(tmp, 'peer_tiny')
    commands = dict(
        ours=peers.our_tiny_train_command(REPO, TINY_CFG, ours_dir, tree, classes, batch, iters),
        mmpretrain=peers.peer_train_command(args.peer_venv, peer_cfg, peer_dir))
    data = (f'{batch * iters} train / {args.peer_val_images} val JPEGs '
            f'{peers.TREE_IMAGE_SIZE[0]}x{peers.TREE_IMAGE_SIZE[1]} in {len(classes)} class '
            f'folders, {peers.TREE_WORKERS} persistent loader workers, no cache')
    PROGRESS(f'peers/train_convnext_tiny_224_jpeg: {iters} iterations, batch {batch} ({data})')
    row = _compare(args, peers, 'train_convnext_tiny_224_jpeg', commands, rounds, batch,
                   PEER_TINY_WARMUP, env)
    row.update(data=data, config=osp.relpath(TINY_CFG, REPO), batch=batch, iters=iters,
               timed_iters=f'{PEER_TINY_WARMUP + 1}-{iters}')
    out['train_convnext_tiny_224_jpeg'] = row
    _peer_ratio_line('train_convnext_tiny_224_jpeg', row)

    # 3. tools/test.py, ConvNeXt-T over the val tree, one checkpoint for both
    ckpt = peers.state_dict_checkpoint(peers.last_checkpoint(ours_dir),
                                       osp.join(tmp, 'convnext_tiny_state_dict.pth'))
    commands = dict(
        ours=peers.our_test_command(REPO, TINY_CFG, ckpt, osp.join(tmp, 'ours_test'), tree,
                                    classes, batch),
        mmpretrain=peers.peer_test_command(args.peer_venv, peer_cfg, ckpt,
                                           osp.join(tmp, 'peer_test')))
    PROGRESS(f'peers/test_convnext_tiny_224_jpeg: {args.peer_val_images} val JPEGs, batch '
             f'{batch}, the weights of the last ConvNeXt-T training of ours')
    logs: Dict[str, str] = {}
    row = _compare(args, peers, 'test_convnext_tiny_224_jpeg', commands, rounds, batch,
                   PEER_TEST_WARMUP, env, parse=peers.parse_test_log, keep=('top1',), logs=logs)
    keys = peers.parse_checkpoint_keys(logs['mmpretrain'])
    row.update(data=data.replace(f'{batch * iters} train / ', ''),
               config=osp.relpath(TINY_CFG, REPO), batch=batch,
               timed_iters=f'{PEER_TEST_WARMUP + 1}-{args.peer_val_images // batch}',
               checkpoint='the state_dict of ours\' last ConvNeXt-T training (EMA weights)',
               mmpretrain_checkpoint_keys=keys,
               top1=peers.top1_check(row['ours'].pop('top1'), row['mmpretrain'].pop('top1')))
    if any(keys.values()):
        out['warnings'].append(f'MMPretrain loads our ConvNeXt-T checkpoint with key problems: '
                               f'{json.dumps(keys)[:500]}')
    if not row['top1']['equal']:
        out['warnings'].append(row['top1']['warning'])
    out['test_convnext_tiny_224_jpeg'] = row
    _peer_ratio_line('test_convnext_tiny_224_jpeg', row)
    top1 = row['top1']
    PROGRESS(f'peers/test_convnext_tiny_224_jpeg: top-1 ours {top1["ours"]} MMPretrain '
             f'{top1["mmpretrain"]}: ' + ('equal' if top1['equal'] else '!!! NOT EQUAL !!!'))
    for warning in out['warnings']:
        PROGRESS(f'peers: WARNING: {warning}')
    return out


def _compare(args, peers, name: str, commands: dict, rounds: int, batch: int, warm: int,
             env: dict, logs: Optional[Dict[str, str]] = None, **kwargs) -> dict:
    """``peers.compare_peers`` for comparison ``name``; its last logs go to --peer-logs."""
    logs = {} if logs is None else logs
    try:
        return peers.compare_peers(commands, rounds, batch, warm, env=env, progress=PROGRESS,
                                   label=name, logs=logs, **kwargs)
    finally:
        peers.write_logs(args.peer_logs, name, logs)


def _quickstart_epoch(args, peers, root: str, source: str, tmp: str, env: dict) -> dict:
    """One full quickstart epoch with validation on each side, once: the top-1 of both."""
    if root != args.fashion_mnist_src:
        return dict(skipped=f'needs the real Fashion-MNIST; {source}')
    peer_cfg = osp.join(tmp, 'mmpretrain_quickstart_epoch.py')
    with open(peer_cfg, 'w') as f:
        f.write(peers.mmpretrain_quickstart_epoch_config(
            peers.extracted_idx_dir(root, osp.join(tmp, 'fashion_mnist_raw'))))
    commands = dict(
        ours=peers.our_quickstart_epoch_command(REPO, QUICKSTART_CFG,
                                                osp.join(tmp, 'ours_epoch'), root),
        mmpretrain=peers.peer_train_command(args.peer_venv, peer_cfg,
                                            osp.join(tmp, 'peer_epoch')))
    PROGRESS('peers/quickstart_epoch: one epoch (469 iterations of 128) with validation on the '
             '10k test images, each side once')
    logs: Dict[str, str] = {}
    try:
        out = peers.quickstart_epoch(commands, env=env, progress=PROGRESS, logs=logs)
    finally:
        peers.write_logs(args.peer_logs, 'quickstart_epoch', logs)
    out['data'] = source
    return out


def _peer_ratio_line(name: str, row: dict) -> None:
    PROGRESS(f'peers/{name}: ours {row["ours"]["median"]:.1f} img/s, MMPretrain '
             f'{row["mmpretrain"]["median"]:.1f} img/s: {row["ours_over_mmpretrain"]:.2f}x')


def gpu_fast_modes(modes: List[str]) -> List[str]:
    """The fast-path modes that run on a GPU (``onnxruntime`` is a CPU path here)."""
    kept = [m for m in modes if m != 'onnxruntime']
    if len(kept) != len(modes):
        PROGRESS('inference: fast path onnxruntime skipped on CUDA (CPU execution provider)')
    return kept


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        device = pick_device(args.device)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    if device.type == 'cpu':
        torch.set_num_threads(args.threads)
    else:
        args.fast_modes = gpu_fast_modes(args.fast_modes)
    sections = [s for s in args.sections.split(',') if s]
    unknown = sorted(set(sections) - set(SECTIONS + EXTRA_SECTIONS))
    if unknown:
        raise SystemExit(f'--sections: unknown {unknown}; choose from '
                         f'{", ".join(SECTIONS + EXTRA_SECTIONS)}.')
    start = time.time()
    PROGRESS.reset()
    results: dict = dict(meta=dict(
        arch=args.arch, device=str(device), threads=torch.get_num_threads(), rounds=args.rounds,
        img_size=args.img_size, batch=args.batch, quick=args.quick, torch=torch.__version__,
        python=platform.python_version(), cpu=platform.processor() or platform.machine(),
        cpu_count=os.cpu_count(), cpu_flags=cpu_flags(), load_avg_start=list(os.getloadavg()),
        omp_wait_policy=os.environ.get('OMP_WAIT_POLICY'),
        gpu=torch.cuda.get_device_name(device) if device.type == 'cuda' else None,
        date=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())))
    if 'inference' in sections or 'training' in sections:
        PROGRESS(f'building ours / timm / torchvision ConvNeXt-{args.arch}')
        models = build_models(args.arch, device)
        if 'inference' in sections:
            results['inference'] = bench_inference(args, models, device)
        if 'training' in sections:
            results['training'] = bench_training(args, models, device)
    with tempfile.TemporaryDirectory(prefix='mmcls_bench_') as tmp:
        if 'data' in sections:
            results['data'] = bench_data_section(args, tmp)
        if 'loop' in sections:
            results['loop'] = bench_loop_section(args, device, tmp)
        if 'peers' in sections:
            results['peers'] = bench_peers_section(args, device, tmp)
    results['ratios_vs_timm'], results['cpu_time_ratios_vs_timm'] = ratios_vs_timm(results)
    results['meta']['load_avg_end'] = list(os.getloadavg())
    results['meta']['wall_s'] = round(time.time() - start, 1)
    PROGRESS(f'done in {results["meta"]["wall_s"]:.0f} s')
    print_table(results)
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
        print(f'wrote {args.json}')
    return results


if __name__ == '__main__':
    main()
