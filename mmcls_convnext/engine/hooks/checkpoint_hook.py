"""``CheckpointHook`` that never loses the previous good checkpoint.

mmengine's hook (0.10.7) deletes the oldest checkpoint *before* writing the new one and writes
``last_checkpoint`` in place, so a crash or a full disk in between can leave neither. This one
saves first (atomically, through :meth:`ClsRunner.save_checkpoint`), then replaces
``last_checkpoint`` atomically, and only then removes checkpoints beyond ``max_keep_ckpts``.

Registered as ``'CheckpointHook'`` in the ``mmcls_convnext`` scope, so configs with
``default_scope='mmcls_convnext'`` get it for ``default_hooks.checkpoint``, and also as
``'AtomicCheckpointHook'`` for explicit use.
"""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from mmcls_convnext.checkpoint import atomic_write_bytes
from mmcls_convnext.registry import HOOKS


@HOOKS.register_module(name=['CheckpointHook', 'AtomicCheckpointHook'])
class AtomicCheckpointHook(MMEngineCheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments), reordered to save before deleting."""

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            # keep_ckpt_ids is a deque(maxlen=max_keep_ckpts): pop before append
            while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args,
            save_optimizer=self.save_optimizer, save_param_scheduler=self.save_param_scheduler,
            meta=meta, by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)

        if not is_main_process():
            return
        atomic_write_bytes(str(self.last_ckpt).encode(), osp.join(runner.work_dir,
                                                                  'last_checkpoint'))
        for old_step in outdated:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)
