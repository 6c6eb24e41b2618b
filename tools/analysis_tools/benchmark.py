"""Benchmark mmcls_convnext against timm and torchvision on identical weights.

Everything runs in ONE process; the contestants of each measurement are run round-robin
(ours, timm, torchvision, ours fast path, the matmul anchor, ours, timm, ...) and the median
over rounds is reported, so a busy shared machine slows all of them alike and the ratios stay
meaningful. See docs/benchmark.md for what every number means.

    python tools/analysis_tools/benchmark.py                      # ConvNeXt-T, 2 CPU threads
    python tools/analysis_tools/benchmark.py --device cuda --json out.json
    python tools/analysis_tools/benchmark.py --quick              # seconds; used by the tests
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import statistics
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

os.environ.setdefault('KINETO_LOG_LEVEL', '5')  # the CPU memory profiler is chatty otherwise
import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.engine.analysis.benchmarking import (  # noqa: F401 (tests use them here)
    count_macs,
    interleave,
    matmul_case,
    peak_step_memory_mb,
    pick_device,
    stats,
    sync,
)
from mmcls_convnext.models.backbones.convnext import ARCH_SETTINGS
from mmcls_convnext.models.fast_path import MODES as FAST_MODES
from mmcls_convnext.models.fast_path import optimize_for_inference

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TV_ARCHS = ('tiny', 'small', 'base', 'large')


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
    p.add_argument('--fast-modes', default='prepack,fold,compile',
                   help=f'comma-separated fast-path modes to time, of {FAST_MODES}; "" for none')
    p.add_argument('--workers', type=int, default=2, help='data pipeline worker processes')
    p.add_argument('--data-size', type=int, default=64, help='train crop size of the pipeline')
    p.add_argument('--sections', default='inference,training,data,runner')
    p.add_argument('--json', default=None, help='write the results here')
    p.add_argument('--quick', action='store_true',
                   help='atto, 64 px, 2 rounds, prepack only, 1 thread: a smoke run in seconds')
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
    from mmcls_convnext.zoo.convert import convert_state_dict
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
        load_into_torchvision(tv, ours.state_dict())
    return {name: m.to(device).eval() for name, m in models.items()}


def load_into_torchvision(tv: nn.Module, ours_sd: Dict[str, torch.Tensor]) -> None:
    """Copy our weights into a torchvision ConvNeXt, using our converter to pair the keys.

    ``convert_state_dict(tv_sd, 'torchvision')`` returns views of torchvision's own tensors under
    our key names; their storages tell which torchvision key each of our keys came from.
    """
    from mmcls_convnext.zoo.convert import convert_state_dict
    tv_sd = tv.state_dict()
    by_storage = {(v.untyped_storage().data_ptr(), v.storage_offset()): k
                  for k, v in tv_sd.items()}
    converted = convert_state_dict(tv_sd, src='torchvision')
    new_sd = {}
    for our_key, view in converted.items():
        tv_key = by_storage.get((view.untyped_storage().data_ptr(), view.storage_offset()))
        if tv_key is None:
            raise RuntimeError(f'Cannot pair our key {our_key} with a torchvision key: the '
                               'converter copied the tensor instead of returning a view.')
        new_sd[tv_key] = ours_sd[our_key].reshape(tv_sd[tv_key].shape)
    tv.load_state_dict(new_sd, strict=True)


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
    times = interleave(cases, args.rounds, device)
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
    times = interleave(steps, args.rounds, device)
    out = dict(batch=batch, img_size=size,
               step_img_s={n: stats(s, batch, 'img/s') for n, s in times.items()},
               peak_memory_mb={n: peak_step_memory_mb(fn, device) for n, fn in steps.items()})
    mem, speed = out['peak_memory_mb'], out['step_img_s']
    out['with_cp_memory_saving'] = round(1 - mem['ours_with_cp'] / mem['ours'], 3)
    out['with_cp_time_overhead'] = round(
        speed['ours']['median'] / speed['ours_with_cp']['median'] - 1, 3)
    return out


# --------------------------------------------------------------------------- data pipeline
class _FilesDataset(torch.utils.data.Dataset):
    """Image files through a pipeline (what a dataset's ``__getitem__`` does)."""

    def __init__(self, files: List[str], pipeline: Callable[[dict], dict]):
        self.files, self.pipeline = files, pipeline

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, idx: int) -> dict:
        return self.pipeline(dict(img_path=self.files[idx], gt_label=idx % 10, sample_idx=idx))


