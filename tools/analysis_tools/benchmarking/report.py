"""The report of ``tools/analysis_tools/benchmark.py``: ratios to timm and the printed table."""
import json
from typing import Tuple


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
    print_data_and_loop(results)
    print_peers(results)
    for section in ('inference', 'training'):
        extra = {k: v for k, v in results.get(section, {}).items()
                 if not (isinstance(v, dict) and v and all(
                     isinstance(r, dict) and 'median' in r for r in v.values()))
                 and not (isinstance(v, dict) and 'median' in v)}
        if extra:
            print(f'{section}: {json.dumps(extra)}')


def print_data_and_loop(results: dict) -> None:
    for name, row in results.get('data', {}).get('toolbox', {}).items():
        if 'skipped' in row:
            print(f"data/toolbox/{name}: skipped ({row['skipped']})")
            continue
        print(f"{f'data/toolbox/{name}':<44}{row['ours']['median']:>12.1f}  items/s  "
              f"{row['ours_over_reference']:.2f}x the reference per core "
              f"({row['reference']['median']:.1f} items/s)")
    for set_name, data in results.get('data', {}).get('sets', {}).items():
        rows, timm_row = data['images_per_s'], data['images_per_s']['timm']
        for name, r in rows.items():
            ratio = r['median'] / timm_row['median']
            cpu = r['cpu_median'] / timm_row['cpu_median']
            print(f"{f'data/{set_name}/{name}':<44}{r['median']:>12.2f}  {'img/s':<9}"
                  f"{ratio:>8.2f}{cpu:>8.2f}{r['spread']:>8.2f}")
        print(f"data/{set_name}: ours {data['cpu_ours_over_timm']}x timm per core (CPU time; "
              f"{data['cpu_ours_with_normalize_over_timm']}x with our batched normalisation); "
              f"ours at {data['ours_over_decode']}x and timm at {data['timm_over_decode']}x "
              'of their decode-only rate')
        stages = data['stages']['ms_per_image']
        for who in ('ours', 'timm'):
            print(f'data/{set_name} ms per image, {who}: '
                  + ', '.join(f'{k} {v:.3f}' for k, v in stages[who].items()))
    for name, row in results.get('loop', {}).items():
        cpu = row.get('cpu_loop_over_bare')
        print(f"loop/{name}: tools/train.py {row['train_img_s']['median']:.1f} img/s vs bare "
              f"step {row['bare_step_img_s']['median']:.1f} img/s = {row['loop_over_bare']}x"
              + (f' (CPU time {cpu}x)' if cpu is not None else
                 f" ({row['num_workers']} loader workers: wall clock only)"))


#: the comparisons of the peers section, in their order
PEER_ROWS = ('train_quickstart', 'train_convnext_tiny_224_jpeg', 'test_convnext_tiny_224_jpeg')


def peer_lines(peers: dict) -> list:
    """The report lines of the peers section: per comparison the medians, the samples of each
    round and the ratio; the top-1 check of the test runs; every warning, loudly."""
    lines = []
    version = peers.get('mmpretrain_version', '?')
    for name in PEER_ROWS:
        row = peers.get(name)
        if not row:
            continue
        ours, peer = row['ours'], row['mmpretrain']
        lines.append(f"peers/{name}: ours {ours['median']:.1f} img/s {ours['samples']}, "
                     f"MMPretrain {version} {peer['median']:.1f} img/s {peer['samples']}: "
                     f"{row['ours_over_mmpretrain']:.2f}x")
        top1 = row.get('top1')
        if top1:
            verdict = 'equal' if top1['equal'] else '!!! NOT EQUAL !!!'
            lines.append(f"peers/{name}: top-1 ours {top1['ours']}, MMPretrain "
                         f"{top1['mmpretrain']}: {verdict}")
    epoch = peers.get('quickstart_epoch')
    if epoch and 'skipped' in epoch:
        lines.append(f"peers/quickstart_epoch: skipped ({epoch['skipped']})")
    elif epoch:
        verdict = ('within' if epoch['within_tolerance'] else '!!! MORE THAN !!!')
        lines.append(f"peers/quickstart_epoch: top-1 after one epoch ours "
                     f"{epoch['ours']['top1']:.2f} %, MMPretrain {epoch['mmpretrain']['top1']:.2f} "
                     f"%: {epoch['top1_difference']:+.2f} points, {verdict} "
                     f"{epoch['tolerance']}")
    for warning in peers.get('warnings', []):
        lines.append(f'peers: WARNING: {warning}')
    return lines


def print_peers(results: dict) -> None:
    for line in peer_lines(results.get('peers', {})):
        print(line)
