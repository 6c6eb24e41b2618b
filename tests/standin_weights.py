"""Stand-in files for published zoo weights, for tests that run documented commands verbatim.

The real ConvNeXt checkpoints cannot be downloaded here, but the documented commands name them
(``get_model('convnext-tiny_32xb128_in1k', pretrained=True)``, ``tools/test.py CONFIG <URL>``,
the fine-tune recipe's backbone URL). A file name such as ``..._20221207-998cf3e9.pth`` only
promises that the file's sha256 *starts with* those 8 hex digits (32 bits), so a test-made file
can honestly carry the published name: deterministic weights of the right shapes (not trained,
predictions are meaningless), saved by ``torch.save`` (deterministic bytes for the same
tensors), followed by an 8-byte nonce (``torch.load`` ignores bytes after the zip archive)
chosen so that the sha256 prefix matches.
The nonces were found once by brute force (~2**32 sha256 of the last block,
``python tests/standin_weights.py --search NAME``: a few CPU minutes with the C helper below);
the files are rebuilt from code, byte for byte, in every test session.

Served from a loopback HTTP server through ``MMCLS_CONVNEXT_MIRROR``, these files exercise the
real download, cache, hash check and key matching without network access.
"""
import argparse
import hashlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict

import torch

#: zoo name -> nonce (appended as 8 little-endian bytes)
NONCES: Dict[str, int] = {
    'convnext-tiny_32xb128_in1k': 2501268432,
    'convnext-tiny_in21k-pre_3rdparty_in1k': 602909247,
}
STANDIN_META = {'note': 'test stand-in with the published file name; deterministic, untrained '
                        'weights (tests/standin_weights.py)'}


def _values(index: int, shape: torch.Size, name: str) -> torch.Tensor:
    """Deterministic values from integer arithmetic only (bit-identical on every CPU)."""
    n = max(1, int(torch.Size(shape).numel()))
    ints = (torch.arange(n, dtype=torch.int64) * 2654435761 + index * 40503) % 65536
    values = (ints.to(torch.float32) / 65536 - 0.5) / 16  # [-1/32, 1/32), exact in fp32
    if name.endswith('weight') and len(shape) == 1:  # LayerNorm scales around 1
        values = values + 1
    return values.reshape(shape)


def standin_payload(name: str) -> bytes:
    """The file's bytes before the nonce: ``{'state_dict', 'meta'}`` of the zoo model's config."""
    from mmengine.config import Config

    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.utils import register_all_modules
    from mmcls_convnext.zoo.model_index import get_model_info, resolve_config_path
    register_all_modules()
    cfg = Config.fromfile(resolve_config_path(get_model_info(name).config))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    state = {key: _values(i, value.shape, key)
             for i, (key, value) in enumerate(model.state_dict().items())}
    buffer = io.BytesIO()
    torch.save({'state_dict': state, 'meta': dict(STANDIN_META, zoo_name=name)}, buffer)
    return buffer.getvalue()


def expected_prefix(name: str) -> str:
    from mmcls_convnext.weights.download import expected_hash
    from mmcls_convnext.zoo.model_index import get_model_info
    return expected_hash(get_model_info(name).file_name)


def write_standin(name: str, folder: Path) -> Path:
    """Write the stand-in under the zoo file name of ``name`` into ``folder``; returns the path.

    Raises:
        AssertionError: when the bytes no longer hash to the published prefix (torch changed
            its file format, or the model's keys changed): re-run ``--search``.
    """
    from mmcls_convnext.zoo.model_index import get_model_info
    data = standin_payload(name) + NONCES[name].to_bytes(8, 'little')
    digest = hashlib.sha256(data).hexdigest()
    assert digest.startswith(expected_prefix(name)), (
        f'the stand-in for {name} hashes to {digest}, not {expected_prefix(name)}...: its bytes '
        f'changed; find a new nonce with `python tests/standin_weights.py --search {name}`')
    path = Path(folder) / get_model_info(name).file_name
    path.write_bytes(data)
    return path


FORGE_C = r'''
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {  /* forge FILE HEX8: nonce with sha256(FILE||nonce) = HEX8.. */
    FILE *f = fopen(argv[1], "rb");
    unsigned char want[4], md[32], nb[8];
    static unsigned char buf[1 << 20];
    size_t n;
    SHA256_CTX base, c;
    if (!f) return 2;
    for (int i = 0; i < 4; i++) sscanf(argv[2] + 2 * i, "%2hhx", &want[i]);
    SHA256_Init(&base);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) SHA256_Update(&base, buf, n);
    for (uint64_t nonce = 0;; nonce++) {
        c = base;
        for (int i = 0; i < 8; i++) nb[i] = (nonce >> (8 * i)) & 0xff;
        SHA256_Update(&c, nb, 8);
        SHA256_Final(md, &c);
        if (md[0] == want[0] && md[1] == want[1] && md[2] == want[2] && md[3] == want[3]) {
            printf("%llu\n", (unsigned long long)nonce);
            return 0;
        }
    }
}
'''


def search(name: str) -> int:
    """Brute-force the nonce for ``name`` (needs gcc and OpenSSL headers)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, exe, payload = (os.path.join(tmp, n) for n in ('forge.c', 'forge', 'payload'))
        Path(src).write_text(FORGE_C)
        subprocess.run(['gcc', '-O3', '-march=native', '-Wno-deprecated-declarations', src,
                        '-o', exe, '-lcrypto'], check=True)
        Path(payload).write_bytes(standin_payload(name))
        out = subprocess.run([exe, payload, expected_prefix(name)], check=True,
                             capture_output=True, text=True)
        return int(out.stdout.strip())


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--search', metavar='NAME', required=True)
    parser.add_argument('--payload-only', metavar='FILE', help='only write the payload bytes')
    args = parser.parse_args()
    if args.payload_only:
        Path(args.payload_only).write_bytes(standin_payload(args.search))
        sys.exit(0)
    print(f'{args.search!r}: {search(args.search)},')
