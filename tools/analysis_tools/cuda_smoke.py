"""A short CUDA training smoke run: a few steps of each GPU training mode, img/s and peak memory.

Modes (``--modes``, comma-separated, all by default):

- ``fp32``: plain float32 (TF32 matmuls off);
- ``amp_fp16``: ``torch.autocast(float16)`` with a ``GradScaler``;
- ``amp_bf16``: ``torch.autocast(bfloat16)`` (skipped, with a line, where the GPU lacks bf16);
- ``channels_last``: ``amp_bf16`` (or ``amp_fp16`` without bf16) on channels-last model/input;
- ``compile``: ``torch.compile`` of the model, ``amp_bf16``/``amp_fp16``, channels-last;
- ``ddp``: ``DistributedDataParallel`` on 1 GPU; the script re-launches itself under
  ``torchrun --nproc_per_node 1`` (NCCL) for this mode.

Every mode builds the same ConvNeXt (random weights, seed 0), runs ``--warmup`` untimed and
``--steps`` timed AdamW steps on one random batch, and prints one line:
``mode, img/s, max memory allocated (MiB), last loss``. Without a CUDA device it refuses
with one line (exit status 2)::

    python tools/analysis_tools/cuda_smoke.py                      # ConvNeXt-T 224, batch 64
    python tools/analysis_tools/cuda_smoke.py --modes amp_bf16,ddp --json smoke.json
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

MODES = ('fp32', 'amp_fp16', 'amp_bf16', 'channels_last', 'compile', 'ddp')
NO_CUDA = 'cuda_smoke.py: no CUDA device is visible to torch; run it on a machine with a GPU.'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--arch', default='tiny', help='ConvNeXt arch name (e.g. atto, tiny, base)')
    p.add_argument('--img-size', type=int, default=224)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--num-classes', type=int, default=1000)
    p.add_argument('--steps', type=int, default=10, help='timed steps per mode')
    p.add_argument('--warmup', type=int, default=3,
                   help='untimed steps per mode (compile: includes the compile)')
    p.add_argument('--modes', default=','.join(MODES), help=f'comma-separated, of {MODES}')
    p.add_argument('--json', default=None, help='write the results here')
    args = p.parse_args(argv)
    args.modes = [m for m in args.modes.split(',') if m]
    bad = [m for m in args.modes if m not in MODES]
    if bad or not args.modes:
        p.error(f'--modes: unknown {bad} (or none given); choose from {", ".join(MODES)}')
    for name in ('img_size', 'batch', 'num_classes', 'steps'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be >= 1; got {getattr(args, name)}')
    if args.warmup < 0:
        p.error(f'--warmup must be >= 0; got {args.warmup}')
    return args


def mode_settings(mode: str, bf16_supported: bool) -> Optional[dict]:
    """What a mode switches on: ``dict(dtype, scaler, channels_last, compile, ddp)``.

    ``None`` when the mode cannot run here (``amp_bf16`` without bf16 support); the
    ``channels_last`` and ``compile`` modes use bf16 autocast where supported, else fp16.
    """
    if mode not in MODES:
        raise ValueError(f'unknown mode {mode!r}; expected one of {MODES}')
    half = torch.bfloat16 if bf16_supported else torch.float16
    table = dict(
        fp32=dict(dtype=None),
        amp_fp16=dict(dtype=torch.float16),
        amp_bf16=dict(dtype=torch.bfloat16) if bf16_supported else None,
        channels_last=dict(dtype=half, channels_last=True),
        compile=dict(dtype=half, channels_last=True, compile=True),
        ddp=dict(dtype=half, ddp=True),
    )
    settings = table[mode]
    if settings is None:
        return None
    out = dict(dtype=None, channels_last=False, compile=False, ddp=False)
    out.update(settings)
    out['scaler'] = out['dtype'] == torch.float16  # fp16 gradients need loss scaling
    return out


def under_torchrun(env: Optional[Dict[str, str]] = None) -> bool:
    env = os.environ if env is None else env
    return 'LOCAL_RANK' in env and 'WORLD_SIZE' in env


def torchrun_command(argv: List[str], python: str = sys.executable) -> List[str]:
    """The command that runs this script's ``ddp`` mode under torchrun on one GPU."""
    rest, skip = [], False
    for arg in argv:  # drop any --modes (and --json: the parent writes it)
        if skip:
            skip = False
            continue
        if arg in ('--modes', '--json'):
            skip = True
            continue
        if arg.startswith(('--modes=', '--json=')):
            continue
        rest.append(arg)
    return [python, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '1',
            osp.abspath(__file__), *rest, '--modes', 'ddp']