def write_images(folder: str, count: int) -> List[str]:
    """``count`` real photo crops (from demo/demo.JPEG), ImageNet-sized, half JPEG, half PNG."""
    import cv2
    import numpy as np
    photo = cv2.imread(osp.join(REPO, 'demo', 'demo.JPEG'))
    if photo is None:
        raise FileNotFoundError(f"{osp.join(REPO, 'demo', 'demo.JPEG')} is missing or not an "
                                'image: the data benchmark decodes crops of it.')
    rng = np.random.default_rng(0)
    files = []
    for i in range(count):
        h, w = photo.shape[:2]
        ch, cw = int(h * rng.uniform(0.6, 1)), int(w * rng.uniform(0.6, 1))
        y0, x0 = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        img = cv2.resize(photo[y0:y0 + ch, x0:x0 + cw], (500, 375))
        path = osp.join(folder, f'img{i:04d}.' + ('JPEG' if i % 2 == 0 else 'png'))
        cv2.imwrite(path, img)
        files.append(path)
    return files


def train_pipeline(size: int) -> Callable[[dict], dict]:
    """The ImageNet train pipeline of configs/_base_/datasets, with its crop set to ``size``."""
    from mmcv.transforms import Compose
    from mmengine.config import Config

    from mmcls_convnext.registry import TRANSFORMS
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                   'imagenet_convnext_224.py'))
    steps = []
    for step in copy.deepcopy(cfg.train_pipeline):
        if step['type'] == 'RandomResizedCrop':
            step['scale'] = size
        steps.append(TRANSFORMS.build(step))
    return Compose(steps)


def bench_data_pipeline(args, device: torch.device, tmp: str) -> dict:
    from mmengine.dataset import pseudo_collate
    count = 32 if args.quick else 256
    files = write_images(tmp, count)
    dataset = _FilesDataset(files, train_pipeline(args.data_size))
    batch = 8 if args.quick else 32
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch, shuffle=True, num_workers=args.workers,
        collate_fn=pseudo_collate, persistent_workers=args.workers > 0,
        pin_memory=device.type == 'cuda')
    rates = []
    for _ in range(args.rounds):
        seen, start = 0, None
        for i, data in enumerate(loader):
            if i == 0:  # workers are warm from here on
                start = time.perf_counter()
                continue
            seen += len(data['inputs'])
        rates.append(seen / (time.perf_counter() - start))
    out = dict(workers=args.workers, crop=args.data_size, files=count,
               images_per_s=dict(median=statistics.median(rates), unit='img/s',
                                 samples=[round(r, 1) for r in rates]))
    # The target: the pipeline must feed an atto training step at this size.
    ref = build_small_classifier(device)
    optim = torch.optim.AdamW(ref.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, args.data_size, args.data_size, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def step() -> None:
        optim.zero_grad(set_to_none=True)
        F.cross_entropy(ref(x), y).backward()
        optim.step()
    out['atto_train_step_img_s'] = stats(interleave({'s': step}, args.rounds, device)['s'],
                                         batch, 'img/s')
    out['pipeline_over_train_step'] = round(
        out['images_per_s']['median'] / out['atto_train_step_img_s']['median'], 3)
    return out


def build_small_classifier(device: torch.device, num_classes: int = 10) -> nn.Module:
    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ConvNeXt', arch='atto'),
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=320),
        data_preprocessor=dict(num_classes=num_classes, mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], to_rgb=True))).to(device)


