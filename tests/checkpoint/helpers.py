"""Checkpoint contents as plain mmengine / numpy write them (not converted to plain data)."""
import io
import zipfile
from pathlib import Path

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer


def mmengine_native_checkpoint() -> dict:
    """What ``mmengine.runner.Runner.save_checkpoint`` pickles: HistoryBuffers, numpy values."""
    loss = HistoryBuffer()
    for value in (0.9, 0.7, 0.5):
        loss.update(np.float64(value))
    runtime_info = dict(epoch=1, iter=3, seed=np.int64(7), mean=np.arange(3, dtype=np.float32))
    return dict(meta=dict(epoch=1, iter=3, seed=np.int64(7)),
                state_dict=dict(w=torch.ones(2)),
                message_hub=dict(log_scalars={'train/loss': loss}, runtime_info=runtime_info,
                                 resumed_keys=dict(epoch=True)),
                rng=np.random.RandomState(0).get_state())


def replace_in_pickle(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite ``data.pkl`` of a torch.save archive (e.g. to rename a pickled global)."""
    source = io.BytesIO(path.read_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith('/data.pkl'):
                assert old in data, old
                data = data.replace(old, new)
            dst.writestr(info.filename, data)
    path.write_bytes(out.getvalue())