def build_model(arch: str, num_classes: int) -> nn.Module:
    from mmcls_convnext.models import ImageClassifier
    from mmcls_convnext.models.backbones.convnext import ConvNeXt
    torch.manual_seed(0)
    width = ConvNeXt(arch=arch).channels[-1]
    return ImageClassifier(backbone=dict(type='ConvNeXt', arch=arch),
                           head=dict(type='LinearClsHead', num_classes=num_classes,
                                     in_channels=width))


def run_mode(mode: str, settings: dict, args: argparse.Namespace,
             device: torch.device) -> dict:
    """Train ``--warmup + --steps`` steps in ``mode`` on ``device``; img/s of the timed steps."""
    model = build_model(args.arch, args.num_classes).to(device).train()
    memory_format = torch.channels_last if settings['channels_last'] else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=device.type == 'cuda')
    net: nn.Module = model
    if settings['ddp']:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model, device_ids=[device.index] if device.index is not None
                                      else None)
    if settings['compile']:
        net = torch.compile(net)
    scaler = torch.amp.GradScaler(device.type, enabled=settings['scaler'])
    generator = torch.Generator(device='cpu').manual_seed(0)
    x = torch.randn(args.batch, 3, args.img_size, args.img_size, generator=generator)
    x = x.to(device).contiguous(memory_format=memory_format)
    y = torch.randint(0, args.num_classes, (args.batch,), generator=generator).to(device)
    dtype = settings['dtype']

    def step() -> float:
        optim.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = F.cross_entropy(net(x), y)
        scaler.scale(loss).backward()
        scaler.step(optim)
        scaler.update()
        return float(loss.detach())

    for _ in range(args.warmup):
        step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()  # float(): a sync per step, as a training log would do
    elapsed = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == 'cuda' else None
    return dict(mode=mode, img_s=round(args.batch * args.steps / elapsed, 2),
                max_memory_mib=None if peak is None else round(peak, 1), loss=round(loss, 4),
                dtype=str(dtype).replace('torch.', '') if dtype else 'float32',
                channels_last=settings['channels_last'], compile=settings['compile'],
                ddp=settings['ddp'])


def format_row(row: dict) -> str:
    mem = 'n/a' if row.get('max_memory_mib') is None else f'{row["max_memory_mib"]:.0f} MiB'
    if 'skipped' in row:
        return f'{row["mode"]:<14} skipped: {row["skipped"]}'
    return (f'{row["mode"]:<14} {row["img_s"]:>9.1f} img/s  max memory {mem:>10}  '
            f'loss {row["loss"]:.4f}')


def main(argv: Optional[List[str]] = None) -> List[dict]:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if not torch.cuda.is_available():
        raise SystemExit(NO_CUDA)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    bf16 = torch.cuda.is_bf16_supported()
    if under_torchrun():
        torch.distributed.init_process_group('nccl')
        device = torch.device('cuda', int(os.environ['LOCAL_RANK']))
        torch.cuda.set_device(device)
        try:
            row = run_mode('ddp', mode_settings('ddp', bf16), args, device)
        finally:
            torch.distributed.destroy_process_group()
        print('DDP_RESULT ' + json.dumps(row), flush=True)
        return [row]
    device = torch.device('cuda')
    print(f'{torch.cuda.get_device_name(device)}, torch {torch.__version__}, {args.arch} '
          f'{args.img_size} px, batch {args.batch}, {args.steps} timed steps', flush=True)
    rows = []
    for mode in args.modes:
        settings = mode_settings(mode, bf16)
        if settings is None:
            row = dict(mode=mode, skipped='this GPU does not support bfloat16')
        elif settings['ddp']:
            row = run_ddp(argv)
        else:
            row = run_mode(mode, settings, args, device)
        rows.append(row)
        print(format_row(row), flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(gpu=torch.cuda.get_device_name(device), torch=torch.__version__,
                           rows=rows), f, indent=1)
    return rows


def parse_ddp_output(text: str) -> dict:
    """The ``DDP_RESULT {json}`` line the torchrun child prints."""
    for line in text.splitlines():
        if line.startswith('DDP_RESULT '):
            return json.loads(line[len('DDP_RESULT '):])
    raise RuntimeError('the torchrun child printed no DDP_RESULT line; its output ended with:\n'
                       + text[-2000:])


def run_ddp(argv: List[str]) -> dict:
    proc = subprocess.run(torchrun_command(argv), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'torchrun (ddp mode) failed with status {proc.returncode}:\n'
                           + (proc.stdout + proc.stderr)[-3000:])
    return parse_ddp_output(proc.stdout)


if __name__ == '__main__':
    main()