# --------------------------------------------------------------------------- runner overhead
def bench_runner(args, device: torch.device, tmp: str) -> dict:
    """images/s of ClsRunner's train loop vs a bare loop: same model, data, optimizer."""
    from mmengine.dataset import pseudo_collate
    from mmengine.hooks import Hook

    from mmcls_convnext.engine.runner import ClsRunner
    from mmcls_convnext.structures import DataSample
    size, batch = (32, 8) if args.quick else (args.data_size, 32)
    iters, warm = (6, 2) if args.quick else (24, 4)
    g = torch.Generator().manual_seed(0)
    samples = [dict(inputs=torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g),
                    data_samples=DataSample().set_gt_label(i % 10)) for i in range(iters * batch)]

    def loader():
        return torch.utils.data.DataLoader(samples, batch_size=batch, shuffle=False,
                                           num_workers=0, collate_fn=pseudo_collate)
    base_model = build_small_classifier(device)

    class _Clock(Hook):
        def __init__(self):
            self.marks: List[float] = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            sync(device)
            self.marks.append(time.perf_counter())

    def runner_rate(round_id: int) -> float:
        clock = _Clock()
        runner = ClsRunner(
            model=copy.deepcopy(base_model), work_dir=osp.join(tmp, f'runner{round_id}'),
            train_dataloader=loader(), train_cfg=dict(by_epoch=True, max_epochs=1),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-4)),
            default_hooks=dict(timer=dict(type='IterTimerHook'),
                               logger=dict(type='LoggerHook', interval=100),
                               param_scheduler=dict(type='ParamSchedulerHook'),
                               checkpoint=dict(type='CheckpointHook', interval=10**6),
                               sampler_seed=dict(type='DistSamplerSeedHook')),
            custom_hooks=[clock], default_scope='mmcls_convnext', log_level='WARNING',
            randomness=dict(seed=0), experiment_name=f'bench{round_id}')
        runner.train()
        return (len(clock.marks) - warm) * batch / (clock.marks[-1] - clock.marks[warm - 1])

    def bare_rate() -> float:
        model = copy.deepcopy(base_model).train()
        optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
        marks = []
        for data in loader():
            data = model.data_preprocessor(data, True)
            losses = model(**data, mode='loss')
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            optim.step()
            optim.zero_grad()
            sync(device)
            marks.append(time.perf_counter())
        return (len(marks) - warm) * batch / (marks[-1] - marks[warm - 1])
    runner_rates, bare_rates = [], []
    for r in range(1 if args.quick else max(2, min(args.rounds, 3))):
        runner_rates.append(runner_rate(r))
        bare_rates.append(bare_rate())
    run_med, bare_med = statistics.median(runner_rates), statistics.median(bare_rates)
    # Each sample is a whole short run, so a burst of load hits one contestant only: the best
    # run of each (least disturbed) is the robust estimate; the median ratio is kept too.
    return dict(img_size=size, batch=batch, iters_timed=iters - warm,
                runner_img_s=dict(median=run_med, best=max(runner_rates), unit='img/s',
                                  samples=[round(r, 1) for r in runner_rates]),
                bare_img_s=dict(median=bare_med, best=max(bare_rates), unit='img/s',
                                samples=[round(r, 1) for r in bare_rates]),
                overhead=round(max(bare_rates) / max(runner_rates) - 1, 3),
                overhead_of_medians=round(bare_med / run_med - 1, 3))


# --------------------------------------------------------------------------- report
def ratios_vs_timm(results: dict) -> Tuple[dict, dict]:
    """Speed of every contestant relative to timm (> 1: faster), from wall and CPU time."""
    ratios, cpu_ratios = {}, {}
    for section in ('inference', 'training'):
        for key, rows in results.get(section, {}).items():
            if not (isinstance(rows, dict) and 'timm' in rows and isinstance(rows['timm'], dict)
                    and 'median' in rows['timm']):
                continue
            base = rows['timm']
            for name, r in rows.items():
                better = (base['median'] / r['median'] if r['unit'] == 'ms'
                          else r['median'] / base['median'])
                ratios[f'{key}/{name}'] = round(better, 3)
                if 'cpu_median' in r and 'cpu_median' in base:
                    cpu = (base['cpu_median'] / r['cpu_median'] if r['unit'] == 'ms'
                           else r['cpu_median'] / base['cpu_median'])
                    cpu_ratios[f'{key}/{name}'] = round(cpu, 3)
    return ratios, cpu_ratios


def print_table(results: dict) -> None:
    print(f"\nmmcls_convnext benchmark: arch={results['meta']['arch']} "
          f"device={results['meta']['device']} threads={results['meta']['threads']} "
          f"rounds={results['meta']['rounds']}")
    print(f"{'measurement':<44}{'median':>12}  {'unit':<9}{'x timm':>8}{'cpu x':>8}"
          f"{'spread':>8}")
    ratios, cpu_ratios = results['ratios_vs_timm'], results['cpu_time_ratios_vs_timm']
    for section in ('inference', 'training'):
        for key, rows in results.get(section, {}).items():
            if isinstance(rows, dict) and 'median' in rows:
                print(f"{section + '/' + key:<44}{rows['median']:>12.2f}  {rows['unit']:<9}")
                continue
            if not isinstance(rows, dict) or not all(
                    isinstance(r, dict) and 'median' in r for r in rows.values()):
                continue
            for name, r in rows.items():
                ratio = ratios.get(f'{key}/{name}')
                ratio_s = f'{ratio:.2f}' if ratio is not None else ''
                cpu = cpu_ratios.get(f'{key}/{name}')
                cpu_s = f'{cpu:.2f}' if cpu is not None else ''
                print(f"{key + '/' + name:<44}{r['median']:>12.2f}  {r['unit']:<9}"
                      f"{ratio_s:>8}{cpu_s:>8}{r['spread']:>8.2f}")
    for section in ('inference', 'training', 'data', 'runner'):
        extra = {k: v for k, v in results.get(section, {}).items()
                 if not (isinstance(v, dict) and v and all(
                     isinstance(r, dict) and 'median' in r for r in v.values()))
                 and not (isinstance(v, dict) and 'median' in v)}
        if extra:
            print(f'{section}: {json.dumps(extra)}')


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        device = pick_device(args.device)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    if device.type == 'cpu':
        torch.set_num_threads(args.threads)
    sections = [s for s in args.sections.split(',') if s]
    unknown = sorted(set(sections) - {'inference', 'training', 'data', 'runner'})
    if unknown:
        raise SystemExit(f'--sections: unknown {unknown}; choose from inference, training, '
                         'data, runner.')
    start = time.time()
    results: dict = dict(meta=dict(
        arch=args.arch, device=str(device), threads=torch.get_num_threads(), rounds=args.rounds,
        img_size=args.img_size, batch=args.batch, quick=args.quick, torch=torch.__version__,
        python=platform.python_version(), cpu=platform.processor() or platform.machine(),
        cpu_count=os.cpu_count(), load_avg_start=list(os.getloadavg()),
        gpu=torch.cuda.get_device_name(device) if device.type == 'cuda' else None,
        date=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())))
    if 'inference' in sections or 'training' in sections:
        models = build_models(args.arch, device)
        if 'inference' in sections:
            results['inference'] = bench_inference(args, models, device)
        if 'training' in sections:
            results['training'] = bench_training(args, models, device)
    with tempfile.TemporaryDirectory(prefix='mmcls_bench_') as tmp:
        if 'data' in sections:
            results['data'] = bench_data_pipeline(args, device, tmp)
        if 'runner' in sections:
            results['runner'] = bench_runner(args, device, tmp)
    results['ratios_vs_timm'], results['cpu_time_ratios_vs_timm'] = ratios_vs_timm(results)
    results['meta']['load_avg_end'] = list(os.getloadavg())
    results['meta']['wall_s'] = round(time.time() - start, 1)
    print_table(results)
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
        print(f'wrote {args.json}')
    return results


if __name__ == '__main__':
    main()
